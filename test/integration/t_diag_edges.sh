#!/usr/bin/env bash
# The three edges of issue 14, each checked against what a real start of
# mod_ssl does with the same configuration in the same test (staple or not,
# AH02217 or not), so the expectation cannot drift from httpd's behaviour:
#   1. two vhosts share a certificate, one has the right chain, the other an
#      unrelated intermediate: with SSLUseStapling On mod_ssl staples both
#      (client-chain finding, not breaking); with OCSPRefresh On only, the
#      second vhost gets no status callback (breaking for that vhost);
#   2. an expired leaf with its chain: mod_ssl primes it (expiry finding,
#      ready for stapling);
#   3. a re-keyed intermediate in SSLCACertificatePath: both fixes, each
#      command run as printed, make the configuration healthy; a chain file
#      shared with another vhost gets a fix that keeps the other vhost working.
set -euo pipefail
. "$OCSPR_TEST_SRCDIR/integration/t_diag_common.sh"
ocspr_t_init t_diag_edges
[ -f "$OCSPR_MODULE_SO" ] || ocspr_fail "OCSPR_MODULE_SO '$OCSPR_MODULE_SO' not found"

# Our own PKI whose URLs name our front: the fix commands download the
# intermediate from its caIssuers URL, and mod_ssl fetches real responses.
front=$(ocspr_free_port)
PKI=$T/pki
ocspr_make_pki "$PKI" "$front"
ocspr_start_front "$PKI" "$front"
port=$(ocspr_free_port)
DIAG_PORT=$port

# sclient SNI [ARGS]: one handshake with the server under test.
sclient()
{
    local sni=$1
    shift
    timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$sni" "$@" \
        </dev/null 2>&1 || true
}

# start CONF: a real start with an empty error log.
start()
{
    : > "$T/error.log"
    ocspr_start_httpd "$1"
}

# summary: the OCSPR0400 line of the last `-t`.
summary() { grep -F OCSPR0400 "$DIAG_OUT"; }

# the_fix CODE: the Fix part of the first CODE line of the last `-t`.
the_fix() { grep -F -- "$1" "$DIAG_OUT" | head -n 1 | sed 's/.* Fix: //'; }

# command N TEXT: the Nth command in backquotes of TEXT.
command_of() { printf '%s\n' "$2" | awk -v n="$1" -F'`' '{ print $(2 * n) }'; }

# ---- 1a. shared certificate, mod_ssl's own stapling ---------------------
other_int="CN=Other Root CA,O=ocspr elsewhere"
vhosts_shared()
{
    ocspr_vhost "$port" "$PKI/good.pem" "$PKI/good.key" "ServerName a.test" "$@" \
        "SSLCertificateChainFile \"$PKI/int.pem\""
    ocspr_vhost "$port" "$PKI/good.pem" "$PKI/good.key" "ServerName b.test" "$@" \
        "SSLCertificateChainFile \"$PKI/other-root.pem\""
}
diag_conf "$T/shared.conf" "$(vhosts_shared "SSLUseStapling On")"
diag_run "$T/shared.conf"
diag_expect OCSPR0418 "[client-chain]" "vhost b.test:$port" "\"$other_int\"" \
    "mod_ssl primes this certificate through vhost a.test:$port"
ocspr_assert_match ', 1 certificates ready for stapling, 1 findings$' "$(summary)" "summary"
ocspr_assert_eq 0 "$(grep -c OCSPR0405 "$DIAG_OUT" || true)" "foreign-intermediate (breaking) lines"

start "$T/shared.conf"
status_b=$(ocspr_wait_staple_status good "$port" b.test 15 || true)
ocspr_assert_eq good "$status_b" "staple mod_ssl sends to b.test's clients"
ocspr_assert_eq good "$(ocspr_staple_status "$port" a.test)" "staple for a.test"
grep -q 'AH02217' "$T/error.log" || ocspr_fail "mod_ssl did not log AH02217 for b.test"
ocspr_pass "mod_ssl logs AH02217 for b.test and staples it anyway (per-certificate data)"
verify=$(sclient b.test -CAfile "$PKI/root.pem" -verify_return_error)
grep -qE 'unable to (verify the first certificate|get local issuer certificate)' <<<"$verify" \
    || ocspr_fail "b.test's chain verified for a client: $(tail -n 3 <<<"$verify")"
ocspr_pass "b.test's clients cannot build the chain"
ocspr_assert_eq 1 "$(grep -c 'OCSPR0418 \[client-chain\] vhost b.test' "$T/error.log")" \
    "client-chain finding at startup"
ocspr_stop_httpd

# ---- 1b. the same with OCSPRefresh On only -------------------------------
ocspr_server_user_dir "$T/store"
diag_conf "$T/refresh.conf" "OCSPRefresh On" "OCSPRefreshStore \"$T/store\"" "$(vhosts_shared)"
diag_run "$T/refresh.conf"
start "$T/refresh.conf"
ocspr_assert_eq good "$(ocspr_wait_staple_status good "$port" a.test 15 || true)" \
    "staple for a.test (OCSPRefresh)"
status_b=$(ocspr_staple_status "$port" b.test || true)
ocspr_stop_httpd
# Whatever httpd does, the finding must say the same.
if [ "$status_b" = none ]; then
    diag_expect OCSPR0405 "[foreign-intermediate]" "vhost b.test:$port" \
        "but this vhost's handshakes get no staple"
    ocspr_assert_match '\(1 breaking stapling\)$' "$(summary)" "summary"
else
    diag_expect OCSPR0418 "[client-chain]" "vhost b.test:$port"
fi
ocspr_pass "b.test with OCSPRefresh only: staple '$status_b', and the finding agrees"

# ---- 2. expired leaf with its chain ----------------------------------------
diag_conf "$T/expired.conf" "$(ocspr_vhost "$port" "$PKI/expired.chain.pem" "$PKI/expired.key" \
    "SSLUseStapling On")"
diag_run "$T/expired.conf"
diag_expect OCSPR0409 "[expired]" "the certificate expired on"
ocspr_assert_match ', 1 certificates ready for stapling, 1 findings$' "$(summary)" "summary"
start "$T/expired.conf"
status=$(sclient localhost -status)
ocspr_stop_httpd
if grep -q AH02217 "$T/error.log"; then
    ocspr_fail "mod_ssl did not prime the expired certificate (AH02217)"
fi
grep -qE '^ *OCSP Response Status: successful' <<<"$status" \
    || ocspr_fail "no staple for the expired certificate: $(grep '^OCSP' <<<"$status")"
ocspr_pass "mod_ssl primes and staples the expired certificate"

# ---- 3. re-keyed intermediate in SSLCACertificatePath -----------------------
mkdir -p "$T/capath"
cp "$PKI/good.pem" "$T/leaf.pem"
cp "$PKI/int-otherkey.pem" "$T/capath/int.pem"
openssl rehash "$T/capath" 2>/dev/null
diag_conf "$T/capath.conf" "$(ocspr_vhost "$port" "$T/leaf.pem" "$PKI/good.key" \
    "SSLUseStapling On" "SSLCACertificatePath \"$T/capath\"")"
diag_run "$T/capath.conf"
diag_expect OCSPR0404 "[issuer-other-key]" "replace $T/capath/int.pem in SSLCACertificatePath" \
    "> $T/capath/int.pem && openssl rehash $T/capath\`" "append the issuer" ">> $T/leaf.pem\`"
ocspr_assert_match '\(1 breaking stapling\)$' "$(summary)" "summary"
start "$T/capath.conf"
ocspr_stop_httpd
grep -q AH02217 "$T/error.log" || ocspr_fail "mod_ssl found an issuer: the finding is wrong"
ocspr_pass "mod_ssl logs AH02217, as the finding says"
fix=$(the_fix OCSPR0404)
for n in 1 2; do
    cp "$PKI/good.pem" "$T/leaf.pem"
    cp "$PKI/int-otherkey.pem" "$T/capath/int.pem"
    openssl rehash "$T/capath" 2>/dev/null
    cmd=$(command_of "$n" "$fix")
    echo "fix $n: $cmd"
    bash -c "$cmd"
    diag_run "$T/capath.conf"
    diag_healthy ', 1 certificates ready for stapling, 0 findings$'
done

# ---- 3b. a chain file shared with another vhost -----------------------------
cp "$PKI/other-root.pem" "$T/other.pem"
diag_conf "$T/sharedfile.conf" \
    "$(ocspr_vhost "$port" "$PKI/good.pem" "$PKI/good.key" "ServerName b.test" \
        "SSLUseStapling On" "SSLCertificateChainFile \"$T/other.pem\"")" \
    "$(ocspr_vhost "$port" "$PKI/ocsp-other.pem" "$PKI/ocsp-other.key" "ServerName c.test" \
        "SSLCertificateChainFile \"$T/other.pem\"")"
diag_run "$T/sharedfile.conf"
line=$(grep -n -F "SSLCertificateChainFile \"$T/other.pem\"" "$T/sharedfile.conf" | sed -n 2p | cut -d: -f1)
diag_expect OCSPR0405 "[foreign-intermediate]" "vhost b.test:$port" ">> $T/other.pem\`" \
    "Note: $T/other.pem is also used by vhost c.test:$port (SSLCertificateChainFile at $T/sharedfile.conf:$line)"
fix=$(the_fix OCSPR0405)
cmd=$(command_of 1 "$fix")
echo "fix: $cmd"
bash -c "$cmd"
diag_run "$T/sharedfile.conf"
# b.test finds its issuer, c.test keeps its chain; each is told the other's
# intermediate is sent for nothing, and to split the file rather than cut it.
ocspr_assert_match ', 1 certificates ready for stapling, 2 findings$' "$(summary)" "summary after the fix"
ocspr_assert_eq 0 "$(grep -c '\[ocsp_refresh:error\]' "$DIAG_OUT" || true)" "errors after the fix"
diag_expect "OCSPR0405 [foreign-intermediate] vhost c.test" "give this vhost a chain file of its own"
echo "PASS"
