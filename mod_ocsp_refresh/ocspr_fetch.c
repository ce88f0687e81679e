/* One fetch: request, transport, validation. */
#include <string.h>
#include <apr_strings.h>

#include "ocspr_fetch.h"
#include "ocspr_request.h"

apr_status_t ocspr_fetch_response(ocspr_fetch_result_t *res, apr_pool_t *p,
                                  const ocspr_cert_t *cert, const ocspr_cert_t *issuer,
                                  const char *url, const ocspr_http_transport_t *transport,
                                  const ocspr_http_opts_t *http_opts,
                                  const ocspr_validate_opts_t *validate_opts)
{
    ocspr_http_result_t http;
    unsigned char *req;
    apr_size_t req_len;
    apr_status_t rv;

    memset(res, 0, sizeof(*res));
    memset(&http, 0, sizeof(http));
    rv = ocspr_request_build(&req, &req_len, p, cert, issuer, 0);
    if (rv != APR_SUCCESS) {
        res->outcome = OCSPR_OUTCOME_INTERNAL;
        res->reason = "could not build the OCSP request for this certificate";
        return OCSPR_EFETCH;
    }
    rv = transport->fetch(transport->baton, &http, p, url, req, req_len, http_opts);
    res->http_status = http.http_status;
    res->latency = http.latency;
    if (rv != APR_SUCCESS) {
        res->outcome = http.outcome != OCSPR_OUTCOME_OK ? http.outcome : OCSPR_OUTCOME_INTERNAL;
        res->reason = http.reason ? http.reason : "transport failed without a reason";
        return OCSPR_EFETCH;
    }
    rv = ocspr_response_validate(&res->info, p, http.body, http.body_len, cert, issuer,
                                 validate_opts);
    if (rv != APR_SUCCESS) {
        /* A responder that answers but refuses (tryLater, unauthorized...)
         * is told apart from one that sends something we cannot trust. */
        res->outcome = res->info.reject == OCSPR_REJECT_RESPONSE_STATUS
                           ? OCSPR_OUTCOME_RESPONDER : OCSPR_OUTCOME_INVALID;
        res->reason = apr_psprintf(p, "response from %s rejected (%s): %s", url,
                                   ocspr_reject_name(res->info.reject),
                                   res->info.reason ? res->info.reason : "no detail");
        return OCSPR_EFETCH;
    }
    res->outcome = OCSPR_OUTCOME_OK;
    res->reason = apr_psprintf(p, "%s response, %" APR_SIZE_T_FMT " bytes in %" APR_TIME_T_FMT
                               " ms", ocspr_cert_status_name(res->info.cert_status),
                               http.body_len, apr_time_as_msec(http.latency));
    res->der = http.body;
    res->der_len = http.body_len;
    return APR_SUCCESS;
}
