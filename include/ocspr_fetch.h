/* One fetch: build the request, send it through a transport, validate the
 * answer. The engine's only way to obtain a response. */
#ifndef OCSPR_FETCH_H
#define OCSPR_FETCH_H

#include "ocspr_http.h"
#include "ocspr_response.h"

typedef struct {
    ocspr_outcome_t outcome;          /* OK only for a response that validated */
    const char *reason;               /* specific human-readable reason; never NULL */
    int http_status;
    apr_interval_time_t latency;
    ocspr_response_info_t info;       /* filled when the body was validated */
    const unsigned char *der;         /* the validated response (OK only) */
    apr_size_t der_len;
} ocspr_fetch_result_t;

/* Fetch and validate a response for cert (issued by issuer) from url.
 * APR_SUCCESS when res->outcome is OK, OCSPR_EFETCH otherwise. */
apr_status_t ocspr_fetch_response(ocspr_fetch_result_t *res, apr_pool_t *p,
                                  const ocspr_cert_t *cert, const ocspr_cert_t *issuer,
                                  const char *url, const ocspr_http_transport_t *transport,
                                  const ocspr_http_opts_t *http_opts,
                                  const ocspr_validate_opts_t *validate_opts);

#endif /* OCSPR_FETCH_H */
