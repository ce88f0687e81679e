/* Certificates and chains: loading, identity, extensions, issuer search. */
#ifndef OCSPR_CERT_H
#define OCSPR_CERT_H

#include <apr_tables.h>
#include <openssl/x509.h>
#include "ocspr.h"

#define OCSPR_CERT_ID_LEN 20   /* SHA-1 of the DER, as mod_ssl passes to the prime hook */
/* Largest certificate file or buffer we parse: real chains are a few KiB, and
 * a cap keeps a wrong path (a log, a disk image) from exhausting memory. */
#define OCSPR_CERT_FILE_MAX (4 * 1024 * 1024)

/* A certificate owned by a pool: the X509 is freed when the pool is. */
typedef struct ocspr_cert_t ocspr_cert_t;

typedef enum {
    OCSPR_FORMAT_UNKNOWN = 0,
    OCSPR_FORMAT_PEM,      /* one or more PEM CERTIFICATE blocks */
    OCSPR_FORMAT_DER,      /* a single DER certificate */
    OCSPR_FORMAT_PKCS7     /* PKCS#7 (DER or PEM) bundle */
} ocspr_cert_format_t;

/* Take ownership of x (freed with p). */
ocspr_cert_t *ocspr_cert_wrap(apr_pool_t *p, X509 *x);
/* The underlying certificate; still owned by the wrapper. */
X509 *ocspr_cert_x509(const ocspr_cert_t *cert);

/* Load every certificate from memory / a file, in order. The format is
 * detected (PEM, DER, PKCS#7) and reported through pformat (may be NULL).
 * A file with no certificate is OCSPR_EINVALID; an unreadable file returns the
 * APR error. *pcerts is an array of ocspr_cert_t*. Private keys and other PEM
 * blocks in the same file are skipped.
 * PEM: CERTIFICATE, X509 CERTIFICATE and TRUSTED CERTIFICATE blocks; PKCS7
 * blocks (and PKCS#7 under a CERTIFICATE label, as some CAs ship) contribute
 * their certificates and make the format OCSPR_FORMAT_PKCS7. A broken
 * certificate block (truncated, bad base64, bad DER) fails the whole load.
 * DER: exactly one certificate or one PKCS#7 bundle, no trailing bytes.
 * Input over OCSPR_CERT_FILE_MAX is OCSPR_EINVALID. On failure *pcerts is
 * NULL and *pformat OCSPR_FORMAT_UNKNOWN. */
apr_status_t ocspr_chain_load_mem(apr_array_header_t **pcerts, ocspr_cert_format_t *pformat,
                                  apr_pool_t *p, const void *data, apr_size_t len);
apr_status_t ocspr_chain_load_file(apr_array_header_t **pcerts, ocspr_cert_format_t *pformat,
                                   apr_pool_t *p, const char *path);

/* SHA-1 over the certificate's DER: the id mod_ssl gives ssl_ocsp_prime_hook. */
apr_status_t ocspr_cert_id(unsigned char id[OCSPR_CERT_ID_LEN], const ocspr_cert_t *cert);

/* Descriptions for logs and status pages, allocated from p. */
const char *ocspr_cert_subject(const ocspr_cert_t *cert, apr_pool_t *p);   /* RFC 2253 one-line */
const char *ocspr_cert_issuer_name(const ocspr_cert_t *cert, apr_pool_t *p);
const char *ocspr_cert_serial(const ocspr_cert_t *cert, apr_pool_t *p);    /* uppercase hex */
const char *ocspr_cert_key_type(const ocspr_cert_t *cert, apr_pool_t *p);  /* "RSA-2048", "EC-prime256v1" */
/* Validity bounds; 0 when unparseable or before 1970. */
/* An ASN.1 time as apr_time_t (whole seconds). OCSPR_EINVALID when it does
 * not parse or lies before 1970; the OpenSSL error queue is left as it was. */
apr_status_t ocspr_asn1_time_get(apr_time_t *pt, const ASN1_TIME *t);
apr_time_t ocspr_cert_not_before(const ocspr_cert_t *cert);
apr_time_t ocspr_cert_not_after(const ocspr_cert_t *cert);
/* Key identifiers as colon-free uppercase hex, or NULL when absent. The subject
 * key id falls back to the SHA-1 of the public key when the extension is absent. */
const char *ocspr_cert_subject_key_id(const ocspr_cert_t *cert, apr_pool_t *p);
const char *ocspr_cert_authority_key_id(const ocspr_cert_t *cert, apr_pool_t *p);
int ocspr_cert_is_self_signed(const ocspr_cert_t *cert);
int ocspr_cert_is_ca(const ocspr_cert_t *cert);

/* Authority Information Access URLs (arrays of const char*, possibly empty).
 * Only URLs of visible ASCII (0x21-0x7E) are listed: any other byte (a
 * newline that would forge a log line, a space, NUL, UTF-8) refuses the URL,
 * and the _refusal functions say why. */
apr_array_header_t *ocspr_cert_ocsp_urls(const ocspr_cert_t *cert, apr_pool_t *p);
apr_array_header_t *ocspr_cert_ca_issuers_urls(const ocspr_cert_t *cert, apr_pool_t *p);
/* Why the first refused OCSP / caIssuers URL of the certificate was refused,
 * or NULL when none was, e.g. `responder URL "http://a/\x0aX" contains a
 * control character (0x0a) at offset 9` (the URL escaped for a log line). */
const char *ocspr_cert_ocsp_url_refusal(const ocspr_cert_t *cert, apr_pool_t *p);
const char *ocspr_cert_ca_issuers_url_refusal(const ocspr_cert_t *cert, apr_pool_t *p);
/* The same rule for any URL from outside (`what` names it in the reason,
 * e.g. "responder URL"): NULL when url (len bytes, may contain NUL) is
 * non-empty visible ASCII, else why not. */
const char *ocspr_url_refusal(apr_pool_t *p, const char *what, const void *url, apr_size_t len);

/* TLS Feature extension (RFC 7633) with status_request (5): "Must-Staple". */
int ocspr_cert_must_staple(const ocspr_cert_t *cert);

/* Does `issuer` sign `cert`? Name match, key identifier match when both are
 * present, and the signature verifies with issuer's public key. */
int ocspr_cert_issued_by(const ocspr_cert_t *cert, const ocspr_cert_t *issuer);

#endif /* OCSPR_CERT_H */
