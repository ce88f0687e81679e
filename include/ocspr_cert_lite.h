/* Certificates parsed without their public key, for an analysis that reads
 * thousands of certificates and needs the key of few: the chain diagnostics
 * at `apachectl -t`.
 *
 * Why: OpenSSL 3.0's d2i_X509 decodes the SubjectPublicKeyInfo at once
 * through the provider decoders (OSSL_DECODER_CTX_new_for_pkey), about ten
 * times the cost of the rest of the parse and half of `apachectl -t` at
 * 5,000 vhosts. A certificate parsed in a library context that offers no key
 * type keeps its key undecoded, as OpenSSL does for any algorithm it does
 * not support; all the rest is OpenSSL's own parse: names, serial, validity,
 * extensions (X509_check_ca, key identifiers, AIA, TLS Feature), the SHA-1
 * id, and X509_check_issued with the certificate as the subject. What needs
 * the key (the issuer side of X509_check_issued once the names match, a
 * signature) uses the full parse, made once, on first need. A self-issued
 * certificate is parsed in full at once: OpenSSL's self-signed flag, and so
 * X509_check_ca of a v1 root, depends on its key type. */
#ifndef OCSPR_CERT_LITE_H
#define OCSPR_CERT_LITE_H

#include "ocspr_cert.h"

/* The key-less library context shared by the certificates of a run. */
typedef struct ocspr_cert_lite_ctx_t ocspr_cert_lite_ctx_t;
typedef struct ocspr_cert_lite_t ocspr_cert_lite_t;

/* Freed with p: create it before the certificates (its cleanup must run
 * after theirs). */
apr_status_t ocspr_cert_lite_ctx_create(ocspr_cert_lite_ctx_t **pctx, apr_pool_t *p);

/* Exactly one DER certificate of len bytes, as d2i_X509 accepts it (no
 * trailing bytes); OCSPR_EINVALID otherwise. Owned by p. */
apr_status_t ocspr_cert_lite_parse(ocspr_cert_lite_t **pcert, ocspr_cert_lite_ctx_t *ctx,
                                   apr_pool_t *p, const unsigned char *der, apr_size_t len);

/* A certificate already parsed in full (the general loader's, a CA store's). */
ocspr_cert_lite_t *ocspr_cert_lite_of(apr_pool_t *p, const ocspr_cert_t *full);

/* The certificate for everything but its public key: ocspr_cert_id,
 * _subject, _issuer_name, _serial, _not_before/_after, _subject_key_id
 * (the fallback hashes the key's bits, not the decoded key),
 * _authority_key_id, _ocsp_urls, _ca_issuers_urls, _must_staple, _is_ca,
 * _is_self_signed; X509_NAME_* on its names; X509_check_issued with it as
 * the subject. Never its key, nor a signature by or over it. */
const ocspr_cert_t *ocspr_cert_lite_view(const ocspr_cert_lite_t *cert);
/* Its X509, under the same rule. */
X509 *ocspr_cert_lite_x509(const ocspr_cert_lite_t *cert);

/* The SHA-1 of the DER (ocspr_cert_id), computed once. */
const unsigned char *ocspr_cert_lite_id(const ocspr_cert_lite_t *cert);

/* The full parse, made on the first call; NULL if OpenSSL fails. */
const ocspr_cert_t *ocspr_cert_lite_full(const ocspr_cert_lite_t *cert);

/* X509_check_issued(issuer, subject): X509_V_OK, or why not. */
int ocspr_cert_lite_check_issued(const ocspr_cert_lite_t *issuer,
                                 const ocspr_cert_lite_t *subject);

/* ocspr_cert_issued_by (name, key identifiers, signature) on the full parses. */
int ocspr_cert_lite_issued_by(const ocspr_cert_lite_t *cert, const ocspr_cert_lite_t *issuer);

#endif /* OCSPR_CERT_LITE_H */
