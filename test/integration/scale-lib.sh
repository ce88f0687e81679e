# shellcheck shell=bash
# Many certificates, fast: shared by the scale test (t_scale.sh) and the
# scale benchmark (test/bench/scale.sh). Source it after lib.sh.
#
#   scale_make_sites PKI PORT N   N leaves "site0".."site<N-1>" in PKI/sites
#   scale_site_vhost PORT I [LINE...]   the SNI vhost of site I
#   scale_sample N K              K site numbers spread over 0..N-1, both ends
#   scale_json_summary FILE FIELD       a field of a status ?json's "summary"
#
# Every vhost is site<I>.scale.test. One EC key and one certificate request
# serve every leaf (SAN *.scale.test covers every vhost name, so mod_ssl and
# curl see a matching name); each leaf has its own serial, so its OCSP CertID
# and its certificate id are its own. One `openssl ca` run signs all of them
# with the test PKI's intermediate and lists them as valid in the PKI's
# index.txt, which the responder front serves from: 5,000 certificates take
# seconds, not one process each.

SCALE_DOMAIN=scale.test
SCALE_SITES=            # PKI/sites, set by scale_make_sites

# scale_make_sites PKI PORT N: the leaves for a PKI made by ocspr_make_pki
# with PORT (their AIA points at the front on PORT): PKI/sites/site.key and
# PKI/sites/site<I>.chain.pem (leaf, then the intermediate). Call it before
# the front starts (it rewrites index.txt).
scale_make_sites()
{
    local pki=${1:?usage: scale_make_sites PKI PORT N} port=${2:?} n=${3:?} dir i cert
    dir=$pki/sites
    SCALE_SITES=$dir
    rm -rf "$dir"
    mkdir -p "$dir/new"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/site.key" 2>/dev/null
    openssl req -new -key "$dir/site.key" -subj "/O=ocspr scale/CN=*.$SCALE_DOMAIN" \
        -out "$dir/site.csr" 2>/dev/null
    printf '5CA1E%011X\n' "$((RANDOM * 32768 + RANDOM))" > "$dir/serial"
    cat > "$dir/ca.cnf" <<EOF
[ca]
default_ca = scale
[scale]
database = $pki/index.txt
serial = $dir/serial
new_certs_dir = $dir/new
certificate = $pki/int.pem
private_key = $pki/int.key
default_md = sha256
default_days = 30
policy = any
unique_subject = no
email_in_dn = no
x509_extensions = leaf
[any]
organizationName = optional
commonName = supplied
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:*.$SCALE_DOMAIN
authorityInfoAccess = OCSP;URI:http://127.0.0.1:$port/ocsp, caIssuers;URI:http://127.0.0.1:$port/int.cer
EOF
    # The same request N times: one process signs them all, in order.
    local -a requests=()
    for ((i = 0; i < n; i++)); do
        requests+=(site.csr)
    done
    (cd "$dir" && openssl ca -batch -config ca.cnf -notext -out /dev/null \
        -infiles "${requests[@]}") > "$dir/ca.log" 2>&1 \
        || { cat "$dir/ca.log" >&2; ocspr_fail "openssl ca could not sign $n leaves"; }
    # new/ holds one SERIAL.pem each; the serials are consecutive, of one
    # width, so their names sort in signing order.
    i=0
    while read -r cert; do
        cat "$dir/new/$cert" "$pki/int.pem" > "$dir/site$i.chain.pem"
        i=$((i + 1))
    done < <(ls "$dir/new")
    [ "$i" = "$n" ] || ocspr_fail "openssl ca wrote $i leaves, not $n"
    rm -rf "$dir/new" "$dir/site.csr"
    chmod -R a+rX "$pki"
}

# scale_site_vhost PORT I [LINE...]: ocspr_vhost for site I (its ServerName
# and chain), with each LINE inside.
scale_site_vhost()
{
    local port=${1:?usage: scale_site_vhost PORT I [LINE...]} i=${2:?}
    shift 2
    ocspr_vhost "$port" "$SCALE_SITES/site$i.chain.pem" "$SCALE_SITES/site.key" \
        "ServerName site$i.$SCALE_DOMAIN" "$@"
}

# scale_sample N K: K distinct site numbers spread evenly over 0..N-1, the
# first and the last included (all of them when K >= N).
scale_sample()
{
    local n=${1:?usage: scale_sample N K} k=${2:?} j
    if [ "$k" -ge "$n" ]; then
        seq 0 $((n - 1))
        return
    fi
    for ((j = 0; j < k; j++)); do
        echo $(( j * (n - 1) / (k - 1) ))
    done
}

# scale_json_summary FILE FIELD: summary.FIELD of a saved ?json status page.
scale_json_summary()
{
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["summary"][sys.argv[2]])' \
        "${1:?usage: scale_json_summary FILE FIELD}" "${2:?}"
}
