#!/usr/bin/env bash
# Every field of ocspr_conf_t (include/ocspr_conf.h) is set in
# ocspr_conf_create, merged in ocspr_conf_merge (ocspr_conf_record.c) and
# filled by a directive row of mod_ocsp_refresh_config.c, so a new setting cannot be
# forgotten in one of them (a field missing from the merge silently drops a
# global value for every vhost). Reads the sources; starts no server.
set -euo pipefail
# shellcheck source=lib.sh
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
ocspr_t_init config_fields

src=$OCSPR_TEST_SRCDIR/../mod_ocsp_refresh
header=$OCSPR_TEST_SRCDIR/../include/ocspr_conf.h
record=$src/ocspr_conf_record.c
config=$src/mod_ocsp_refresh_config.c

# The body of C function NAME in FILE (from its name to the closing brace
# at the start of a line).
function_body()
{
    awk -v f="$2" '$0 ~ "^[a-z].*[ *]" f "\\(" { on = 1 } on { print } on && /^}/ { exit }' "$1"
}

fields=$(awk '/^typedef struct \{/ { body = "" ; on = 1; next }
              on && /^\} ocspr_conf_t;/ { print body; exit }
              on && /^\}/ { on = 0 }
              on { sub(/\/\*.*/, ""); if (match($0, /[A-Za-z_][A-Za-z0-9_]* *;/)) {
                       name = substr($0, RSTART, RLENGTH); sub(/ *;/, "", name); body = body name "\n" } }' \
    "$header" | sed '/^$/d')
count=$(wc -l <<<"$fields")
[ "$count" -ge 10 ] || ocspr_fail "found only $count fields of ocspr_conf_t in $header: '$fields'"
ocspr_pass "$count fields in ocspr_conf_t"

create=$(function_body "$record" ocspr_conf_create)
merge=$(function_body "$record" ocspr_conf_merge)
[ -n "$create" ] || ocspr_fail "ocspr_conf_create not found in $record"
[ -n "$merge" ] || ocspr_fail "ocspr_conf_merge not found in $record"

missing=()
while read -r field; do
    grep -Eq "conf->$field = " <<<"$create" || missing+=("$field: not set in ocspr_conf_create")
    grep -Eq "MERGE_[A-Z]+\\($field\\);" <<<"$merge" || missing+=("$field: not merged in ocspr_conf_merge")
    grep -Eq "AT\\($field\\)" "$config" || missing+=("$field: no directive row sets it")
done <<<"$fields"
if [ ${#missing[@]} -gt 0 ]; then
    printf '%s\n' "${missing[@]}" >&2
    ocspr_fail "fields of ocspr_conf_t not handled (above)"
fi
ocspr_pass "every field is created, merged and set by a directive"
