/* The status page as JSON (?json). */
#include <stdlib.h>

#include "ocspr_status_int.h"

/* --- JSON -------------------------------------------------------------------- */

/* A JSON object being written: members are separated by commas and
 * indented by depth. */
typedef struct {
    out_t *o;
    int depth;
    int first;
} jobj_t;

static void j_key(jobj_t *j, const char *key)
{
    static const char spaces[] = "                ";
    int indent = j->depth * 2 < (int)sizeof(spaces) - 1 ? j->depth * 2 : (int)sizeof(spaces) - 1;

    put(j->o, j->first ? "\n" : ",\n");
    j->first = 0;
    put(j->o, spaces + sizeof(spaces) - 1 - indent);
    putf(j->o, "\"%s\": ", key);
}

static void j_open(jobj_t *child, jobj_t *parent, const char *key, const char *bracket)
{
    if (parent) {
        j_key(parent, key);
    }
    put(parent ? parent->o : child->o, bracket);
    child->depth = parent ? parent->depth + 1 : 1;
    child->first = 1;
    if (parent) {
        child->o = parent->o;
    }
}

static void j_close(jobj_t *j, const char *bracket)
{
    static const char spaces[] = "                ";
    int indent = (j->depth - 1) * 2;

    if (!j->first) {
        put(j->o, "\n");
        put(j->o, spaces + sizeof(spaces) - 1 - (indent < 16 ? indent : 16));
    }
    put(j->o, bracket);
}

static void j_str(jobj_t *j, const char *key, const char *value)
{
    j_key(j, key);
    if (value) {
        putf(j->o, "\"%s\"", ocspr_status_json_escape(j->o->p, value));
    }
    else {
        put(j->o, "null");
    }
}

static void j_int(jobj_t *j, const char *key, apr_int64_t value)
{
    j_key(j, key);
    putf(j->o, "%" APR_INT64_T_FMT, value);
}

static void j_bool(jobj_t *j, const char *key, int value)
{
    j_key(j, key);
    put(j->o, value ? "true" : "false");
}

static void j_null(jobj_t *j, const char *key)
{
    j_key(j, key);
    put(j->o, "null");
}

/* A timestamp as two members: KEY (RFC 3339) and KEY_epoch (seconds);
 * both null when t is 0 or !present. */
static void j_time(jobj_t *j, const char *key, apr_time_t t, int present)
{
    const char *epoch_key = apr_pstrcat(j->o->p, key, "_epoch", NULL);

    if (!t || !present) {
        j_null(j, key);
        j_null(j, epoch_key);
        return;
    }
    j_str(j, key, ocspr_time_rfc3339(j->o->p, t));
    j_int(j, epoch_key, apr_time_sec(t));
}

static void j_seconds_until(jobj_t *j, const char *key, apr_time_t t, int present,
                            apr_time_t now)
{
    if (!t || !present) {
        j_null(j, key);
    }
    else {
        j_int(j, key, seconds_until(t, now));
    }
}

static void j_u64(jobj_t *j, const char *key, apr_uint64_t value)
{
    j_key(j, key);
    putf(j->o, "%" APR_UINT64_T_FMT, value);
}

static void json_row(jobj_t *list, const ocspr_status_row_t *row, apr_time_t now)
{
    ocspr_status_state_t state = ocspr_status_row_state(row, now);
    int held = has_response(row), stapled = row->responder_url != NULL;
    int attempted = stapled && row->last_attempt, i;
    jobj_t j, sub;

    put(list->o, list->first ? "\n" : ",\n");
    list->first = 0;
    put(list->o, "    {");
    j.o = list->o;
    j.depth = 3;
    j.first = 1;
    j_str(&j, "id", row->id);
    j_open(&sub, &j, "vhosts", "[");
    for (i = 0; row->vhosts && i < row->vhosts->nelts; i++) {
        putf(sub.o, "%s\"%s\"", i ? ", " : "",
             ocspr_status_json_escape(sub.o->p, APR_ARRAY_IDX(row->vhosts, i, const char *)));
    }
    put(sub.o, "]");
    j_str(&j, "subject", row->subject);
    j_str(&j, "serial", row->serial);
    j_str(&j, "issuer", row->issuer);
    j_str(&j, "key_type", row->key_type);
    j_bool(&j, "must_staple", row->must_staple);
    j_time(&j, "certificate_not_after", row->cert_not_after, 1);
    j_seconds_until(&j, "certificate_seconds_left", row->cert_not_after, 1, now);
    j_str(&j, "responder_url", row->responder_url);
    j_str(&j, "not_applicable_reason", state == OCSPR_STATE_NOT_APPLICABLE
                                       ? (row->not_applicable ? row->not_applicable
                                                              : "no OCSP responder")
                                       : NULL);
    j_str(&j, "state", ocspr_status_state_name(state));
    j_str(&j, "status", ocspr_status_row_status_name(row, now));
    j_bool(&j, "stapled", ocspr_status_row_stapled(row, now));
    j_bool(&j, "served", held && row->served);
    j_str(&j, "held_status", ocspr_status_row_held_status_name(row, now));
    j_str(&j, "not_served_reason", state == OCSPR_STATE_NOT_SERVED
                                   ? "held but missing from the serving cache" : NULL);
    j_time(&j, "revocation_time", row->revoked_at,
           held && row->cert_status == OCSPR_CERT_STATUS_REVOKED);
    j_str(&j, "revocation_reason", held && row->cert_status == OCSPR_CERT_STATUS_REVOKED
                                   ? ocspr_revocation_reason_name(row->revocation_reason) : NULL);
    j_time(&j, "this_update", row->this_update, held);
    j_time(&j, "next_update", row->next_update, held);
    j_time(&j, "produced_at", row->produced_at, held);
    j_seconds_until(&j, "seconds_left", row->next_update, held, now);
    j_time(&j, "fetched", row->fetched, held);
    j_str(&j, "source", held ? row->source : NULL);
    if (held) {
        j_int(&j, "response_size_bytes", (apr_int64_t)row->response_len);
    }
    else {
        j_null(&j, "response_size_bytes");
    }
    j_time(&j, "next_refresh", row->next_attempt, stapled);
    j_seconds_until(&j, "seconds_to_next_refresh", row->next_attempt, stapled, now);
    j_bool(&j, "refresh_requested", row->refresh_requested);
    j_time(&j, "last_attempt", row->last_attempt, attempted);
    j_str(&j, "last_outcome", attempted
                              ? ocspr_outcome_name((ocspr_outcome_t)row->last_outcome) : NULL);
    j_str(&j, "last_reason", attempted ? row->last_reason : NULL);
    j_key(&j, "last_fetch_latency_seconds");
    if (attempted) {
        putf(j.o, "%.3f", (double)row->last_latency / APR_USEC_PER_SEC);
    }
    else {
        put(j.o, "null");
    }
    j_int(&j, "consecutive_failures", row->consecutive_failures);
    j_open(&sub, &j, "fetch_attempts", "{");
    for (i = 0; i < OCSPR_OUTCOME_COUNT; i++) {
        if (row->attempts[i]) {
            j_int(&sub, ocspr_outcome_name((ocspr_outcome_t)i), (apr_int64_t)row->attempts[i]);
        }
    }
    j_close(&sub, "}");
    j_int(&j, "fetch_failures", (apr_int64_t)failures_total(row));
    j_u64(&j, "fleet_adopted", row->fleet_adopted);
    j_u64(&j, "fleet_published", row->fleet_published);
    j_u64(&j, "fleet_rejected", row->fleet_rejected);
    j_str(&j, "fleet_last_reject_reason",
          row->fleet_reject_reason && *row->fleet_reject_reason ? row->fleet_reject_reason
                                                                 : NULL);
    j_close(&j, "}");
}

/* "fleet": null without a fleet exchange. */
static void json_fleet(jobj_t *top, const ocspr_status_page_t *page,
                       const ocspr_status_summary_t *sum)
{
    jobj_t f;

    if (!page->fleet_desc) {
        j_null(top, "fleet");
        return;
    }
    j_open(&f, top, "fleet", "{");
    j_str(&f, "exchange", page->fleet_desc);
    j_bool(&f, "healthy", page->fleet_last_error_time <= page->fleet_last_ok);
    j_u64(&f, "errors", page->fleet_errors);
    j_time(&f, "last_ok", page->fleet_last_ok, 1);
    j_time(&f, "last_error_time", page->fleet_last_error_time, 1);
    j_str(&f, "last_error", page->fleet_last_error_time ? page->fleet_last_error : NULL);
    j_u64(&f, "adopted", sum->fleet_adopted);
    j_u64(&f, "published", sum->fleet_published);
    j_u64(&f, "rejected", sum->fleet_rejected);
    j_close(&f, "}");
}

/* "filter": null when every certificate is listed. */
static void json_filter(jobj_t *top, const ocspr_status_page_t *page)
{
    const ocspr_status_filter_t *filter = page->filter;
    jobj_t f, states;
    int i, n = 0;

    if (!ocspr_status_filter_active(filter)) {
        j_null(top, "filter");
        return;
    }
    j_open(&f, top, "filter", "{");
    j_open(&states, &f, "state", "[");
    for (i = 0; i < OCSPR_STATE_COUNT; i++) {
        if (filter->states & (1u << i)) {
            putf(states.o, "%s\"%s\"", n++ ? ", " : "",
                 ocspr_status_state_name((ocspr_status_state_t)i));
        }
    }
    put(states.o, "]");
    j_str(&f, "vhost", filter->vhost);
    j_str(&f, "id", filter->id);
    for (i = 0, n = 0; i < NROWS(page); i++) {
        n += ocspr_status_filter_matches(filter, ROW(page, i), page->now);
    }
    j_int(&f, "matched", n);
    j_close(&f, "}");
}

void ocspr_status_render_json(const ocspr_status_page_t *page, ocspr_write_fn *write,
                              void *baton, apr_pool_t *p)
{
    ocspr_status_summary_t sum;
    jobj_t top, sub;
    out_t o;
    int i;

    out_init(&o, write, baton, p);
    ocspr_status_summarize(&sum, page);
    top.o = &o;
    j_open(&top, NULL, NULL, "{");
    j_str(&top, "module", "mod_ocsp_refresh");
    j_str(&top, "version", page->version);
    j_str(&top, "server", page->server);
    j_time(&top, "generated", page->now, 1);
    j_bool(&top, "active", page->active);
    if (page->leader_pid) {
        j_int(&top, "leader_pid", page->leader_pid);
    }
    else {
        j_null(&top, "leader_pid");
    }
    j_time(&top, "leader_since", page->leader_since, page->leader_pid != 0);
    j_time(&top, "last_check", page->last_tick, 1);

    j_open(&sub, &top, "summary", "{");
    j_int(&sub, "certificates", sum.total);
    j_int(&sub, "stapled", sum.stapled);
    for (i = 0; i < OCSPR_STATE_COUNT; i++) {
        j_int(&sub, ocspr_status_state_name((ocspr_status_state_t)i), sum.by_state[i]);
    }
    j_time(&sub, "soonest_response_expiry",
           sum.soonest_response ? sum.soonest_response->next_update : 0, 1);
    j_str(&sub, "soonest_response_expiry_id", sum.soonest_response ? sum.soonest_response->id
                                                                    : NULL);
    j_time(&sub, "soonest_certificate_expiry",
           sum.soonest_cert ? sum.soonest_cert->cert_not_after : 0, 1);
    j_str(&sub, "soonest_certificate_expiry_id", sum.soonest_cert ? sum.soonest_cert->id : NULL);
    j_close(&sub, "}");
    json_fleet(&top, page, &sum);
    json_filter(&top, page);

    j_open(&sub, &top, "certificates", "[");
    sub.depth = 2;
    for (i = 0; i < NROWS(page); i++) {
        if (ocspr_status_filter_matches(page->filter, ROW(page, i), page->now)) {
            json_row(&sub, ROW(page, i), page->now);
            apr_pool_clear(o.p);
        }
    }
    j_close(&sub, "]");
    j_close(&top, "}");
    put(&o, "\n");
    out_done(&o);
}
