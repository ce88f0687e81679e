# shellcheck shell=bash
# Shared by the t_diag_*.sh tests (sourced, not a test itself): build a
# configuration from the test PKI, run `apache2 -t -f CONF` with the module
# loaded, and assert finding codes and the facts on their line.
#
#   diag_init NAME                 lib.sh's ocspr_t_init + the shared PKI in $PKI
#   diag_conf CONF PIECE...        write CONF: the base config (module loaded,
#                                  Listen 127.0.0.1:8443, SSLStaplingCache)
#                                  followed by the PIECEs
#   diag_run CONF                  run `$HTTPD_BIN -t -f CONF`; output in
#                                  $DIAG_OUT, exit status in $DIAG_RC
#   diag_expect CODE TEXT...       the first output line with CODE contains
#                                  every TEXT (fixed strings)
#   diag_line CONF TEXT            line number of the first line of CONF with TEXT
#   diag_healthy [SUMMARY]         no warning/error at all, exit 0, "Syntax OK",
#                                  and the summary line (matches SUMMARY if given)
# shellcheck source=lib.sh
. "$OCSPR_TEST_SRCDIR/integration/lib.sh"

DIAG_PORT=8443     # never bound: `-t` only reads the configuration
DIAG_OUT=
DIAG_RC=
PKI=

diag_init()
{
    ocspr_t_init "$1"
    if [ ! -f "$OCSPR_MODULE_SO" ]; then
        ocspr_fail "OCSPR_MODULE_SO '$OCSPR_MODULE_SO' not found"
    fi
    # One PKI for every diag test (RSA key generation is the slow part);
    # the lock keeps parallel ctest runs from writing it at the same time.
    PKI=$OCSPR_TEST_WORK/diag-pki
    mkdir -p "$OCSPR_TEST_WORK"
    (
        flock 9
        ocspr_make_pki "$PKI" 18080
    ) 9>"$OCSPR_TEST_WORK/diag-pki.lock"
}

diag_conf()
{
    local conf=$1
    shift
    ocspr_write_httpd_conf "$conf" --listen "$DIAG_PORT" --loglevel "warn" -- \
        "SSLStaplingCache \"shmcb:$T/run/stapling(64000)\"" "$@"
}

diag_run()
{
    DIAG_OUT=$1.out
    set +e
    "$HTTPD_BIN" -t -f "$1" >"$DIAG_OUT" 2>&1
    DIAG_RC=$?
    set -e
    echo "---- apache2 -t -f $1 (exit $DIAG_RC)"
    cat "$DIAG_OUT"
}

diag_expect()
{
    local code=$1 line text
    shift
    line=$(grep -F -- "$code" "$DIAG_OUT" | head -n 1 || true)
    [ -n "$line" ] || ocspr_fail "no $code in the output of apache2 -t"
    for text in "$@"; do
        case $line in
            *"$text"*) ;;
            *) ocspr_fail "$code line lacks '$text'" ;;
        esac
    done
    ocspr_pass "$code with ${#} facts"
}

diag_line()
{
    grep -n -F -- "$2" "$1" | head -n 1 | cut -d: -f1
}

diag_healthy()
{
    local bad summary
    bad=$(grep -E '\[[a-z_0-9]*:(warn|error|crit|alert|emerg)\]|AH0' "$DIAG_OUT" || true)
    [ -z "$bad" ] || ocspr_fail "unexpected warnings: $bad"
    ocspr_assert_eq 0 "$DIAG_RC" "exit status of apache2 -t"
    grep -q '^Syntax OK$' "$DIAG_OUT" || ocspr_fail "no 'Syntax OK'"
    summary=$(grep -F 'OCSPR0400' "$DIAG_OUT" || true)
    ocspr_assert_eq 1 "$(printf '%s\n' "$summary" | grep -c OCSPR0400)" "summary lines"
    if [ -n "${1:-}" ]; then
        ocspr_assert_match "$1" "$summary" "summary"
    fi
}

# Key identifiers as the diagnostics print them: uppercase hex, no colons.
diag_skid()
{
    openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | sed -n '2p' | tr -d ' :\n'
}

diag_akid()
{
    openssl x509 -in "$1" -noout -ext authorityKeyIdentifier | sed -n '2p' \
        | sed 's/^ *keyid://' | tr -d ' :\n'
}
