/* The status page in HTML: the page for people (its frame: style, summary,
 * fleet, filter form; the rows are in ocspr_status_html_rows.c) and the
 * mod_status section. */
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
    "a.pill{text-decoration:none}"
    "h2{font-size:1.1em;margin:18px 0 8px}"
    ".filter{display:flex;flex-wrap:wrap;gap:8px;align-items:center}"
    ".filter input,.filter select{font:inherit;font-size:.9em;padding:3px 6px}"
    "table.brief td{padding:5px 10px}"
    ".pager{margin:10px 0}"
    ".muted{color:#5f6670;font-size:.9em}"
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
#define MAX_CATEGORIES 8

typedef struct {
    const char *label;
    int count;
    const char *cls;                    /* when count > 0 */
    int always;                         /* shown even when 0 */
    const char *state;                  /* the ?state= filter it links to */
} category_t;

/* The summary's words, in the order the issue asks for. */
static int summary_categories(category_t *cats, const ocspr_status_summary_t *sum)
{
    const category_t all[] = {
        { "stapled", sum->stapled, "ok", 1, "good,refresh_failing" },
        { "with failing refreshes", sum->by_state[OCSPR_STATE_REFRESH_FAILING], "warn", 0,
          "refresh_failing" },
        { "failing", sum->by_state[OCSPR_STATE_FAILING], "bad", 1, "failing" },
        { "held but not served", sum->by_state[OCSPR_STATE_NOT_SERVED], "bad", 0,
          "not_served" },
        { "revoked", sum->by_state[OCSPR_STATE_REVOKED], "bad", 1, "revoked" },
        { "unknown to the responder", sum->by_state[OCSPR_STATE_UNKNOWN], "warn", 0,
          "unknown" },
        { "waiting for a first response", sum->by_state[OCSPR_STATE_PENDING], "warn", 0,
          "pending" },
        { "not applicable", sum->by_state[OCSPR_STATE_NOT_APPLICABLE], "na", 1,
          "not_applicable" },
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

static void html_summary(out_t *o, const ocspr_status_page_t *page,
                         const ocspr_status_summary_t *sum)
{
    category_t cats[MAX_CATEGORIES];
    int i, n;

    putf(o, "<section class=\"box\" id=\"summary\"><p><strong>%d certificate%s</strong>",
         sum->total, sum->total == 1 ? "" : "s");
    if (!sum->total) {
        put(o, ": no SSL virtual host has <code>OCSPRefresh On</code>, or mod_ssl primed no "
               "certificate for one.</p></section>\n");
        return;
    }
    put(o, "</p>\n<div class=\"counts\">");
    n = summary_categories(cats, sum);
    for (i = 0; i < n; i++) {
        /* Each count links to the list of those certificates. */
        putf(o, "<a class=\"pill %s\" href=\"?state=%s\">%d %s</a>",
             cats[i].count ? cats[i].cls : "na", cats[i].state, cats[i].count, cats[i].label);
    }
    put(o, "</div>\n");
    if (sum->soonest_response) {
        html_soonest(o, "Soonest staple expiry", sum->soonest_response,
                     sum->soonest_response->next_update, page->now);
    }
    else {
        put(o, "<p><span class=\"flag bad\">No certificate is stapled: no handshake gets an "
               "OCSP response.</span></p>\n");
    }
    if (sum->soonest_cert) {
        html_soonest(o, "Soonest certificate expiry", sum->soonest_cert,
                     sum->soonest_cert->cert_not_after, page->now);
    }
    put(o, "</section>\n");
}

/* The fleet exchange: where it is, whether it answers, and what it did. */
static void html_fleet(out_t *o, const ocspr_status_page_t *page,
                       const ocspr_status_summary_t *sum)
{
    int failing = page->fleet_last_error_time > page->fleet_last_ok;

    if (!page->fleet_desc) {
        return;
    }
    put(o, "<section class=\"box\" id=\"fleet\"><p><strong>Fleet exchange</strong> <code>");
    H(o, page->fleet_desc);
    putf(o, "</code> <span class=\"badge %s\">%s</span></p>\n<dl>",
         failing ? "bad" : page->fleet_last_ok ? "ok" : "na",
         failing ? "FAILING" : page->fleet_last_ok ? "OK" : "NOT USED YET");
    dd(o, "Responses");
    html_fleet_counts(o, sum->fleet_adopted, sum->fleet_published, sum->fleet_rejected);
    end_dd(o);
    dd(o, "Errors");
    putf(o, "%" APR_UINT64_T_FMT, page->fleet_errors);
    end_dd(o);
    dd(o, "Last success");
    if (page->fleet_last_ok) {
        html_time_rel(o, page->fleet_last_ok, page->now);
    }
    else {
        put(o, "never");
    }
    end_dd(o);
    if (page->fleet_last_error_time) {
        dd(o, "Last error");
        html_time_rel(o, page->fleet_last_error_time, page->now);
        put(o, " &mdash; ");
        H(o, page->fleet_last_error);
        end_dd(o);
    }
    put(o, "</dl><p class=\"muted\">Handshakes never wait for the exchange: each host serves "
           "from its own cache.</p></section>\n");
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
static void html_filter(out_t *o, const ocspr_status_page_t *page, int matched, int total)
{
    const ocspr_status_filter_t *f = page->filter;
    unsigned attention = 0;
    int i;

    for (i = 0; i < OCSPR_STATE_COUNT; i++) {
        if (ocspr_status_state_needs_attention((ocspr_status_state_t)i)) {
            attention |= 1u << i;
        }
    }
    putf(o, "<form method=\"get\" class=\"box filter\" id=\"filter\"><label>State <select "
            "name=\"state\"><option value=\"\">any</option><option value=\"problems\"%s>"
            "needs attention</option>", f && f->states == attention ? " selected" : "");
    for (i = 0; i < OCSPR_STATE_COUNT; i++) {
        putf(o, "<option%s>%s</option>", f && f->states == 1u << i ? " selected" : "",
             ocspr_status_state_name((ocspr_status_state_t)i));
    }
    put(o, "</select></label><label>Vhost <input name=\"vhost\" size=\"18\" value=\"");
    H(o, f ? f->vhost : NULL);
    put(o, "\"></label><label>Id <input name=\"id\" size=\"12\" value=\"");
    H(o, f ? f->id : NULL);
    put(o, "\"></label><button type=\"submit\">Show</button>");
    if (ocspr_status_filter_active(f)) {
        putf(o, "<span class=\"muted\">%d of %d certificates match &middot; <a href=\"?\">show "
                "all</a></span>", matched, total);
    }
    put(o, "</form>\n");
}

/* Small lists in full; otherwise what needs attention (up to a bound) in
 * full on the first page, and every other row one line each, paged. */
static void html_lists(out_t *o, const ocspr_status_page_t *page, int total, apr_pool_t *p)
{
    ocspr_status_selection_t sel;
    int in_full;

    ocspr_status_html_select(&sel, page, p);
    html_filter(o, page, sel.n, total);
    if (!sel.n) {
        if (total) {
            put(o, "<p class=\"box\">No certificate matches.</p>\n");
        }
        return;
    }
    if (sel.n <= OCSPR_STATUS_HTML_SMALL) {
        ocspr_status_html_full_table(o, page, &sel, sel.n);
        return;
    }
    in_full = sel.attention < OCSPR_STATUS_HTML_FULL_ROWS ? sel.attention
                                                           : OCSPR_STATUS_HTML_FULL_ROWS;
    if (in_full && !(page->filter && page->filter->page > 1)) {
        ocspr_status_html_full_table(o, page, &sel, in_full);
    }
    if (in_full < sel.n) {
        ocspr_status_html_brief_table(o, page, &sel, in_full);
    }
}

void ocspr_status_render_html(const ocspr_status_page_t *page, ocspr_write_fn *write,
                              void *baton, apr_pool_t *p)
{
    ocspr_status_summary_t sum;
    out_t o;

    out_init(&o, write, baton, p);
    ocspr_status_summarize(&sum, page);
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
    html_summary(&o, page, &sum);
    html_fleet(&o, page, &sum);
    html_lists(&o, page, sum.total, p);
    put(&o, "<p class=\"meta\">Also as <a href=\"?json");
    if (ocspr_status_filter_active(page->filter)) {
        put(&o, "&amp;");
        H(&o, ocspr_status_filter_query(o.p, page->filter, 0));
    }
    put(&o, "\">JSON</a> and <a href=\"?prometheus\">Prometheus metrics</a>");
    if (page->version) {
        put(&o, " &middot; mod_ocsp_refresh ");
        H(&o, page->version);
    }
    put(&o, ".</p>\n</body></html>\n");
    out_done(&o);
}

/* mod_status's page lists every certificate while there are few; beyond
 * that only those needing attention, as the status page does. */
void ocspr_status_render_html_section(const ocspr_status_page_t *page, ocspr_write_fn *write,
                                      void *baton, apr_pool_t *p)
{
    ocspr_status_summary_t sum;
    category_t cats[MAX_CATEGORIES];
    ocspr_status_selection_t sel;
    out_t o;
    int i, n, listed;

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
    ocspr_status_html_select(&sel, page, p);
    listed = sel.n <= OCSPR_STATUS_HTML_SMALL ? sel.n
             : sel.attention < OCSPR_STATUS_HTML_FULL_ROWS ? sel.attention
             : OCSPR_STATUS_HTML_FULL_ROWS;
    if (listed < sel.n) {
        putf(&o, "<p>Listed: %d needing attention; %d more not listed (see the "
                 "ocsp-refresh-status page).</p>\n", listed, sel.n - listed);
    }
    if (listed) {
        put(&o, "<table border=\"0\"><tr><th>Certificate</th><th>Vhosts</th><th>Status</th>"
                "<th>Valid until</th><th>Next refresh</th><th>Last attempt</th>"
                "<th>Failures</th></tr>\n");
    }
    for (i = 0; i < listed; i++) {
        const ocspr_status_row_t *row = ROW(page, sel.rows[i].index);
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
    if (listed) {
        put(&o, "</table>\n");
    }
    out_done(&o);
}
