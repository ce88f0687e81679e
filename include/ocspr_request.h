/* OCSP requests (RFC 6960, RFC 5019 profile). */
#ifndef OCSPR_REQUEST_H
#define OCSPR_REQUEST_H

#include "ocspr_cert.h"

/* DER of an OCSPRequest for one certificate: a single Request whose CertID
 * uses SHA-1 (the RFC 5019 profile every responder supports), unsigned, with a
 * nonce extension only when with_nonce is set (RFC 5019: responders may cache
 * and pre-sign, nonces defeat that). Allocated from p. */
apr_status_t ocspr_request_build(unsigned char **pder, apr_size_t *plen, apr_pool_t *p,
                                 const ocspr_cert_t *cert, const ocspr_cert_t *issuer,
                                 int with_nonce);

/* The GET form of a request (RFC 5019 section 5): base_url + "/" +
 * url-encoded base64 of the DER ('+', '/', '=' escaped, RFC 6960 A.1);
 * trailing slashes of base_url are folded into that one "/". NULL when the
 * resulting URL would exceed 255 bytes, where RFC 5019 says to use POST, or
 * when base_url or the DER is missing. APR_EINVAL from ocspr_request_build
 * when cert or issuer is NULL. */
const char *ocspr_request_get_url(apr_pool_t *p, const char *base_url,
                                  const unsigned char *der, apr_size_t len);

#endif /* OCSPR_REQUEST_H */
