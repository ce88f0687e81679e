#!/usr/bin/env bash
# Install the Debian 12 packages that building, the demo and the tests need.
# Does nothing when they are all present; needs root (or sudo) otherwise.
set -euo pipefail

packages=(
    # build
    gcc make cmake pkg-config apache2 apache2-dev libapr1-dev libaprutil1-dev libssl-dev check
    # tests and demo: real responder, real clients, the responder front
    openssl curl python3 procps iproute2
    # the status page tests: a real browser and a strict Prometheus parser
    chromium python3-prometheus-client
    # the shared-cache (fleet) test
    memcached
)

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
run=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    run=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
"${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
