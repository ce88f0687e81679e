#!/usr/bin/env bash
# The Debian package (issue 12): `cpack -G DEB` in the build directory makes
# libapache2-mod-ocsp-refresh_<version>_<arch>.deb with the right files,
# control fields, conffiles and maintainer scripts; unpacked into a temporary
# root, its own .so, .load and .conf (and its example vhost) pass
# `apache2 -t` and staple for real. Nothing is installed system-wide.
#
# OCSPR_BUILD_DIR: the CMake build directory (set by package.cmake; by hand,
# the directory of $OCSPR_MODULE_SO).
set -euo pipefail
# shellcheck source=lib.sh
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
ocspr_t_init package

build=${OCSPR_BUILD_DIR:-$(dirname "${OCSPR_MODULE_SO:?set OCSPR_BUILD_DIR or OCSPR_MODULE_SO}")}
[ -f "$build/CPackConfig.cmake" ] || ocspr_fail "no CPackConfig.cmake in $build (a CMake build directory)"
package=libapache2-mod-ocsp-refresh
# The one place the version is written down.
version=$(sed -n 's/^project(mod_ocsp_refresh VERSION \([0-9][0-9.]*\).*/\1/p' "$OCSPR_TEST_SRCDIR/../CMakeLists.txt")
[ -n "$version" ] || ocspr_fail "no version in the project() line of CMakeLists.txt"
arch=$(dpkg --print-architecture)
moddir=$OCSPR_HTTPD_MODDIR
avail=/etc/apache2/mods-available
doc=/usr/share/doc/$package

# ------------------------------------------------------------- build it
(cd "$T" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$T/cpack") >"$T/cpack.log" 2>&1 \
    || { cat "$T/cpack.log" >&2; ocspr_fail "cpack -G DEB failed"; }
debs=$(cd "$T/cpack" && ls -- *.deb)
ocspr_assert_eq "${package}_${version}_${arch}.deb" "$debs" "package file"
deb=$T/cpack/$debs

# ------------------------------------------------------- control fields
field() { dpkg-deb -f "$deb" "$1"; }
ocspr_assert_eq "$package" "$(field Package)" "Package"
ocspr_assert_eq "$version" "$(field Version)" "Version"
ocspr_assert_eq "$arch" "$(field Architecture)" "Architecture"
depends=$(field Depends)
echo "Depends: $depends"
for dep in "apache2-api-20120211" "apache2-bin (>= 2.4.48)"; do
    [[ ", $depends," == *", $dep,"* ]] || ocspr_fail "Depends lacks '$dep': $depends"
done
ocspr_pass "Depends names httpd's module ABI and apache2-bin >= 2.4.48"

# ------------------------------------------------------------ the files
root=$T/root
mkdir -p "$root"
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$T/control"
files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' | sort)
expected=$(printf '%s\n' "$avail/ocsp_refresh.conf" "$avail/ocsp_refresh.load" \
    "$moddir/mod_ocsp_refresh.so" "$doc/README" "$doc/vhost-example.conf" | sort)
ocspr_assert_eq "$expected" "$files" "files in the package"
so=$root$moddir/mod_ocsp_refresh.so

# The package owning a library file; dpkg's database may name it under /lib
# or /usr/lib (merged /usr), through a symlink or not.
owner_of()
{
    local real cand
    real=$(readlink -f "$1")
    for cand in "$1" "$real" "/usr${1#/usr}" "${1#/usr}" "/usr${real#/usr}" "${real#/usr}"; do
        if dpkg -S "$cand" >/dev/null 2>&1; then
            dpkg -S "$cand" | head -n 1 | cut -d: -f1
            return 0
        fi
    done
    return 1
}

# Every shared library the module needs is a dependency (dpkg-shlibdeps).
needed=$(objdump -p "$so" | awk '$1 == "NEEDED" { print $2 }')
[ -n "$needed" ] || ocspr_fail "objdump found no NEEDED library in $so"
for lib in $needed; do
    path=$(ldd "$so" | awk -v l="$lib" '$1 == l { print $3 }')
    [ -n "$path" ] || ocspr_fail "ldd does not resolve $lib of $so"
    owner=$(owner_of "$path") || ocspr_fail "no package owns $path ($lib)"
    [[ ", $depends," =~ ,\ $owner[\ ,] ]] || ocspr_fail "Depends lacks $owner (for $lib): $depends"
    ocspr_pass "$lib: Depends has $owner"
done

# conffiles: exactly the two Apache drop-ins.
ocspr_assert_eq "$(printf '%s\n' "$avail/ocsp_refresh.conf" "$avail/ocsp_refresh.load")" \
    "$(sort "$T/control/conffiles")" "conffiles"

# The store: the packaged .conf points OCSPRefreshStore at the packaged
# state directory, which postinst hands to www-data and postrm purges.
store=$(awk '$1 == "OCSPRefreshStore" { print $2; exit }' "$root$avail/ocsp_refresh.conf")
[ -n "$store" ] || ocspr_fail "the packaged ocsp_refresh.conf sets no OCSPRefreshStore"
[ -d "$root$store" ] || ocspr_fail "OCSPRefreshStore $store is not a directory of the package"
ocspr_pass "OCSPRefreshStore $store ships as a directory"
for script in postinst prerm postrm; do
    [ -x "$T/control/$script" ] || ocspr_fail "$script missing or not executable"
    sh -n "$T/control/$script" || ocspr_fail "$script: shell syntax error"
    grep -q '/usr/share/apache2/apache2-maintscript-helper' "$T/control/$script" \
        || ocspr_fail "$script does not use apache2-maintscript-helper"
done
grep -Eq "apache2_invoke enmod" "$T/control/postinst" || ocspr_fail "postinst never enables the module"
grep -Eq "chown www-data:www-data \"?\\\$store\"?" "$T/control/postinst" \
    && grep -q "^store=$store\$" "$T/control/postinst" || ocspr_fail "postinst does not hand $store to www-data"
grep -Eq "apache2_invoke dismod" "$T/control/prerm" || ocspr_fail "prerm never disables the module"
grep -q "rm -rf $store\$" "$T/control/postrm" || ocspr_fail "postrm purge does not remove $store"
ocspr_pass "maintainer scripts: enable, disable, store ownership and purge"

# ------------------------------------------- the packaged files, for real
# The .load must load the .so the package installs; in the temporary root,
# both it and the store path are rewritten to point into $root.
load=$root$avail/ocsp_refresh.load
grep -q "^LoadModule ocsp_refresh_module $moddir/mod_ocsp_refresh.so\$" "$load" \
    || ocspr_fail "$avail/ocsp_refresh.load does not load $moddir/mod_ocsp_refresh.so: $(cat "$load")"
sed -i "s|^LoadModule ocsp_refresh_module .*|LoadModule ocsp_refresh_module $so|" "$load"
sed -i "s|^\\( *OCSPRefreshStore \\).*|\\1$root$store|" "$root$avail/ocsp_refresh.conf"
chmod 700 "$root$store"
if [ "$(id -u)" = 0 ]; then
    chown www-data:www-data "$root$store"   # as postinst does
fi

front_port=$(ocspr_free_port)
port=$(ocspr_free_port)
pki=$T/pki
ocspr_make_pki "$pki" "$front_port"

# The example vhost from the docs, on our port with the test certificate.
vhost=$T/vhost-example.conf
sed -e "s|<VirtualHost \\*:443>|<VirtualHost 127.0.0.1:$port>|" \
    -e "s|ServerName www.example.com|ServerName localhost|" \
    -e "s|^\\( *SSLCertificateFile \\+\\)/.*|\\1$pki/good.chain.pem|" \
    -e "s|^\\( *SSLCertificateKeyFile \\+\\)/.*|\\1$pki/good.key|" \
    "$root$doc/vhost-example.conf" >"$vhost"
for want in "<VirtualHost 127.0.0.1:$port>" "SSLCertificateFile *$pki/good.chain.pem" \
    "SSLCertificateKeyFile *$pki/good.key" "^ *OCSPRefresh On"; do
    grep -Eq "$want" "$vhost" || ocspr_fail "the example vhost no longer has the line /$want/: $(cat "$vhost")"
done

ocspr_write_httpd_conf "$T/httpd.conf" --no-module --listen "$port" -- \
    "Include $load" "Include $root$avail/ocsp_refresh.conf" \
    "LogLevel warn ocsp_refresh:info ssl:warn" "Include $vhost"
out=$("$HTTPD_BIN" -t -f "$T/httpd.conf" 2>&1) || ocspr_fail "apache2 -t with the packaged files: $out"
ocspr_assert_match "Syntax OK" "$out" "apache2 -t with the packaged .so, .load, .conf and example vhost"

ocspr_start_front "$pki" "$front_port"
ocspr_start_httpd "$T/httpd.conf"
status=$(ocspr_wait_staple_status good "$port" localhost 15) \
    || ocspr_fail "no good staple from the packaged module (last: $status)"
ocspr_pass "openssl s_client -status: good staple from the packaged module"
ocspr_curl_cert_status "$port" "$pki/root.pem" || ocspr_fail "curl --cert-status failed (rc $?)"
ocspr_pass "curl --cert-status accepts the staple"
ocspr_wait_until 10 compgen -G "$root$store/*.der" >/dev/null \
    || ocspr_fail "nothing was saved in the packaged store $store"
ocspr_pass "the response is kept in the packaged store directory"
# The binary knows the version the package carries (OCSPR_VERSION, from project()).
grep -Eq "OCSPR0101: .*mod_ocsp_refresh ${version//./\\.}[ ,]" "$OCSPR_HTTPD_ERRORLOG" \
    || ocspr_fail "the startup line (OCSPR0101) does not name version $version"
ocspr_pass "the startup line names version $version"
ocspr_check_error_log
