#!/usr/bin/env bash
# Make a throw-away test PKI: root CA, intermediate CA, delegated OCSP
# responders (valid and broken), leaf certificates, and the index file that
# `openssl ocsp` serves from. Every URL in the certificates points at
# 127.0.0.1:PORT, where a test runs its responder front (test/pki/ocsp-front.py).
#
#   make-pki.sh OUTDIR PORT
#
# OUTDIR layout (all PEM unless named .der):
#   root.{pem,key}          Test Root CA (self-signed)
#   int.{pem,key}           Test Intermediate CA, issued by root; int.der too
#   ocsp.{pem,key}          delegated responder: issued by int, EKU OCSPSigning, ocsp-nocheck
#   ocsp-noeku.{pem,key}    issued by int, no OCSPSigning EKU        (must be rejected)
#   other-root.{pem,key}    an unrelated CA
#   ocsp-other.{pem,key}    EKU OCSPSigning but issued by other-root  (must be rejected)
#   int-otherkey.{pem,key}  same subject as int, another key         (diagnostics)
#   <leaf>.{pem,key}        leaf certificate and key; <leaf>.chain.pem = leaf + int
#     good        RSA, OCSP + caIssuers AIA, SAN localhost/127.0.0.1
#     good-ec     ECDSA P-256, same AIA
#     revoked     RSA, revoked (keyCompromise) in the index
#     mustaple    RSA with the TLS Feature status_request (Must-Staple)
#     noocsp      RSA without any AIA
#     httpsocsp   RSA whose OCSP URL is https://
#     expired     RSA, expired yesterday
#     aianewline  RSA whose OCSP URL carries a newline and a forged log line (must be refused)
#   index.txt               `openssl ocsp -index` database for int
#   ca-chain.pem            int + root
#   ports                   the PORT the URLs use
# Idempotent for a given OUTDIR: an existing complete PKI is kept.
set -euo pipefail

out=${1:?usage: make-pki.sh OUTDIR PORT}
port=${2:?usage: make-pki.sh OUTDIR PORT}
if [ -f "$out/index.txt" ] && [ -f "$out/aianewline.pem" ] \
    && [ "$(cat "$out/ports" 2>/dev/null)" = "$port" ]; then
    exit 0
fi
mkdir -p "$out"
cd "$out"
rm -f ./*.pem ./*.key ./*.der ./*.srl index.txt ./*.ext ./*.csr

base="http://127.0.0.1:$port"
days=365
subj_root="/O=ocspr test/CN=Test Root CA"
subj_int="/O=ocspr test/CN=Test Intermediate CA"

rsa_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# sign NAME SUBJECT ISSUER EXTFILE [DAYS, or -1 for an already expired certificate]
sign() {
    local name=$1 subj=$2 issuer=$3 ext=$4 validity=${5:-$days}
    openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr" 2>/dev/null
    if [ "$validity" = "-1" ]; then
        expired_cert "$name" "$issuer" "$ext"
    else
        openssl x509 -req -in "$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" \
            -set_serial "0x$(openssl rand -hex 8)" -days "$validity" -extfile "$ext" \
            -out "$name.pem" 2>/dev/null
    fi
    rm -f "$name.csr"
}

# OpenSSL 3.0's x509 cannot backdate: use `openssl ca` with explicit dates in
# a private throw-away CA database.
expired_cert() {
    local name=$1 issuer=$2 ext=$3 db
    db=$(mktemp -d)
    touch "$db/index.txt"
    openssl rand -hex 8 > "$db/serial"
    cat > "$db/ca.cnf" <<CNF
[ca]
default_ca = tmp
[tmp]
database = $db/index.txt
serial = $db/serial
new_certs_dir = $db
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
organizationName = optional
CNF
    openssl req -new -key "$name.key" -subj "/O=ocspr test/CN=$name.test" -out "$db/req.csr" 2>/dev/null
    openssl ca -batch -config "$db/ca.cnf" -cert "$issuer.pem" -keyfile "$issuer.key" \
        -startdate "$(date -u -d '-3 days' +%Y%m%d%H%M%SZ)" \
        -enddate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" \
        -extfile "$ext" -in "$db/req.csr" -out "$name.pem" -notext 2>/dev/null
    rm -rf "$db"
}

cat > ca.ext <<EXT
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
cat > int.ext <<EXT
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
authorityInfoAccess = caIssuers;URI:$base/root.cer
EXT
cat > responder.ext <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
cat > responder-noeku.ext <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
leaf_ext() { # FILE AIA-LINE [EXTRA-LINE]
    cat > "$1" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1
$2
${3:-}
EXT
}
aia="authorityInfoAccess = OCSP;URI:$base/ocsp, caIssuers;URI:$base/int.cer"
leaf_ext leaf.ext "$aia"
leaf_ext mustaple.ext "$aia" "tlsfeature = status_request"
leaf_ext noocsp.ext ""
# DER of an AIA extension whose OCSP URI carries raw bytes a config file
# cannot spell (a newline): SEQUENCE { SEQUENCE { id-ad-ocsp, [6] URI } }.
der_tlv() { # TAG-HEX BODY-HEX (short-form lengths only)
    printf '%s%02x%s' "$1" $((${#2} / 2)) "$2"
}
aia_ocsp_der() { # URL
    local uri
    uri=$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')
    der_tlv 30 "$(der_tlv 30 "06082b06010505073001$(der_tlv 86 "$uri")")"
}
leaf_ext aianewline.ext "authorityInfoAccess = DER:$(aia_ocsp_der "$base/ocsp"$'\n'"[error] forged log line")"
leaf_ext httpsocsp.ext "authorityInfoAccess = OCSP;URI:https://127.0.0.1:$port/ocsp, caIssuers;URI:$base/int.cer"

rsa_key root.key
openssl req -new -x509 -key root.key -subj "$subj_root" -days $((days * 2)) \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" -out root.pem 2>/dev/null
rsa_key other-root.key
openssl req -new -x509 -key other-root.key -subj "/O=ocspr elsewhere/CN=Other Root CA" \
    -days $((days * 2)) -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -addext "subjectKeyIdentifier=hash" \
    -out other-root.pem 2>/dev/null

rsa_key int.key
sign int "$subj_int" root int.ext $((days * 2))
openssl x509 -in int.pem -outform DER -out int.der
rsa_key int-otherkey.key
sign int-otherkey "$subj_int" root int.ext $((days * 2))

rsa_key ocsp.key;        sign ocsp "/O=ocspr test/CN=Test OCSP Responder" int responder.ext
rsa_key ocsp-noeku.key;  sign ocsp-noeku "/O=ocspr test/CN=Test OCSP No EKU" int responder-noeku.ext
rsa_key ocsp-other.key;  sign ocsp-other "/O=ocspr test/CN=Test OCSP Other CA" other-root responder.ext

rsa_key good.key;      sign good "/O=ocspr test/CN=good.test" int leaf.ext
ec_key good-ec.key;    sign good-ec "/O=ocspr test/CN=good.test" int leaf.ext
rsa_key revoked.key;   sign revoked "/O=ocspr test/CN=revoked.test" int leaf.ext
rsa_key mustaple.key;  sign mustaple "/O=ocspr test/CN=mustaple.test" int mustaple.ext
rsa_key noocsp.key;    sign noocsp "/O=ocspr test/CN=noocsp.test" int noocsp.ext
rsa_key httpsocsp.key; sign httpsocsp "/O=ocspr test/CN=httpsocsp.test" int httpsocsp.ext
rsa_key expired.key;   sign expired "/O=ocspr test/CN=expired.test" int leaf.ext -1
rsa_key aianewline.key; sign aianewline "/O=ocspr test/CN=aianewline.test" int aianewline.ext

for leaf in good good-ec revoked mustaple noocsp httpsocsp expired aianewline; do
    cat "$leaf.pem" int.pem > "$leaf.chain.pem"
done
cat int.pem root.pem > ca-chain.pem

# index.txt: status, expiry (YYMMDDHHMMSSZ), revocation, serial, file, subject
index_line() { # STATUS CERT [REVOCATION]
    local serial enddate subject
    serial=$(openssl x509 -in "$2" -noout -serial | cut -d= -f2)
    enddate=$(date -u -d "$(openssl x509 -in "$2" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
    subject=$(openssl x509 -in "$2" -noout -subject -nameopt compat | sed 's/^subject=//')
    printf '%s\t%s\t%s\t%s\tunknown\t%s\n' "$1" "$enddate" "${3:-}" "$serial" "$subject"
}
{
    for leaf in good good-ec mustaple noocsp httpsocsp expired aianewline; do
        index_line V "$leaf.pem"
    done
    index_line R revoked.pem "$(date -u -d '-1 hour' +%y%m%d%H%M%SZ),keyCompromise"
} > index.txt
echo "unique_subject = no" > index.txt.attr
rm -f ./*.ext ./*.srl
echo "$port" > ports
