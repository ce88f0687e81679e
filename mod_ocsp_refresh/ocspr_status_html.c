/* The status page in HTML: the page for people and the mod_status section. */
#include <stdlib.h>
#include <openssl/evp.h>

#include "ocspr_status_int.h"

/* --- HTML -------------------------------------------------------------------- */

/* The page's whole style; its hash is in the Content-Security-Policy, so
 * any change here is picked up by ocspr_status_html_csp. */
static const char page_style[] =
    "*{box-sizing:border-box}"
    "body{margin:0;padding:16px;font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,"
    "\"Helvetica Neue\",Arial,sans-serif;color:#1c1e21;background:#f4f5f7}"
    "h1{font-size:1.35em;margin:0 0 4px}"
    ".meta{color:#555;font-size:.9em;margin:0 0 12px}"
    ".box{background:#fff;border:1px solid #d6d9de;border-radius:8px;padding:10px 14px;"
    "margin:0 0 14px}"
    ".box p{margin:4px 0}"
    ".counts{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0}"
    ".pill,.badge{display:inline-block;border:1px solid transparent;font-weight:700}"
    ".pill{border-radius:999px;padding:2px 10px;font-size:.9em}"
    ".badge{border-radius:4px;padding:1px 8px;font-size:.85em;letter-spacing:.03em}"
    ".ok{background:#e3f4e6;color:#145a23;border-color:#b7dfbf}"
    ".warn{background:#fff3d6;color:#6b4a00;border-color:#f0d58c}"
    ".bad{background:#fde4e4;color:#8f1010;border-color:#f3b3b3}"
    ".na{background:#eceef1;color:#3f4650;border-color:#d2d6dc}"
    ".notice{background:#e8f0fe;border-color:#b8cdf7}"
    "table{width:100%;border-collapse:separate;border-spacing:0;background:#fff;"
    "border:1px solid #d6d9de;border-radius:8px;overflow:hidden}"
    ".c-cert{width:27%}.c-status{width:19%}.c-resp{width:23%}.c-act{width:1%}"
    "time{white-space:nowrap}"
    "th{text-align:left;font-size:.8em;text-transform:uppercase;letter-spacing:.04em;"
    "color:#555;background:#eef0f3;padding:8px 10px;border-bottom:1px solid #d6d9de}"
    "td{vertical-align:top;padding:10px;border-bottom:1px solid #e3e5e9}"
    "tr:last-child td{border-bottom:0}"
    "tr.problem td:first-child{box-shadow:inset 5px 0 0 #c62828}"
    "tr.attention td:first-child{box-shadow:inset 5px 0 0 #d99a00}"
    ".subject{font-weight:600;overflow-wrap:anywhere}"
    ".why{margin:6px 0 0;font-size:.9em;overflow-wrap:anywhere}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;margin:6px 0 0;"
    "font-size:.9em}"
    "dt{color:#5f6670}"
    "dd{margin:0;overflow-wrap:anywhere}"
    "code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}"
    ".flag{font-weight:700}"
    ".flag.bad,.flag.warn{background:none;border:0}"
    "button{font:inherit;font-size:.9em;padding:4px 10px;border-radius:6px;"
    "border:1px solid #8a94a3;background:#fff;cursor:pointer}"
    "@media (max-width:820px){"
    "body{padding:10px}"
    "table,tbody,tr,td{display:block;width:100%}"
    "thead{display:none}"
    "table{border:0;background:none;overflow:visible}"
    "tr{background:#fff;border:1px solid #d6d9de;border-radius:8px;margin:0 0 12px;"
    "overflow:hidden}"
    "td{border-bottom:1px solid #eceef1}"
    "td::before{content:attr(data-label);display:block;font-size:.75em;"
    "text-transform:uppercase;letter-spacing:.04em;color:#6b7280;margin-bottom:2px}"
    "tr.problem{border-left:6px solid #c62828}"
    "tr.attention{border-left:6px solid #d99a00}"
    "tr.problem td:first-child,tr.attention td:first-child{box-shadow:none}"
    "}";

const char *ocspr_status_html_csp(apr_pool_t *p)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    const char *style_src = "'none'";

    if (EVP_Digest(page_style, sizeof(page_style) - 1, md, &mdlen, EVP_sha256(), NULL) == 1) {
        EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
        style_src = apr_pstrcat(p, "'sha256-", b64, "'", NULL);
    }
    return apr_pstrcat(p, "default-src 'none'; style-src ", style_src, "; form-action 'self'; "
                       "frame-ancestors 'none'; base-uri 'none'", NULL);
}

#define H(o, s) put((o), ocspr_status_html_escape((o)->p, (s)))

/* <time> with the RFC 3339 form in datetime and a readable UTC text. */
static void html_time(out_t *o, apr_time_t t)
{
    const char *iso = ocspr_time_rfc3339(o->p, t);

    putf(o, "<time datetime=\"%s\">%.10s %.8s UTC</time>", iso, iso, iso + 11);
}

static void html_time_rel(out_t *o, apr_time_t t, apr_time_t now)
{
    html_time(o, t);
    putf(o, " (%s)", relative(o->p, t, now));
}

/* One label/value pair of a <dl>: dd() opens the value, the caller writes
 * it and closes with end_dd(). */
static void dd(out_t *o, const char *label)
{
    putf(o, "<dt>%s</dt><dd>", label);
}

static void end_dd(out_t *o)
{
    put(o, "</dd>");
}

#define MAX_CATEGORIES 7

typedef struct {
    const char *label;
    int count;
    const char *cls;                    /* when count > 0 */
    int always;                         /* shown even when 0 */
} category_t;

/* The summary's words, in the order the issue asks for. */
static int summary_categories(category_t *cats, const ocspr_status_summary_t *sum)
{
    const category_t all[] = {
        { "stapled", sum->stapled, "ok", 1 },
        { "with failing refreshes", sum->by_state[OCSPR_STATE_REFRESH_FAILING], "warn", 0 },
        { "failing", sum->by_state[OCSPR_STATE_FAILING], "bad", 1 },
        { "revoked", sum->by_state[OCSPR_STATE_REVOKED], "bad", 1 },
        { "unknown to the responder", sum->by_state[OCSPR_STATE_UNKNOWN], "warn", 0 },
        { "waiting for a first response", sum->by_state[OCSPR_STATE_PENDING], "warn", 0 },
        { "not applicable", sum->by_state[OCSPR_STATE_NOT_APPLICABLE], "na", 1 },
    };
    int i, n = 0;

    for (i = 0; i < (int)(sizeof(all) / sizeof(all[0])); i++) {
        if (all[i].always || all[i].count) {
            cats[n++] = all[i];
        }
    }
    return n;
}

static void html_soonest(out_t *o, const char *what, const ocspr_status_row_t *row,
                         apr_time_t t, apr_time_t now)
{
    putf(o, "<p>%s: <strong>%s</strong> (", what, relative(o->p, t, now));
    html_time(o, t);
    put(o, "), ");
    H(o, row->subject);
    put(o, "</p>\n");
}

static void html_summary(out_t *o, const ocspr_status_page_t *page)
{
    ocspr_status_summary_t sum;
    category_t cats[MAX_CATEGORIES];
    int i, n;

    ocspr_status_summarize(&sum, page);
    putf(o, "<section class=\"box\" id=\"summary\"><p><strong>%d certificate%s</strong>",
         sum.total, sum.total == 1 ? "" : "s");
    if (!sum.total) {
        put(o, ": no SSL virtual host has <code>OCSPRefresh On</code>, or mod_ssl primed no "
               "certificate for one.</p></section>\n");
        return;
    }
    put(o, "</p>\n<div class=\"counts\">");
    n = summary_categories(cats, &sum);
    for (i = 0; i < n; i++) {
        putf(o, "<span class=\"pill %s\">%d %s</span>", cats[i].count ? cats[i].cls : "na",
             cats[i].count, cats[i].label);
    }
    put(o, "</div>\n");
    if (sum.soonest_response) {
        html_soonest(o, "Soonest staple expiry", sum.soonest_response,
                     sum.soonest_response->next_update, page->now);
    }
    else {
        put(o, "<p><span class=\"flag bad\">No certificate has a valid OCSP response.</span></p>\n");
    }
    if (sum.soonest_cert) {
        html_soonest(o, "Soonest certificate expiry", sum.soonest_cert,
                     sum.soonest_cert->cert_not_after, page->now);
    }
    put(o, "</section>\n");
}

static const char *row_class(ocspr_status_state_t state)
{
    switch (state) {
    case OCSPR_STATE_REVOKED:
    case OCSPR_STATE_FAILING:
        return "problem";
    case OCSPR_STATE_REFRESH_FAILING:
    case OCSPR_STATE_UNKNOWN:
    case OCSPR_STATE_PENDING:
        return "attention";
    default:
        return "fine";
    }
}

static void html_cert_cell(out_t *o, const ocspr_status_row_t *row, apr_time_t now)
{
    put(o, "<td data-label=\"Certificate\"><div class=\"subject\">");
    H(o, row->subject);
    put(o, "</div>");
    if (row->must_staple) {
        put(o, "<span class=\"badge warn\">MUST-STAPLE</span>");
    }
    put(o, "<dl>");
    dd(o, "Vhosts");
    H(o, vhost_list(o->p, row, ' '));
    end_dd(o);
    dd(o, "Serial");
    put(o, "<code>");
    H(o, row->serial);
    put(o, "</code>");
    end_dd(o);
    dd(o, "Issuer");
    H(o, row->issuer);
    end_dd(o);
    dd(o, "Key");
    H(o, row->key_type);
    end_dd(o);
    if (row->cert_not_after) {
        dd(o, "Expires");
        if (row->cert_not_after <= now) {
            put(o, "<span class=\"flag bad\">CERTIFICATE EXPIRED</span> ");
        }
        html_time_rel(o, row->cert_not_after, now);
        end_dd(o);
    }
    dd(o, "ID");
    put(o, "<code>");
    H(o, row->id);
    put(o, "</code>");
    end_dd(o);
    put(o, "</dl></td>\n");
}

static void html_status_cell(out_t *o, const ocspr_status_row_t *row,
                             ocspr_status_state_t state, apr_time_t now)
{
    put(o, "<td data-label=\"Status\">");
    switch (state) {
    case OCSPR_STATE_GOOD:
        put(o, "<span class=\"badge ok\">GOOD</span><p class=\"why\">Stapled.</p>");
        break;
    case OCSPR_STATE_REFRESH_FAILING:
        putf(o, "<span class=\"badge warn\">REFRESH FAILING</span><p class=\"why\">Still "
                "stapling the response valid until %s; %d attempt%s in a row failed.</p>",
             relative(o->p, row->next_update, now), row->consecutive_failures,
             row->consecutive_failures == 1 ? "" : "s");
        break;
    case OCSPR_STATE_REVOKED:
        put(o, "<span class=\"badge bad\">REVOKED</span><p class=\"why\">");
        if (row->revoked_at) {
            put(o, "Since ");
            html_time(o, row->revoked_at);
            put(o, ", ");
        }
        putf(o, "reason %s. Clients that check the staple refuse this certificate: replace "
                "it.</p>", ocspr_revocation_reason_name(row->revocation_reason));
        break;
    case OCSPR_STATE_UNKNOWN:
        put(o, "<span class=\"badge warn\">UNKNOWN</span><p class=\"why\">The responder does "
               "not know this certificate (stapled as it is).</p>");
        break;
    case OCSPR_STATE_FAILING:
        putf(o, "<span class=\"badge bad\">FAILING</span><p class=\"why\">Nothing to staple: "
                "%d attempt%s in a row failed", row->consecutive_failures,
             row->consecutive_failures == 1 ? "" : "s");
        if (has_response(row)) {
            putf(o, "; the last response expired %s", relative(o->p, row->next_update, now));
        }
        put(o, ".</p>");
        break;
    case OCSPR_STATE_PENDING:
        put(o, "<span class=\"badge warn\">NO RESPONSE YET</span><p class=\"why\">Nothing "
               "stapled until the first fetch succeeds.</p>");
        break;
    default:
        put(o, "<span class=\"badge na\">NOT APPLICABLE</span><p class=\"why\">Not stapled "
               "by mod_ocsp_refresh: ");
        H(o, row->not_applicable ? row->not_applicable : "no OCSP responder");
        put(o, ".</p>");
        break;
    }
    if (row->must_staple && (state == OCSPR_STATE_FAILING || state == OCSPR_STATE_PENDING)) {
        put(o, "<p class=\"why flag bad\">Must-Staple: browsers refuse this site without a "
               "staple.</p>");
    }
    put(o, "</td>\n");
}

static void html_response_cell(out_t *o, const ocspr_status_row_t *row, apr_time_t now)
{
    put(o, "<td data-label=\"OCSP response\">");
    if (!has_response(row)) {
        put(o, "<p class=\"why\">No response held.</p></td>\n");
        return;
    }
    put(o, "<dl>");
    dd(o, "thisUpdate");
    html_time(o, row->this_update);
    end_dd(o);
    dd(o, "nextUpdate");
    html_time(o, row->next_update);
    end_dd(o);
    dd(o, "Time left");
    if (row->next_update > now) {
        putf(o, "<strong>%s</strong>", ocspr_status_duration(o->p, row->next_update - now));
    }
    else {
        putf(o, "<span class=\"flag bad\">EXPIRED</span> %s",
             relative(o->p, row->next_update, now));
    }
    end_dd(o);
    dd(o, "Size");
    putf(o, "%" APR_SIZE_T_FMT " bytes", row->response_len);
    end_dd(o);
    dd(o, "Source");
    H(o, row->source ? row->source : "-");
    if (row->fetched) {
        putf(o, ", obtained %s", relative(o->p, row->fetched, now));
    }
    end_dd(o);
    put(o, "</dl></td>\n");
}

static void html_attempts(out_t *o, const ocspr_status_row_t *row)
{
    const char *sep = "";
    int i;

    for (i = 0; i < OCSPR_OUTCOME_COUNT; i++) {
        if (row->attempts[i]) {
            putf(o, "%s%s %" APR_UINT64_T_FMT, sep, ocspr_outcome_name((ocspr_outcome_t)i),
                 row->attempts[i]);
            sep = ", ";
        }
    }
    if (!*sep) {
        put(o, "none");
    }
}

static void html_refresh_cell(out_t *o, const ocspr_status_row_t *row, apr_time_t now)
{
    put(o, "<td data-label=\"Refresh\">");
    if (!row->responder_url) {
        put(o, "<p class=\"why\">Not fetched.</p></td>\n");
        return;
    }
    put(o, "<dl>");
    dd(o, "Responder");
    put(o, "<code>");
    H(o, row->responder_url);
    put(o, "</code>");
    end_dd(o);
    dd(o, "Next refresh");
    if (row->refresh_requested) {
        put(o, "requested, within seconds");
    }
    else if (row->next_attempt) {
        html_time_rel(o, row->next_attempt, now);
    }
    else {
        put(o, "not scheduled");
    }
    end_dd(o);
    dd(o, "Last attempt");
    if (row->last_attempt) {
        int ok = row->last_outcome == OCSPR_OUTCOME_OK;

        putf(o, "%s: <span class=\"flag %s\">%s</span>", relative(o->p, row->last_attempt, now),
             ok ? "ok" : "bad", ocspr_outcome_name((ocspr_outcome_t)row->last_outcome));
        if (row->last_reason && *row->last_reason) {
            put(o, " &mdash; ");
            H(o, row->last_reason);
        }
    }
    else {
        put(o, "none yet");
    }
    end_dd(o);
    dd(o, "Failures in a row");
    if (row->consecutive_failures) {
        putf(o, "<span class=\"flag bad\">%d</span>", row->consecutive_failures);
    }
    else {
        put(o, "0");
    }
    end_dd(o);
    if (row->last_attempt) {
        dd(o, "Last latency");
        putf(o, "%" APR_INT64_T_FMT " ms", (apr_int64_t)(row->last_latency / 1000));
        end_dd(o);
    }
    dd(o, "Attempts");
    html_attempts(o, row);
    end_dd(o);
    put(o, "</dl></td>\n");
}

static void html_action_cell(out_t *o, const ocspr_status_page_t *page,
                             const ocspr_status_row_t *row)
{
    put(o, "<td data-label=\"Action\">");
    if (row->responder_url) {
        put(o, "<form method=\"post\"><input type=\"hidden\" name=\"action\" value=\"refresh\">"
               "<input type=\"hidden\" name=\"id\" value=\"");
        H(o, row->id);
        put(o, "\"><input type=\"hidden\" name=\"token\" value=\"");
        H(o, page->action_token);
        put(o, "\"><button type=\"submit\">Refresh now</button></form>");
    }
    put(o, "</td>\n");
}

static void html_meta(out_t *o, const ocspr_status_page_t *page)
{
    put(o, "<p class=\"meta\">");
    if (page->server) {
        H(o, page->server);
        put(o, " &middot; ");
    }
    put(o, "generated ");
    html_time(o, page->now);
    if (!page->active) {
        put(o, " &middot; no certificate is being refreshed");
    }
    else if (page->leader_pid) {
        putf(o, " &middot; refreshed by child %ld", page->leader_pid);
        if (page->last_tick) {
            putf(o, ", last check %s", relative(o->p, page->last_tick, page->now));
        }
    }
    else {
        put(o, " &middot; <span class=\"flag warn\">no child refreshes yet</span>");
    }
    put(o, "</p>\n");
}

/* The page lists problems first, so that a glance at its top is enough;
 * ties keep the configuration's order. */
static int severity(ocspr_status_state_t state)
{
    static const int rank[OCSPR_STATE_COUNT] = {
        [OCSPR_STATE_REVOKED] = 0,
        [OCSPR_STATE_FAILING] = 1,
        [OCSPR_STATE_REFRESH_FAILING] = 2,
        [OCSPR_STATE_UNKNOWN] = 3,
        [OCSPR_STATE_PENDING] = 4,
        [OCSPR_STATE_GOOD] = 5,
        [OCSPR_STATE_NOT_APPLICABLE] = 6,
    };

    return rank[state];
}

typedef struct {
    int rank;
    int index;
} row_order_t;

static int by_rank(const void *a, const void *b)
{
    const row_order_t *x = a, *y = b;

    return x->rank != y->rank ? x->rank - y->rank : x->index - y->index;
}

static void html_row(out_t *o, const ocspr_status_page_t *page, const ocspr_status_row_t *row)
{
    ocspr_status_state_t state = ocspr_status_row_state(row, page->now);

    putf(o, "<tr class=\"cert %s\" id=\"cert-%s\" data-state=\"%s\">\n", row_class(state),
         ocspr_status_html_escape(o->p, row->id), ocspr_status_state_name(state));
    html_cert_cell(o, row, page->now);
    html_status_cell(o, row, state, page->now);
    html_response_cell(o, row, page->now);
    html_refresh_cell(o, row, page->now);
    if (page->action_token) {
        html_action_cell(o, page, row);
    }
    put(o, "</tr>\n");
}

void ocspr_status_render_html(const ocspr_status_page_t *page, ocspr_write_fn *write,
                              void *baton, apr_pool_t *p)
{
    row_order_t *order = apr_palloc(p, sizeof(*order) * (apr_size_t)(NROWS(page) + 1));
    out_t o;
    int i;

    out_init(&o, write, baton, p);
    put(&o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta name=\"referrer\" content=\"no-referrer\"><title>OCSP stapling status");
    if (page->server) {
        put(&o, ": ");
        H(&o, page->server);
    }
    putf(&o, "</title>\n<style>%s</style></head>\n<body>\n<h1>OCSP stapling status</h1>\n",
         page_style);
    html_meta(&o, page);
    if (page->notice) {
        put(&o, "<p class=\"box notice\" id=\"notice\">");
        H(&o, page->notice);
        put(&o, "</p>\n");
    }
    html_summary(&o, page);
    if (NROWS(page)) {
        putf(&o, "<table id=\"certificates\"><thead><tr><th class=\"c-cert\">Certificate</th>"
                 "<th class=\"c-status\">Status</th><th class=\"c-resp\">OCSP response</th>"
                 "<th>Refresh</th>%s</tr></thead>\n<tbody>\n",
             page->action_token ? "<th class=\"c-act\">Action</th>" : "");
    }
    for (i = 0; i < NROWS(page); i++) {
        order[i].rank = severity(ocspr_status_row_state(ROW(page, i), page->now));
        order[i].index = i;
    }
    qsort(order, (size_t)NROWS(page), sizeof(*order), by_rank);
    for (i = 0; i < NROWS(page); i++) {
        html_row(&o, page, ROW(page, order[i].index));
        apr_pool_clear(o.p);
    }
    if (NROWS(page)) {
        put(&o, "</tbody></table>\n");
    }
    put(&o, "<p class=\"meta\">Also as <a href=\"?json\">JSON</a> and "
            "<a href=\"?prometheus\">Prometheus metrics</a>.</p>\n</body></html>\n");
    out_done(&o);
}

void ocspr_status_render_html_section(const ocspr_status_page_t *page, ocspr_write_fn *write,
                                      void *baton, apr_pool_t *p)
{
    ocspr_status_summary_t sum;
    category_t cats[MAX_CATEGORIES];
    out_t o;
    int i, n;

    out_init(&o, write, baton, p);
    ocspr_status_summarize(&sum, page);
    putf(&o, "<hr />\n<h2>OCSP stapling (mod_ocsp_refresh)</h2>\n<p>%d certificate%s",
         sum.total, sum.total == 1 ? "" : "s");
    n = sum.total ? summary_categories(cats, &sum) : 0;
    for (i = 0; i < n; i++) {
        putf(&o, "%s%d %s", i ? ", " : ": ", cats[i].count, cats[i].label);
    }
    put(&o, ".");
    if (sum.soonest_response) {
        putf(&o, " Soonest staple expiry: %s.",
             relative(o.p, sum.soonest_response->next_update, page->now));
    }
    put(&o, "</p>\n");
    if (n) {
        put(&o, "<table border=\"0\"><tr><th>Certificate</th><th>Vhosts</th><th>Status</th>"
                "<th>Valid until</th><th>Next refresh</th><th>Last attempt</th>"
                "<th>Failures</th></tr>\n");
    }
    for (i = 0; i < NROWS(page); i++) {
        const ocspr_status_row_t *row = ROW(page, i);
        ocspr_status_state_t state = ocspr_status_row_state(row, page->now);

        put(&o, "<tr><td>");
        H(&o, row->subject);
        put(&o, "</td><td>");
        H(&o, vhost_list(o.p, row, ' '));
        /* mod_status's page has no colours: problems in bold words. */
        putf(&o, state == OCSPR_STATE_GOOD || state == OCSPR_STATE_NOT_APPLICABLE
                 ? "</td><td>%s</td><td>" : "</td><td><b>%s</b></td><td>",
             ocspr_status_state_name(state));
        if (ocspr_status_row_holds_response(row, page->now)) {
            putf(&o, "%s (%s)", ocspr_time_rfc3339(o.p, row->next_update),
                 relative(o.p, row->next_update, page->now));
        }
        put(&o, "</td><td>");
        if (row->responder_url && row->next_attempt) {
            put(&o, relative(o.p, row->next_attempt, page->now));
        }
        put(&o, "</td><td>");
        if (row->last_attempt) {
            putf(&o, "%s: %s", relative(o.p, row->last_attempt, page->now),
                 ocspr_outcome_name((ocspr_outcome_t)row->last_outcome));
        }
        putf(&o, "</td><td>%d</td></tr>\n", row->consecutive_failures);
        apr_pool_clear(o.p);
    }
    if (n) {
        put(&o, "</table>\n");
    }
    out_done(&o);
}
