#!/usr/bin/env bash
# Regenerate the fuzzers' fixed data and seed inputs from a fresh test PKI
# (test/pki/make-pki.sh) and `openssl ocsp`:
#
#   test/fuzz/make-seeds.sh
#
# data/              the certificates fuzz_response validates against (int,
#                    good, revoked) and `now`, the time the seeds were made:
#                    the fuzzer validates at that fixed time, so the seeds stay
#                    valid and every run is reproducible.
# corpus/*/seed-*    seeds; every other file in a corpus directory is a
#                    regression input (a crasher, kept) and is left alone.
# Commit the result: seeds only match the data they were made with.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$here/../pki/make-pki.sh" "$work/pki" 18080 >/dev/null
cd "$work/pki"

mkdir -p "$here/data" "$here/corpus/response" "$here/corpus/cert" "$here/corpus/record"
rm -f "$here"/corpus/*/seed-*
cp int.pem good.pem revoked.pem "$here/data/"
date -u +%s > "$here/data/now"

# respond NAME SIGNER "REQUEST ARGS" "RESPONDER ARGS"
respond() {
    # shellcheck disable=SC2086
    openssl ocsp -issuer int.pem $3 -no_nonce -reqout "$work/req.der" 2>/dev/null
    # shellcheck disable=SC2086
    openssl ocsp -index index.txt -CA int.pem -rsigner "$2.pem" -rkey "$2.key" \
        -reqin "$work/req.der" -respout "$here/corpus/response/seed-$1.der" -ndays 30 $4 \
        >/dev/null 2>&1
}
respond good-delegated ocsp "-cert good.pem" ""
respond good-by-issuer int "-cert good.pem" ""
respond good-by-key ocsp "-cert good.pem" "-resp_key_id"
respond good-issuer-no-certs int "-cert good.pem" "-resp_no_certs"
respond good-ec ocsp "-cert good-ec.pem" ""
respond revoked ocsp "-cert revoked.pem" ""
respond good-and-revoked ocsp "-cert good.pem -cert revoked.pem" ""
respond good-twice ocsp "-cert good.pem -cert good.pem" ""
respond good-sha256-certid ocsp "-sha256 -cert good.pem" ""
respond no-eku-signer ocsp-noeku "-cert good.pem" ""
respond other-ca-signer ocsp-other "-cert good.pem" ""
printf '\x30\x03\x0a\x01\x03' > "$here/corpus/response/seed-trylater.der"

cp good.pem "$here/corpus/cert/seed-good.pem"
cp good.chain.pem "$here/corpus/cert/seed-chain.pem"
cp aianewline.pem "$here/corpus/cert/seed-aianewline.pem"
cp mustaple.pem "$here/corpus/cert/seed-mustaple.pem"
cat good-ec.key good-ec.pem > "$here/corpus/cert/seed-key-and-cert.pem"
openssl x509 -in good.pem -outform DER -out "$here/corpus/cert/seed-good.der"
openssl crl2pkcs7 -nocrl -certfile good.chain.pem -outform DER \
    -out "$here/corpus/cert/seed-chain.p7b.der"
openssl crl2pkcs7 -nocrl -certfile good.chain.pem -out "$here/corpus/cert/seed-chain.p7b.pem"

# Records (ocspr_record.h layout) around real responses: the certificate id
# of good, then the header, then the response.
be64() { printf '%016x' "$1" | sed 's/../\\x&/g'; }
record() { # NAME STATUS DER-FILE
    local now_us=$(( $(cat "$here/data/now") * 1000000 )) len
    len=$(stat -c %s "$3")
    {
        printf 'OCSR\x02'; printf "\\x$(printf %02x "$2")"; printf '\x00\x00'
        openssl x509 -in good.pem -outform DER | openssl sha1 -binary
        printf "$(be64 "$now_us")$(be64 "$now_us")$(be64 $((now_us + 30 * 86400 * 1000000)))"
        printf "$(printf '%08x' "$len" | sed 's/../\\x&/g')\\x00\\x00\\x00\\x00"
        cat "$3"
    } > "$here/corpus/record/seed-$1.rec"
}
record good 1 "$here/corpus/response/seed-good-delegated.der"
record revoked 2 "$here/corpus/response/seed-revoked.der"
record tiny 3 "$here/corpus/response/seed-trylater.der"
ls "$here"/corpus/*/ | head -50
