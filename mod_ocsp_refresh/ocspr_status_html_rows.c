/* The status page's certificate rows in HTML: which rows a page lists and
 * in which order, the full row (certificate, status, response, refresh,
 * action) and the one-line row of the paged compact list. */
#include <stdlib.h>

#include "ocspr_status_int.h"

static const char *row_class(ocspr_status_state_t state)
{
    switch (state) {
    case OCSPR_STATE_REVOKED:
    case OCSPR_STATE_FAILING:
    case OCSPR_STATE_NOT_SERVED:
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

/* The badge of a state, as on a full row. */
static const char *state_badge(ocspr_status_state_t state)
{
    switch (state) {
    case OCSPR_STATE_GOOD:
        return "<span class=\"badge ok\">GOOD</span>";
    case OCSPR_STATE_REFRESH_FAILING:
        return "<span class=\"badge warn\">REFRESH FAILING</span>";
    case OCSPR_STATE_REVOKED:
        return "<span class=\"badge bad\">REVOKED</span>";
    case OCSPR_STATE_UNKNOWN:
        return "<span class=\"badge warn\">UNKNOWN</span>";
    case OCSPR_STATE_FAILING:
        return "<span class=\"badge bad\">FAILING</span>";
    case OCSPR_STATE_NOT_SERVED:
        return "<span class=\"badge bad\">NOT SERVED</span>";
    case OCSPR_STATE_PENDING:
        return "<span class=\"badge warn\">NO RESPONSE YET</span>";
    default:
        return "<span class=\"badge na\">NOT APPLICABLE</span>";
    }
}

static void html_status_cell(out_t *o, const ocspr_status_row_t *row,
                             ocspr_status_state_t state, apr_time_t now)
{
    put(o, "<td data-label=\"Status\">");
    put(o, state_badge(state));
    switch (state) {
    case OCSPR_STATE_GOOD:
        put(o, "<p class=\"why\">Stapled: handshakes get it now.</p>");
        break;
    case OCSPR_STATE_REFRESH_FAILING:
        putf(o, "<p class=\"why\">Still stapling the response valid until %s; %d attempt%s in "
                "a row failed.</p>", relative(o->p, row->next_update, now),
             row->consecutive_failures, row->consecutive_failures == 1 ? "" : "s");
        break;
    case OCSPR_STATE_REVOKED:
        put(o, "<p class=\"why\">");
        if (row->revoked_at) {
            put(o, "Since ");
            html_time(o, row->revoked_at);
            put(o, ", ");
        }
        putf(o, "reason %s. Clients that check the staple refuse this certificate: replace "
                "it.</p>", ocspr_revocation_reason_name(row->revocation_reason));
        break;
    case OCSPR_STATE_UNKNOWN:
        put(o, "<p class=\"why\">The responder does not know this certificate (stapled as "
               "it is).</p>");
        break;
    case OCSPR_STATE_FAILING:
        putf(o, "<p class=\"why\">Nothing to staple: %d attempt%s in a row failed",
             row->consecutive_failures, row->consecutive_failures == 1 ? "" : "s");
        if (has_response(row)) {
            putf(o, "; the last response expired %s", relative(o->p, row->next_update, now));
        }
        put(o, ".</p>");
        break;
    case OCSPR_STATE_NOT_SERVED:
        putf(o, "<p class=\"why\">Held but missing from the serving cache: a valid %s "
                "response (until %s) is held, yet handshakes get no staple. The refreshing "
                "child puts it back at its next check; if it stays so, the error log says how "
                "large the cache must be.</p>",
             ocspr_cert_status_name((ocspr_cert_status_t)row->cert_status),
             relative(o->p, row->next_update, now));
        break;
    case OCSPR_STATE_PENDING:
        put(o, "<p class=\"why\">Nothing stapled until the first fetch succeeds.</p>");
        break;
    default:
        put(o, "<p class=\"why\">Not stapled by mod_ocsp_refresh: ");
        H(o, row->not_applicable ? row->not_applicable : "no OCSP responder");
        put(o, ".</p>");
        break;
    }
    if (row->must_staple && !ocspr_status_row_stapled(row, now)
        && state != OCSPR_STATE_NOT_APPLICABLE) {
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
    dd(o, "Served");
    if (ocspr_status_row_stapled(row, now)) {
        put(o, "yes: handshakes get it");
    }
    else if (ocspr_status_row_holds_response(row, now)) {
        put(o, "<span class=\"flag bad\">NO</span>: held but missing from the serving cache");
    }
    else {
        put(o, "no: expired");
    }
    end_dd(o);
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

static void html_row_fleet(out_t *o, const ocspr_status_row_t *row)
{
    dd(o, "Fleet");
    html_fleet_counts(o, row->fleet_adopted, row->fleet_published, row->fleet_rejected);
    end_dd(o);
    if (row->fleet_reject_reason && *row->fleet_reject_reason) {
        dd(o, "Last rejection");
        H(o, row->fleet_reject_reason);
        end_dd(o);
    }
}

static void html_refresh_cell(out_t *o, const ocspr_status_page_t *page,
                              const ocspr_status_row_t *row)
{
    apr_time_t now = page->now;

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
    if (page->fleet_desc || row->fleet_adopted || row->fleet_published || row->fleet_rejected) {
        html_row_fleet(o, row);
    }
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
/* --- which rows, in which order ------------------------------------------------ */

/* The page lists problems first, so that a glance at its top is enough;
 * ties keep the configuration's order. */
static int severity(ocspr_status_state_t state)
{
    static const int rank[OCSPR_STATE_COUNT] = {
        [OCSPR_STATE_REVOKED] = 0,
        [OCSPR_STATE_FAILING] = 1,
        [OCSPR_STATE_NOT_SERVED] = 2,
        [OCSPR_STATE_REFRESH_FAILING] = 3,
        [OCSPR_STATE_UNKNOWN] = 4,
        [OCSPR_STATE_PENDING] = 5,
        [OCSPR_STATE_GOOD] = 6,
        [OCSPR_STATE_NOT_APPLICABLE] = 7,
    };

    return rank[state];
}

static int by_rank(const void *a, const void *b)
{
    const ocspr_status_row_order_t *x = a, *y = b;

    return x->rank != y->rank ? x->rank - y->rank : x->index - y->index;
}

void ocspr_status_html_select(ocspr_status_selection_t *sel, const ocspr_status_page_t *page,
                              apr_pool_t *p)
{
    int i;

    sel->rows = apr_palloc(p, sizeof(*sel->rows) * (apr_size_t)(NROWS(page) + 1));
    sel->n = sel->attention = 0;
    for (i = 0; i < NROWS(page); i++) {
        const ocspr_status_row_t *row = ROW(page, i);
        ocspr_status_state_t state = ocspr_status_row_state(row, page->now);

        if (ocspr_status_filter_matches(page->filter, row, page->now)) {
            sel->rows[sel->n].rank = severity(state);
            sel->rows[sel->n].index = i;
            sel->n++;
            sel->attention += ocspr_status_state_needs_attention(state);
        }
    }
    qsort(sel->rows, (size_t)sel->n, sizeof(*sel->rows), by_rank);
}
/* --- the full and the compact list ----------------------------------------------- */

static void html_row(out_t *o, const ocspr_status_page_t *page, const ocspr_status_row_t *row)
{
    ocspr_status_state_t state = ocspr_status_row_state(row, page->now);

    putf(o, "<tr class=\"cert %s\" id=\"cert-%s\" data-state=\"%s\">\n", row_class(state),
         ocspr_status_html_escape(o->p, row->id), ocspr_status_state_name(state));
    html_cert_cell(o, row, page->now);
    html_status_cell(o, row, state, page->now);
    html_response_cell(o, row, page->now);
    html_refresh_cell(o, page, row);
    if (page->action_token) {
        html_action_cell(o, page, row);
    }
    put(o, "</tr>\n");
}

void ocspr_status_html_full_table(out_t *o, const ocspr_status_page_t *page,
                                  const ocspr_status_selection_t *sel, int count)
{
    int i;

    putf(o, "<table id=\"certificates\"><thead><tr><th class=\"c-cert\">Certificate</th>"
            "<th class=\"c-status\">Status</th><th class=\"c-resp\">OCSP response</th>"
            "<th>Refresh</th>%s</tr></thead>\n<tbody>\n",
         page->action_token ? "<th class=\"c-act\">Action</th>" : "");
    for (i = 0; i < count; i++) {
        html_row(o, page, ROW(page, sel->rows[i].index));
        apr_pool_clear(o->p);
    }
    put(o, "</tbody></table>\n");
}

/* Long names would make a one-line row a paragraph: at most `max` bytes,
 * cut at a character boundary, with an ellipsis. */
static const char *clip(apr_pool_t *p, const char *s, apr_size_t max)
{
    apr_size_t n;

    if (!s || strlen(s) <= max) {
        return s;
    }
    for (n = max; n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80; n--) {
    }
    return apr_pstrcat(p, apr_pstrmemdup(p, s, n), "\xE2\x80\xA6", NULL);
}

#define CLIP_TEXT 100
#define CLIP_VHOSTS 2

static const char *brief_vhosts(apr_pool_t *p, const ocspr_status_row_t *row)
{
    const char *list = "";
    int i, n = row->vhosts ? row->vhosts->nelts : 0;

    for (i = 0; i < n && i < CLIP_VHOSTS; i++) {
        list = apr_pstrcat(p, list, i ? " " : "",
                           clip(p, APR_ARRAY_IDX(row->vhosts, i, const char *), CLIP_TEXT), NULL);
    }
    return n > CLIP_VHOSTS ? apr_psprintf(p, "%s +%d more", list, n - CLIP_VHOSTS) : list;
}

/* One line: enough to see that all is well, a link to the rest. */
static void html_brief_row(out_t *o, const ocspr_status_page_t *page,
                           const ocspr_status_row_t *row)
{
    ocspr_status_state_t state = ocspr_status_row_state(row, page->now);

    putf(o, "<tr class=\"brief %s\" data-state=\"%s\"><td><a href=\"?id=",
         row_class(state), ocspr_status_state_name(state));
    H(o, row->id);
    put(o, "\">");
    H(o, clip(o->p, row->subject, CLIP_TEXT));
    put(o, "</a></td><td>");
    H(o, brief_vhosts(o->p, row));
    putf(o, "</td><td>%s</td><td>", state_badge(state));
    if (ocspr_status_row_holds_response(row, page->now)) {
        put(o, ocspr_status_duration(o->p, row->next_update - page->now));
        put(o, " left, ");
        H(o, row->source ? row->source : "-");
    }
    put(o, "</td></tr>\n");
}

static void html_pager(out_t *o, const ocspr_status_page_t *page, int current, int pages)
{
    int prev = current - 1, next = current + 1;

    putf(o, "<p class=\"pager\">Page %d of %d", current, pages);
    if (prev >= 1) {
        put(o, " &middot; <a href=\"?");
        H(o, ocspr_status_filter_query(o->p, page->filter, prev));
        put(o, "\">&laquo; previous</a>");
    }
    if (next <= pages) {
        put(o, " &middot; <a href=\"?");
        H(o, ocspr_status_filter_query(o->p, page->filter, next));
        put(o, "\">next &raquo;</a>");
    }
    put(o, "</p>\n");
}

void ocspr_status_html_brief_table(out_t *o, const ocspr_status_page_t *page,
                                   const ocspr_status_selection_t *sel, int from)
{
    int total = sel->n - from, per = OCSPR_STATUS_HTML_COMPACT_ROWS;
    int pages = (total + per - 1) / per;
    int current = page->filter && page->filter->page > 0 ? page->filter->page : 1, i, end;

    if (current > pages) {
        current = pages;
    }
    putf(o, "<h2 id=\"others\">%s (%d)</h2>\n", from ? "Other certificates" : "Certificates",
         total);
    if (pages > 1) {
        html_pager(o, page, current, pages);
    }
    put(o, "<table class=\"brief\" id=\"brief\"><thead><tr><th class=\"c-cert\">Certificate"
           "</th><th>Vhosts</th><th class=\"c-status\">State</th><th>Staple</th></tr></thead>\n"
           "<tbody>\n");
    end = from + current * per < sel->n ? from + current * per : sel->n;
    for (i = from + (current - 1) * per; i < end; i++) {
        html_brief_row(o, page, ROW(page, sel->rows[i].index));
        apr_pool_clear(o->p);
    }
    put(o, "</tbody></table>\n");
    if (pages > 1) {
        html_pager(o, page, current, pages);
    }
}

/* The filter form (a GET to the page itself) and what the filter selects. */