/* The status page's rows, its action checks and its formats' headers. */
#include <string.h>
#include <strings.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "ocspr_status_model.h"

/* The HTTP statuses a refused action answers with. */
#define HTTP_STATUS_BAD_REQUEST 400
#define HTTP_STATUS_FORBIDDEN   403
#define HTTP_STATUS_METHOD_NOT_ALLOWED 405

#define TOKEN_BYTES 16

void ocspr_status_row_init(ocspr_status_row_t *row, apr_pool_t *p, const ocspr_cert_t *cert)
{
    memset(row, 0, sizeof(*row));
    row->subject = ocspr_cert_subject(cert, p);
    row->serial = ocspr_cert_serial(cert, p);
    row->issuer = ocspr_cert_issuer_name(cert, p);
    row->key_type = ocspr_cert_key_type(cert, p);
    row->cert_not_after = ocspr_cert_not_after(cert);
    row->revocation_reason = -1;
}

void ocspr_status_page_fill(ocspr_status_page_t *page, const ocspr_registry_t *reg,
                            const ocspr_cert_state_t *states,
                            const ocspr_engine_shared_t *shared, const char *fleet_desc,
                            apr_pool_t *p)
{
    int i;

    page->rows = apr_array_make(p, reg ? reg->entries->nelts : 0, sizeof(ocspr_status_row_t));
    for (i = 0; reg && i < reg->entries->nelts; i++) {
        const ocspr_entry_t *entry = APR_ARRAY_IDX(reg->entries, i, ocspr_entry_t *);
        ocspr_status_row_t *row = apr_array_push(page->rows);

        ocspr_status_row_init(row, p, entry->cert);
        row->id = entry->id_hex;
        row->vhosts = entry->vhosts;
        row->must_staple = entry->must_staple;
        row->responder_url = entry->url;
        row->not_applicable = entry->not_applicable;
        if (states && entry->slot >= 0) {
            ocspr_status_row_from_state(row, &states[entry->slot]);
        }
    }
    if (!shared) {
        return;
    }
    page->active = 1;
    page->leader_pid = shared->leader_pid;
    page->leader_since = shared->leader_since;
    page->last_tick = shared->last_pass;
    if (fleet_desc) {
        page->fleet_desc = fleet_desc;
        page->fleet_errors = shared->fleet.errors;
        page->fleet_last_ok = shared->fleet.last_ok;
        page->fleet_last_error_time = shared->fleet.last_error_time;
        page->fleet_last_error = apr_pstrdup(p, shared->fleet.last_error);
    }
}

void ocspr_status_row_from_state(ocspr_status_row_t *row, const ocspr_cert_state_t *st)
{
    row->cert_status = st->cert_status;
    row->this_update = st->this_update;
    row->next_update = st->next_update;
    row->produced_at = st->produced_at;
    row->revoked_at = st->revoked_at;
    row->revocation_reason = st->revocation_reason;
    row->fetched = st->obtained;
    row->response_len = st->response_len;
    row->source = st->source == OCSPR_SOURCE_NONE ? NULL
                  : ocspr_source_name((ocspr_source_t)st->source);
    row->served = st->served;
    row->next_attempt = st->next_attempt;
    row->refresh_requested = st->refresh_requested;
    row->last_attempt = st->last_attempt;
    row->last_outcome = st->last_outcome;
    row->last_reason = st->last_reason;
    row->consecutive_failures = st->consecutive_failures;
    row->last_latency = st->last_latency;
    memcpy(row->attempts, st->outcomes, sizeof(row->attempts));
    row->fleet_adopted = st->fleet_adopted;
    row->fleet_published = st->fleet_published;
    row->fleet_rejected = st->fleet_rejected;
    row->fleet_reject_reason = st->fleet_reject_reason;
}

apr_status_t ocspr_status_new_token(const char **ptoken, apr_pool_t *p)
{
    unsigned char raw[TOKEN_BYTES];
    apr_status_t rv = apr_generate_random_bytes(raw, sizeof(raw));

    *ptoken = rv == APR_SUCCESS ? ocspr_hex(p, raw, sizeof(raw)) : NULL;
    return rv;
}

const char *ocspr_status_get_refusal(int *status, ocspr_status_query_t *q, apr_pool_t *p,
                                     const char *args)
{
    const char *why = ocspr_status_parse_query(q, p, args);

    if (why) {
        *status = HTTP_STATUS_BAD_REQUEST;
        return apr_pstrcat(p, "Bad query string: ", why, ".", NULL);
    }
    if (q->has_action) {
        *status = HTTP_STATUS_METHOD_NOT_ALLOWED;
        return "Actions need a POST from the status page's form; a GET never changes anything.";
    }
    return NULL;
}

/* Browsers send Origin (and Sec-Fetch-Site) with every POST. */
static const char *cross_site(apr_pool_t *p, const char *origin, const char *fetch_site,
                              const char *own_origin)
{
    if (fetch_site && strcasecmp(fetch_site, "same-origin") && strcasecmp(fetch_site, "none")) {
        return apr_psprintf(p, "the request comes from another site (Sec-Fetch-Site: %s)",
                            fetch_site);
    }
    if (!origin) {
        return NULL;
    }
    if (!own_origin || strcasecmp(origin, own_origin)) {
        return apr_psprintf(p, "the request's Origin %s is not this page's origin %s", origin,
                            own_origin ? own_origin : "(no Host header)");
    }
    return NULL;
}

const char *ocspr_status_action_refusal(int *status, apr_pool_t *p, int enabled,
                                        const char *origin, const char *fetch_site,
                                        const char *own_origin)
{
    const char *why;

    *status = HTTP_STATUS_FORBIDDEN;
    if (!enabled) {
        return "Actions on the OCSP status page are disabled (OCSPRefreshStatusActions Off).";
    }
    why = cross_site(p, origin, fetch_site, own_origin);
    return why ? apr_pstrcat(p, "Refused: ", why, ".", NULL) : NULL;
}

const char *ocspr_status_form_refusal(int *status, const char *action, const char *token,
                                      const char *expected_token)
{
    if (!action || strcmp(action, "refresh")) {
        *status = HTTP_STATUS_BAD_REQUEST;
        return "Unknown action (only action=refresh exists).";
    }
    if (!expected_token || !token || !ocspr_status_tokens_equal(token, expected_token)) {
        *status = HTTP_STATUS_FORBIDDEN;
        return "The form is stale or forged (its token does not match this server "
               "generation's): reload the status page and retry.";
    }
    return NULL;
}

int ocspr_status_tokens_equal(const char *given, const char *expected)
{
    apr_size_t n = strlen(expected), i;
    unsigned char diff = 0;

    if (strlen(given) != n) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        diff |= (unsigned char)(given[i] ^ expected[i]);
    }
    return diff == 0;
}

const char *const *ocspr_status_headers(apr_pool_t *p, ocspr_status_format_t format)
{
    static const char *const json[] = {
        "Content-Type", "application/json",
        "Cache-Control", "no-store", "X-Content-Type-Options", "nosniff", NULL
    };
    static const char *const prometheus[] = {
        "Content-Type", "text/plain; version=0.0.4; charset=utf-8",
        "Cache-Control", "no-store", "X-Content-Type-Options", "nosniff", NULL
    };
    const char **html;

    switch (format) {
    case OCSPR_STATUS_FORMAT_JSON:
        return json;
    case OCSPR_STATUS_FORMAT_PROMETHEUS:
        return prometheus;
    default:
        /* Built per call: the CSP comes from the renderer. */
        html = apr_palloc(p, 13 * sizeof(*html));
        html[0] = "Content-Type";
        html[1] = "text/html; charset=utf-8";
        html[2] = "Cache-Control";
        html[3] = "no-store";
        html[4] = "X-Content-Type-Options";
        html[5] = "nosniff";
        html[6] = "Content-Security-Policy";
        html[7] = ocspr_status_html_csp(p);
        html[8] = "Referrer-Policy";
        html[9] = "no-referrer";
        html[10] = "X-Frame-Options";
        html[11] = "DENY";
        html[12] = NULL;
        return html;
    }
}

void ocspr_status_render(const ocspr_status_page_t *page, ocspr_status_format_t format,
                         ocspr_write_fn *write, void *baton, apr_pool_t *p)
{
    switch (format) {
    case OCSPR_STATUS_FORMAT_JSON:
        ocspr_status_render_json(page, write, baton, p);
        break;
    case OCSPR_STATUS_FORMAT_PROMETHEUS:
        ocspr_status_render_prometheus(page, write, baton, p);
        break;
    default:
        ocspr_status_render_html(page, write, baton, p);
        break;
    }
}

const char *ocspr_status_refresh_notice(apr_pool_t *p, const char *subject)
{
    return apr_pstrcat(p, "Refresh of ", subject, " requested: the refreshing child fetches it "
                       "within a few seconds. Reload this page to see the outcome.", NULL);
}
