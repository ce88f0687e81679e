/* The status for machines: Prometheus text format 0.0.4 (?prometheus) and
 * mod_status's ?auto lines. */
#include <stdlib.h>

#include "ocspr_status_int.h"

/* The statuses the Prometheus status gauge enumerates. */
static const char *const status_names[] = { "good", "revoked", "unknown", "none",
                                            "not_applicable" };

#define A(o, s) put((o), ocspr_status_auto_escape((o)->p, (s)))

/* --- Prometheus -------------------------------------------------------------- */

static void prom_family(out_t *o, const char *name, const char *type, const char *help)
{
    putf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

typedef enum { SAMPLE_ALL, SAMPLE_STAPLED, SAMPLE_HELD, SAMPLE_ATTEMPTED } sample_when_t;

static int sample_applies(const ocspr_status_row_t *row, sample_when_t when)
{
    switch (when) {
    case SAMPLE_STAPLED:
        return row->responder_url != NULL && !row->not_applicable;
    case SAMPLE_HELD:
        return has_response(row) && row->responder_url != NULL;
    case SAMPLE_ATTEMPTED:
        return row->responder_url != NULL && row->last_attempt != 0;
    default:
        return 1;
    }
}

/* A per-certificate gauge: one sample per row that `when` selects. */
static void prom_gauge(out_t *o, const ocspr_status_page_t *page, const char **labels,
                       const char *name, const char *help, sample_when_t when,
                       apr_int64_t (*value)(const ocspr_status_row_t *, apr_time_t))
{
    int i;

    prom_family(o, name, "gauge", help);
    for (i = 0; i < NROWS(page); i++) {
        const ocspr_status_row_t *row = ROW(page, i);

        if (sample_applies(row, when)) {
            putf(o, "%s{%s} %" APR_INT64_T_FMT "\n", name, labels[i], value(row, page->now));
        }
    }
}

static apr_int64_t v_valid_seconds(const ocspr_status_row_t *r, apr_time_t now)
{
    return seconds_until(r->next_update, now);
}

static apr_int64_t v_next_update(const ocspr_status_row_t *r, apr_time_t now)
{
    return apr_time_sec(r->next_update);
}

static apr_int64_t v_next_refresh(const ocspr_status_row_t *r, apr_time_t now)
{
    return r->refresh_requested || !r->next_attempt ? 0 : seconds_until(r->next_attempt, now);
}

static apr_int64_t v_cert_expiry(const ocspr_status_row_t *r, apr_time_t now)
{
    return seconds_until(r->cert_not_after, now);
}

static apr_int64_t v_failures(const ocspr_status_row_t *r, apr_time_t now)
{
    return r->consecutive_failures;
}

static apr_int64_t v_size(const ocspr_status_row_t *r, apr_time_t now)
{
    return (apr_int64_t)r->response_len;
}

static apr_int64_t v_last_attempt(const ocspr_status_row_t *r, apr_time_t now)
{
    return apr_time_sec(r->last_attempt);
}

static apr_int64_t v_stapled(const ocspr_status_row_t *r, apr_time_t now)
{
    return ocspr_status_row_stapled(r, now);
}

/* The fleet exchange, as totals: the exchange is one thing shared by every
 * certificate, its alerts are about the exchange (rejections mean a peer or
 * someone with access to it writes bad records), and three series per
 * certificate would add 15,000 series at 5,000 certificates for numbers the
 * JSON already has per certificate, with the last rejection's reason. */
static void prom_fleet(out_t *o, const ocspr_status_page_t *page,
                       const ocspr_status_summary_t *sum)
{
    static const struct {
        const char *name, *help;
    } counters[] = {
        { "ocsp_refresh_fleet_adopted_total",
          "Responses taken from the fleet exchange instead of a fetch, over every certificate." },
        { "ocsp_refresh_fleet_published_total",
          "Responses this host put into the fleet exchange, over every certificate." },
        { "ocsp_refresh_fleet_rejected_total",
          "Records read from the fleet exchange and refused (invalid, foreign, older)." },
        { "ocsp_refresh_fleet_errors_total",
          "Calls to the fleet exchange that failed (not counting absent records)." },
    };
    const apr_uint64_t values[] = { sum->fleet_adopted, sum->fleet_published,
                                    sum->fleet_rejected, page->fleet_errors };
    int i;

    if (!page->fleet_desc) {
        return;
    }
    prom_family(o, "ocsp_refresh_fleet_info", "gauge",
                "The fleet exchange this host uses; the value is always 1.");
    putf(o, "ocsp_refresh_fleet_info{exchange=\"%s\"} 1\n",
         ocspr_status_prom_escape(o->p, page->fleet_desc));
    for (i = 0; i < (int)(sizeof(counters) / sizeof(counters[0])); i++) {
        prom_family(o, counters[i].name, "counter", counters[i].help);
        putf(o, "%s %" APR_UINT64_T_FMT "\n", counters[i].name, values[i]);
    }
    if (page->fleet_last_ok) {
        prom_family(o, "ocsp_refresh_fleet_last_ok_timestamp_seconds", "gauge",
                    "The last successful call to the fleet exchange (Unix time).");
        putf(o, "ocsp_refresh_fleet_last_ok_timestamp_seconds %" APR_INT64_T_FMT "\n",
             (apr_int64_t)apr_time_sec(page->fleet_last_ok));
    }
    if (page->fleet_last_error_time) {
        prom_family(o, "ocsp_refresh_fleet_last_error_timestamp_seconds", "gauge",
                    "The last failed call to the fleet exchange (Unix time).");
        putf(o, "ocsp_refresh_fleet_last_error_timestamp_seconds %" APR_INT64_T_FMT "\n",
             (apr_int64_t)apr_time_sec(page->fleet_last_error_time));
    }
}

void ocspr_status_render_prometheus(const ocspr_status_page_t *page, ocspr_write_fn *write,
                                    void *baton, apr_pool_t *p)
{
    ocspr_status_summary_t sum;
    const char **labels;
    out_t o;
    int i, k;

    out_init(&o, write, baton, p);
    ocspr_status_summarize(&sum, page);
    /* Every per-certificate series carries the id (stable, unique) and the
     * subject (for people reading an alert). */
    labels = apr_palloc(p, sizeof(*labels) * (apr_size_t)(NROWS(page) + 1));
    for (i = 0; i < NROWS(page); i++) {
        labels[i] = apr_psprintf(p, "id=\"%s\",subject=\"%s\"",
                                 ocspr_status_prom_escape(p, ROW(page, i)->id),
                                 ocspr_status_prom_escape(p, ROW(page, i)->subject));
    }

    prom_family(&o, "ocsp_refresh_build_info", "gauge",
                "The running mod_ocsp_refresh; the value is always 1.");
    putf(&o, "ocsp_refresh_build_info{version=\"%s\"} 1\n",
         ocspr_status_prom_escape(o.p, page->version ? page->version : "unknown"));
    prom_family(&o, "ocsp_refresh_active", "gauge",
                "1 when mod_ocsp_refresh staples at least one certificate.");
    putf(&o, "ocsp_refresh_active %d\n", page->active ? 1 : 0);
    prom_family(&o, "ocsp_refresh_certificates", "gauge",
                "Certificates of vhosts with OCSPRefresh On, by state.");
    for (i = 0; i < OCSPR_STATE_COUNT; i++) {
        putf(&o, "ocsp_refresh_certificates{state=\"%s\"} %d\n", ocspr_status_state_name((ocspr_status_state_t)i),
             sum.by_state[i]);
    }
    if (page->last_tick) {
        prom_family(&o, "ocsp_refresh_last_check_timestamp_seconds", "gauge",
                    "When the refreshing child last checked every certificate (Unix time).");
        putf(&o, "ocsp_refresh_last_check_timestamp_seconds %" APR_INT64_T_FMT "\n",
             (apr_int64_t)apr_time_sec(page->last_tick));
    }
    prom_fleet(&o, page, &sum);
    if (!NROWS(page)) {
        out_done(&o);
        return;
    }

    prom_family(&o, "ocsp_refresh_certificate_info", "gauge",
                "Facts about each certificate; the value is always 1.");
    for (i = 0; i < NROWS(page); i++) {
        const ocspr_status_row_t *row = ROW(page, i);

        putf(&o, "ocsp_refresh_certificate_info{%s,serial=\"%s\",issuer=\"%s\",key_type=\"%s\","
                 "responder=\"%s\",vhosts=\"%s\",must_staple=\"%s\"} 1\n", labels[i],
             ocspr_status_prom_escape(o.p, row->serial),
             ocspr_status_prom_escape(o.p, row->issuer),
             ocspr_status_prom_escape(o.p, row->key_type),
             ocspr_status_prom_escape(o.p, row->responder_url),
             ocspr_status_prom_escape(o.p, vhost_list(o.p, row, ',')),
             row->must_staple ? "true" : "false");
        apr_pool_clear(o.p);
    }

    prom_family(&o, "ocsp_refresh_certificate_status", "gauge",
                "1 for the status of the staple handshakes get now (good, revoked, unknown, "
                "none: nothing stapled, not_applicable), 0 for the others.");
    for (i = 0; i < NROWS(page); i++) {
        const char *status = ocspr_status_row_status_name(ROW(page, i), page->now);

        for (k = 0; k < (int)(sizeof(status_names) / sizeof(status_names[0])); k++) {
            putf(&o, "ocsp_refresh_certificate_status{%s,status=\"%s\"} %d\n", labels[i],
                 status_names[k], strcmp(status, status_names[k]) ? 0 : 1);
        }
        apr_pool_clear(o.p);
    }

    prom_gauge(&o, page, labels, "ocsp_refresh_certificate_stapled",
               "1 when handshakes get a valid response now (held and served), else 0.",
               SAMPLE_STAPLED, v_stapled);
    prom_gauge(&o, page, labels, "ocsp_refresh_response_valid_seconds",
               "Seconds until the held response's nextUpdate (negative: expired).",
               SAMPLE_HELD, v_valid_seconds);
    prom_gauge(&o, page, labels, "ocsp_refresh_response_next_update_timestamp_seconds",
               "The held response's nextUpdate (Unix time).", SAMPLE_HELD, v_next_update);
    prom_gauge(&o, page, labels, "ocsp_refresh_response_size_bytes",
               "Size of the held response (DER).", SAMPLE_HELD, v_size);
    prom_gauge(&o, page, labels, "ocsp_refresh_next_refresh_seconds",
               "Seconds until the next fetch attempt (0: due or requested now).",
               SAMPLE_STAPLED, v_next_refresh);
    prom_gauge(&o, page, labels, "ocsp_refresh_certificate_expiry_seconds",
               "Seconds until the certificate's own notAfter (negative: expired).",
               SAMPLE_ALL, v_cert_expiry);
    prom_gauge(&o, page, labels, "ocsp_refresh_consecutive_failures",
               "Fetch attempts that failed in a row (0 after a success).", SAMPLE_STAPLED,
               v_failures);
    prom_gauge(&o, page, labels, "ocsp_refresh_last_attempt_timestamp_seconds",
               "When the last fetch attempt ended (Unix time).", SAMPLE_ATTEMPTED,
               v_last_attempt);

    prom_family(&o, "ocsp_refresh_last_fetch_latency_seconds", "gauge",
                "Duration of the last fetch attempt.");
    for (i = 0; i < NROWS(page); i++) {
        if (sample_applies(ROW(page, i), SAMPLE_ATTEMPTED)) {
            putf(&o, "ocsp_refresh_last_fetch_latency_seconds{%s} %.6f\n", labels[i],
                 (double)ROW(page, i)->last_latency / APR_USEC_PER_SEC);
        }
    }

    prom_family(&o, "ocsp_refresh_fetch_attempts_total", "counter",
                "Fetch attempts since the server started, by outcome (ok or the failure's "
                "class).");
    for (i = 0; i < NROWS(page); i++) {
        const ocspr_status_row_t *row = ROW(page, i);

        if (!sample_applies(row, SAMPLE_STAPLED)) {
            continue;
        }
        for (k = 0; k < OCSPR_OUTCOME_COUNT; k++) {
            /* ok always, so that every stapled certificate has the family. */
            if (row->attempts[k] || k == OCSPR_OUTCOME_OK) {
                putf(&o, "ocsp_refresh_fetch_attempts_total{%s,outcome=\"%s\"} %"
                         APR_UINT64_T_FMT "\n", labels[i],
                     ocspr_outcome_name((ocspr_outcome_t)k), row->attempts[k]);
            }
        }
    }
    prom_family(&o, "ocsp_refresh_fetch_failures_total", "counter",
                "Failed fetch attempts since the server started.");
    for (i = 0; i < NROWS(page); i++) {
        if (sample_applies(ROW(page, i), SAMPLE_STAPLED)) {
            putf(&o, "ocsp_refresh_fetch_failures_total{%s} %" APR_UINT64_T_FMT "\n", labels[i],
                 failures_total(ROW(page, i)));
        }
    }
    out_done(&o);
}

/* --- mod_status ?auto ---------------------------------------------------------- */

static void auto_fleet(out_t *o, const ocspr_status_page_t *page,
                       const ocspr_status_summary_t *sum)
{
    if (!page->fleet_desc) {
        return;
    }
    put(o, "OCSPRefreshFleet: ");
    A(o, page->fleet_desc);
    putf(o, "\nOCSPRefreshFleetAdopted: %" APR_UINT64_T_FMT "\n", sum->fleet_adopted);
    putf(o, "OCSPRefreshFleetPublished: %" APR_UINT64_T_FMT "\n", sum->fleet_published);
    putf(o, "OCSPRefreshFleetRejected: %" APR_UINT64_T_FMT "\n", sum->fleet_rejected);
    putf(o, "OCSPRefreshFleetErrors: %" APR_UINT64_T_FMT "\n", page->fleet_errors);
    if (page->fleet_last_ok) {
        putf(o, "OCSPRefreshFleetLastOk: %s\n", ocspr_time_rfc3339(o->p, page->fleet_last_ok));
    }
    if (page->fleet_last_error_time) {
        putf(o, "OCSPRefreshFleetLastErrorTime: %s\nOCSPRefreshFleetLastError: ",
             ocspr_time_rfc3339(o->p, page->fleet_last_error_time));
        A(o, page->fleet_last_error);
        put(o, "\n");
    }
}

void ocspr_status_render_auto(const ocspr_status_page_t *page, ocspr_write_fn *write,
                              void *baton, apr_pool_t *p)
{
    ocspr_status_summary_t sum;
    out_t o;
    int i;

    out_init(&o, write, baton, p);
    ocspr_status_summarize(&sum, page);
    put(&o, "OCSPRefreshVersion: ");
    A(&o, page->version ? page->version : "unknown");
    putf(&o, "\nOCSPRefreshActive: %d\n", page->active ? 1 : 0);
    putf(&o, "OCSPRefreshCertificates: %d\n", sum.total);
    putf(&o, "OCSPRefreshStapled: %d\n", sum.stapled);
    for (i = 0; i < OCSPR_STATE_COUNT; i++) {
        putf(&o, "OCSPRefresh%s: %d\n", ocspr_status_state_camel((ocspr_status_state_t)i), sum.by_state[i]);
    }
    if (sum.soonest_response) {
        putf(&o, "OCSPRefreshSoonestExpirySeconds: %" APR_INT64_T_FMT "\n",
             seconds_until(sum.soonest_response->next_update, page->now));
    }
    auto_fleet(&o, page, &sum);
    for (i = 0; i < NROWS(page); i++) {
        const ocspr_status_row_t *row = ROW(page, i);
        const char *k = apr_psprintf(o.p, "OCSPRefreshCert%d", i);
        int attempted = row->responder_url && row->last_attempt;

        putf(&o, "%sId: ", k);
        A(&o, row->id);
        putf(&o, "\n%sSubject: ", k);
        A(&o, row->subject);
        putf(&o, "\n%sVhosts: ", k);
        A(&o, vhost_list(o.p, row, ' '));
        putf(&o, "\n%sState: %s\n", k,
             ocspr_status_state_name(ocspr_status_row_state(row, page->now)));
        putf(&o, "%sStatus: %s\n", k, ocspr_status_row_status_name(row, page->now));
        putf(&o, "%sStapled: %d\n", k, ocspr_status_row_stapled(row, page->now));
        if (row->source && has_response(row)) {
            putf(&o, "%sSource: ", k);
            A(&o, row->source);
            put(&o, "\n");
        }
        if (ocspr_status_row_holds_response(row, page->now)) {
            putf(&o, "%sNextUpdate: %s\n", k, ocspr_time_rfc3339(o.p, row->next_update));
            putf(&o, "%sValidSeconds: %" APR_INT64_T_FMT "\n", k,
                 seconds_until(row->next_update, page->now));
        }
        if (row->responder_url && row->next_attempt) {
            putf(&o, "%sNextRefreshSeconds: %" APR_INT64_T_FMT "\n", k,
                 row->refresh_requested ? 0 : seconds_until(row->next_attempt, page->now));
        }
        if (attempted) {
            putf(&o, "%sLastOutcome: %s\n", k,
                 ocspr_outcome_name((ocspr_outcome_t)row->last_outcome));
        }
        putf(&o, "%sConsecutiveFailures: %d\n", k, row->consecutive_failures);
        if (row->fleet_rejected) {
            putf(&o, "%sFleetRejected: %" APR_UINT64_T_FMT "\n", k, row->fleet_rejected);
        }
        apr_pool_clear(o.p);
    }
    out_done(&o);
}
