#!/usr/bin/env bash
# Install the Debian 12 packages that building, the demo and the tests need,
# and bring OpenSSL up to date with apache2: Debian's apache2-bin is built
# against the newest OpenSSL 3.0 point release, and mod_ssl warns (AH01882)
# in every error log when the loaded libssl3 is older.
# Does nothing when everything is present and current; needs root (or sudo) otherwise.
set -euo pipefail

packages=(
    # build
    gcc make cmake pkg-config apache2 apache2-dev libapr1-dev libaprutil1-dev libssl-dev check
    # tests and demo: real responder, real clients, the responder front
    openssl curl python3 procps iproute2
    # the status page tests: a real browser and a strict Prometheus parser
    chromium python3-prometheus-client
    # the fleet tests: both shared-cache servers httpd's socache speaks to
    memcached redis-server
    # fuzzing (libFuzzer ships in clang's runtime package) and the Debian package
    clang libclang-rt-14-dev dpkg-dev
)
# Upgraded together with apache2 whenever the archive has a newer one.
openssl_set=(libssl3 openssl libssl-dev)

run=()
if [ "$(id -u)" -ne 0 ]; then
    run=(sudo)
fi
apt_get() {
    if [ ${#run[@]} -gt 0 ] && ! command -v sudo >/dev/null; then
        echo "need root (or sudo) to run: apt-get $*" >&2; exit 1
    fi
    DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get "$@" </dev/null
}
installed_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
candidate_version() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p'; }

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    apt_get update -qq
    apt_get install -y -qq --no-install-recommends "${missing[@]}"
fi

have=$(installed_version libssl3)
want=$(candidate_version libssl3)
if [ -n "$have" ] && [ -n "$want" ] && [ "$want" != "(none)" ] \
        && dpkg --compare-versions "$want" gt "$have"; then
    echo "upgrading ${openssl_set[*]} from $have to $want, the OpenSSL apache2's mod_ssl is built against"
    apt_get install -y -qq --no-install-recommends --only-upgrade "${openssl_set[@]}"
fi
