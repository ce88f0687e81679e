#!/usr/bin/env bash
# The status page's "refresh now" action: with OCSPRefreshStatusActions On, a
# POST of the page's own form (same Origin, this generation's token) makes
# the leader fetch the certificate again within seconds; a GET, another
# method, a cross-site Origin or Sec-Fetch-Site, a missing/wrong/stale token,
# a certificate we do not staple, and OCSPRefreshStatusActions Off are all
# refused and trigger no fetch.
set -euo pipefail
. "$OCSPR_TEST_SRCDIR/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"

ocspr_t_init status_actions
engine_pki_and_front

HTTP_PORT=$(ocspr_free_port)
P_GOOD=$(ocspr_free_port)
P_NOOCSP=$(ocspr_free_port)
BASE=http://127.0.0.1:$HTTP_PORT
PAGE=$BASE/ocsp-status
engine_instance actions

# write_conf On|Off
write_conf()
{
    ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --dir "$ENGINE_DIR" --listen "$HTTP_PORT" \
        --listen "$P_GOOD" --listen "$P_NOOCSP" -- \
        "$(engine_globals "OCSPRefreshStatusActions $1")" \
        "$(ocspr_status_location)" \
        "$(engine_vhost "$P_GOOD" good)" \
        "$(engine_vhost "$P_NOOCSP" noocsp)"
}
write_conf On
ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
engine_assert_good "$P_GOOD" "staple before any action"

# The page's refresh form, read the way a browser would: FORM_ID, FORM_TOKEN.
read_form()
{
    curl -sS -m 10 -o "$T/page.html" "$PAGE" || ocspr_fail "GET the status page failed"
    eval "$(python3 - "$T/page.html" <<'EOF'
import shlex, sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms, self.cur = [], None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'form':
            self.cur = {'method': a.get('method', 'get')}
            self.forms.append(self.cur)
        elif tag == 'input' and self.cur is not None:
            self.cur[a['name']] = a.get('value', '')
    def handle_endtag(self, tag):
        if tag == 'form':
            self.cur = None
p = P()
p.feed(open(sys.argv[1], encoding='utf-8').read())
# the refresh forms (the page's other form, the filter, is a GET)
posts = [f for f in p.forms if f['method'] != 'get']
f = posts[0] if posts else {}
print('FORM_COUNT=%d FORM_METHOD=%s FORM_ACTION=%s FORM_ID=%s FORM_TOKEN=%s' % (
    len(posts), shlex.quote(f.get('method', '')), shlex.quote(f.get('action', '')),
    shlex.quote(f.get('id', '')), shlex.quote(f.get('token', ''))))
EOF
)"
}

# post EXPECTED_CODE WHAT [CURL ARGS...]: POST to the page, check the code.
post()
{
    local expected=$1 what=$2 code
    shift 2
    code=$(curl -sS -m 10 -o "$T/post.body" -D "$T/post.headers" -w '%{http_code}' "$@" "$PAGE") \
        || ocspr_fail "$what: curl failed"
    ocspr_assert_eq "$expected" "$code" "$what: HTTP status"
}
json_field() { # ID FIELD
    curl -sS -m 10 "$PAGE?json" | python3 -c 'import json, sys
c = [c for c in json.load(sys.stdin)["certificates"] if c["id"] == sys.argv[1]][0]
print(c[sys.argv[2]])' "$1" "$2"
}
ORIGIN="Origin: $BASE"

read_form
ocspr_assert_eq 1 "$FORM_COUNT" "refresh forms (one stapled certificate, one not applicable)"
ocspr_assert_eq post "$FORM_METHOD" "form method"
[ -n "$FORM_TOKEN" ] && [ -n "$FORM_ID" ] || ocspr_fail "the form has no id or token"
NOOCSP_ID=$(curl -sS -m 10 "$PAGE?json" | python3 -c 'import json, sys
print([c["id"] for c in json.load(sys.stdin)["certificates"] if c["state"] == "not_applicable"][0])')
FORM=(--data-urlencode action=refresh --data-urlencode "id=$FORM_ID")

# ------------------------------------------------------ refusals: no fetch
before=$(ocspr_front_requests)
code=$(curl -sS -m 10 -o "$T/get.body" -D "$T/get.headers" -w '%{http_code}' \
    "$PAGE?action=refresh&id=$FORM_ID&token=$FORM_TOKEN")
ocspr_assert_eq 405 "$code" "GET with the action's fields: HTTP status"
ocspr_assert_match 'POST' "$(sed -n 's/^Allow: *//Ip' "$T/get.headers" | tr -d '\r')" "Allow header"
post 405 "PUT" -X PUT "${FORM[@]}" --data-urlencode "token=$FORM_TOKEN"
post 403 "cross-site Origin" -H "Origin: http://evil.example" "${FORM[@]}" \
    --data-urlencode "token=$FORM_TOKEN"
post 403 "Origin: null" -H "Origin: null" "${FORM[@]}" --data-urlencode "token=$FORM_TOKEN"
post 403 "Sec-Fetch-Site: cross-site" -H "Sec-Fetch-Site: cross-site" "${FORM[@]}" \
    --data-urlencode "token=$FORM_TOKEN"
post 403 "no token" -H "$ORIGIN" "${FORM[@]}"
post 403 "wrong token" -H "$ORIGIN" "${FORM[@]}" --data-urlencode "token=${FORM_TOKEN}0"
ocspr_assert_match 'token' "$(cat "$T/post.body")" "wrong token: the refusal says why"
post 409 "certificate not stapled" -H "$ORIGIN" --data-urlencode action=refresh \
    --data-urlencode "id=$NOOCSP_ID" --data-urlencode "token=$FORM_TOKEN"
post 400 "unknown action" -H "$ORIGIN" --data-urlencode action=delete \
    --data-urlencode "id=$FORM_ID" --data-urlencode "token=$FORM_TOKEN"
sleep 2     # the leader looks for requests every second
ocspr_assert_eq "$before" "$(ocspr_front_requests)" "responder requests after refused actions"
ocspr_assert_eq 1 "$(json_field "$FORM_ID" fetch_attempts | python3 -c 'import ast, sys
print(ast.literal_eval(sys.stdin.read())["ok"])')" "fetches of the certificate after refusals"

# ------------------------------------------------------ the page's own POST
last=$(json_field "$FORM_ID" last_attempt_epoch)
post 303 "POST of the page's form" -H "$ORIGIN" -H "Sec-Fetch-Site: same-origin" \
    -H "Content-Type: application/x-www-form-urlencoded" "${FORM[@]}" \
    --data-urlencode "token=$FORM_TOKEN"
location=$(sed -n 's/^Location: *//Ip' "$T/post.headers" | tr -d '\r')
ocspr_assert_eq "$PAGE?requested=$FORM_ID" "$location" "redirect after the action"
fetched_again() { [ "$(ocspr_front_requests)" -gt "$before" ]; }
ocspr_wait_until 10 fetched_again || ocspr_fail "no responder request within 10 s of the action"
ocspr_pass "the leader fetched again after the action"
ok_twice() { [ "$(json_field "$FORM_ID" last_outcome)" = ok ] \
    && [ "$(json_field "$FORM_ID" last_attempt_epoch)" -ge "$last" ] \
    && [ "$(json_field "$FORM_ID" refresh_requested)" = False ]; }
ocspr_wait_until 10 ok_twice || ocspr_fail "the page does not show the requested fetch"
curl -sS -m 10 "$location" > "$T/after.html"
grep -q 'id="notice">Refresh of CN=good.test,O=ocspr test requested' "$T/after.html" \
    || ocspr_fail "the page after the action shows no notice"
ocspr_pass "the page shows the refresh and its outcome"
engine_assert_good "$P_GOOD" "staple after the action"

# ------------------------------------------------------ a new generation
old_token=$FORM_TOKEN
ocspr_httpd_graceful
read_form
[ "$FORM_TOKEN" != "$old_token" ] || ocspr_fail "the form token survived a restart"
before=$(ocspr_front_requests)
post 403 "a form from before the restart" -H "$ORIGIN" "${FORM[@]}" \
    --data-urlencode "token=$old_token"
ocspr_assert_match 'stale' "$(cat "$T/post.body")" "stale token: the refusal says why"

write_conf Off
ocspr_httpd_graceful
read_form
ocspr_assert_eq 0 "$FORM_COUNT" "refresh forms with OCSPRefreshStatusActions Off"
post 403 "POST with actions off" -H "$ORIGIN" "${FORM[@]}" --data-urlencode "token=$old_token"
ocspr_assert_match 'OCSPRefreshStatusActions Off' "$(cat "$T/post.body")" "actions off: the refusal says why"
sleep 2
ocspr_assert_eq "$before" "$(ocspr_front_requests)" "responder requests after the refusals"

ocspr_stop_httpd
ocspr_assert_eq 1 "$(engine_log_count 'OCSPR0501: 127\.0\.0\.1 asked the status page to refresh')" \
    "OCSPR0501 lines (one accepted action)"
[ "$(engine_log_count 'OCSPR0502: ')" -ge 10 ] || ocspr_fail "refusals were not logged (OCSPR0502)"
ocspr_pass "every refusal logged at info"
ocspr_check_error_log
