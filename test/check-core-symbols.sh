#!/usr/bin/env bash
# Fails when the core library defines or references any httpd symbol (ap_*,
# AP_*, unixd_*): the core must link without a server.
set -euo pipefail
lib=${1:?usage: check-core-symbols.sh LIBRARY}
bad=$(nm -A "$lib" | awk '{print $NF}' | grep -E '^(ap_|AP_|unixd_|ap_hook_)' || true)
if [ -n "$bad" ]; then
    echo "httpd symbols in $lib:" >&2
    echo "$bad" >&2
    exit 1
fi
echo "no httpd symbols in $(basename "$lib") ($(nm "$lib" | grep -c ' T ') functions defined)"
