#!/usr/bin/env bash
# Benchmark, run by hand (see test/bench/README.md): how long `apache2 -t`
# takes with many SSL vhosts, with and without mod_ocsp_refresh (whose chain
# diagnostics run at -t and before every `apachectl graceful`).
#
#   test/bench/diag-t.sh [--module SO] [--vhosts "1000 5000"] [--runs 5] [--chain-bundle PEM]
#
# For each vhost count N: N name-based SSL vhosts on one port, each with its
# own certificate (distinct leaves of the test PKI's intermediate, one shared
# key). Half keep the chain in the certificate file, half use one shared
# SSLCertificateChainFile; every vhost inherits one global
# SSLCACertificateFile. With --chain-bundle (e.g. the system's
# /etc/ssl/certs/ca-certificates.crt), the shared chain file is the
# intermediate followed by that bundle, as when an admin points
# SSLCertificateChainFile at a CA bundle: every such vhost then gets a
# foreign-intermediate warning naming the bundle's certificates.
# Each configuration is timed --runs times with `apache2 -t -f CONF`; the
# medians of wall clock and CPU time (user + system) and their ratios to the
# configuration without the module (same files, same run) are printed.
# Prints figures, never fails on them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
OCSPR_TEST_SRCDIR=${OCSPR_TEST_SRCDIR:-$(cd "$here/.." && pwd)}
OCSPR_MODULE_SO=${OCSPR_MODULE_SO:-$OCSPR_TEST_SRCDIR/../build/mod_ocsp_refresh.so}
counts="1000 5000"
runs=5
bundle=
while [ $# -gt 0 ]; do
    case $1 in
        --module) OCSPR_MODULE_SO=$2; shift 2 ;;
        --vhosts) counts=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --chain-bundle) bundle=$(realpath "$2"); shift 2 ;;
        *) echo "usage: $0 [--module SO] [--vhosts \"N...\"] [--runs R] [--chain-bundle PEM]" >&2
           exit 2 ;;
    esac
done
export OCSPR_TEST_SRCDIR OCSPR_MODULE_SO
. "$OCSPR_TEST_SRCDIR/integration/lib.sh"
[ -f "$OCSPR_MODULE_SO" ] || { echo "module $OCSPR_MODULE_SO not found (--module)" >&2; exit 2; }
OCSPR_MODULE_SO=$(realpath "$OCSPR_MODULE_SO")
ocspr_t_init bench_diag_t
echo "module $OCSPR_MODULE_SO, $(nproc) CPUs, $(openssl version), $("$HTTPD_BIN" -v | head -n 1)"

pki=$T/pki
ocspr_make_pki "$pki" 18080
port=8443     # never bound: -t only reads the configuration
chain_file=$pki/int.pem
if [ -n "$bundle" ]; then
    chain_file=$T/chain-bundle.pem
    cat "$pki/int.pem" "$bundle" > "$chain_file"
    echo "shared chain file: the intermediate and $(grep -c 'BEGIN CERTIFICATE' "$bundle") certificates of $bundle"
fi

# make_leaves N DIR: N leaf certificates of the intermediate, one shared key:
# DIR/leafI.pem (leaf only) and DIR/leafI.chain.pem (leaf + intermediate).
make_leaves()
{
    python3 - "$1" "$2" "$pki" <<'EOF'
import datetime, os, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID, AuthorityInformationAccessOID as AIA

n, out, pki = int(sys.argv[1]), sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
load = lambda f: open(os.path.join(pki, f), "rb").read()
int_cert = x509.load_pem_x509_certificate(load("int.pem"))
int_key = serialization.load_pem_private_key(load("int.key"), None)
leaf_key = serialization.load_pem_private_key(load("good.key"), None)
int_pem = int_cert.public_bytes(serialization.Encoding.PEM)
now = datetime.datetime.now(datetime.timezone.utc)
aia = x509.AuthorityInformationAccess([
    x509.AccessDescription(AIA.OCSP, x509.UniformResourceIdentifier("http://127.0.0.1:18080/ocsp")),
    x509.AccessDescription(AIA.CA_ISSUERS, x509.UniformResourceIdentifier("http://127.0.0.1:18080/int.cer"))])
akid = x509.AuthorityKeyIdentifier.from_issuer_public_key(int_key.public_key())
for i in range(n):
    name = "v%d.bench.test" % i
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(int_cert.subject).public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
            .add_extension(aia, False).add_extension(akid, False)
            .sign(int_key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    open(os.path.join(out, "leaf%d.pem" % i), "wb").write(pem)
    open(os.path.join(out, "leaf%d.chain.pem" % i), "wb").write(pem + int_pem)
EOF
}

# write_conf N DIR MODULE(yes|no) CONF
write_conf()
{
    local n=$1 dir=$2 module=$3 conf=$4 i
    local -a opts=(--listen "$port" --loglevel warn)
    [ "$module" = yes ] || opts+=(--no-module)
    {
        ocspr_httpd_base_conf "${opts[@]}" --dir "$T/inst"
        echo "SSLCACertificateFile \"$pki/root.pem\""
        [ "$module" = yes ] && echo "OCSPRefresh On"
        for ((i = 0; i < n; i++)); do
            echo "<VirtualHost 127.0.0.1:$port>"
            echo "    ServerName v$i.bench.test"
            echo "    SSLEngine on"
            if ((i % 2)); then
                echo "    SSLCertificateFile \"$dir/leaf$i.chain.pem\""
            else
                echo "    SSLCertificateFile \"$dir/leaf$i.pem\""
                echo "    SSLCertificateChainFile \"$chain_file\""
            fi
            echo "    SSLCertificateKeyFile \"$pki/good.key\""
            echo "</VirtualHost>"
        done
    } > "$conf"
}

# time_t CONF: "WALL_MS CPU_MS" of one `apache2 -t -f CONF` (CPU: user +
# system, which a machine shared with other work inflates less than the wall
# clock); fails if the check fails.
time_t()
{
    /usr/bin/time -o "$1.time" -f '%e %U %S' "$HTTPD_BIN" -t -f "$1" >"$1.out" 2>&1 \
        || { cat "$1.out" >&2; return 1; }
    awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' "$1.time"
}

median()
{
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

declare -A result=() cpu_result=()
for n in $counts; do
    dir=$T/leaves-$n
    echo "== $n vhosts: making $n certificates"
    make_leaves "$n" "$dir"
    for module in no yes; do
        conf=$T/t-$n-$module.conf
        write_conf "$n" "$dir" "$module" "$conf"
        walls=()
        cpus=()
        for ((r = 0; r < runs; r++)); do
            read -r wall cpu <<<"$(time_t "$conf")"
            walls+=("$wall")
            cpus+=("$cpu")
        done
        result[$n-$module]=$(median "${walls[@]}")
        cpu_result[$n-$module]=$(median "${cpus[@]}")
        echo "   module=$module: wall ${walls[*]} ms, cpu ${cpus[*]} ms"
    done
    grep -F OCSPR0400 "$T/t-$n-yes.conf.out" || true
done

ratio()
{
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'
}

echo
echo "apache2 -t, median of $runs runs, ms (wall clock; CPU = user + system), load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %-6s | %-11s | %-11s | %-10s | %-10s | %-9s | %-9s |\n' vhosts "wall without" "wall with" \
    "cpu without" "cpu with" "wall ratio" "cpu ratio"
printf '|--------|-------------|-------------|------------|------------|-----------|-----------|\n'
for n in $counts; do
    printf '| %-6s | %-11s | %-11s | %-10s | %-10s | %-9s | %-9s |\n' "$n" "${result[$n-no]}" \
        "${result[$n-yes]}" "${cpu_result[$n-no]}" "${cpu_result[$n-yes]}" \
        "$(ratio "${result[$n-yes]}" "${result[$n-no]}")" \
        "$(ratio "${cpu_result[$n-yes]}" "${cpu_result[$n-no]}")"
done
