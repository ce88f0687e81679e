/* libFuzzer target: the status page's renderers (HTML page, mod_status
 * section, JSON, Prometheus, ?auto) and its query-string parser, with
 * hostile strings in every field a certificate, a responder, the fleet
 * exchange or a request can fill.
 *
 * Input: CONTROL_LEN control bytes (number of rows, each row's state and
 * times, the page's flags, a filter), then strings separated by NUL bytes
 * that fill, in order, the page's and every row's text fields (reused
 * round-robin when there are fewer).
 *
 * Properties asserted (test/unit/status_wellformed.h judges each format):
 * - the HTML page and the mod_status section are well formed (known tags,
 *   quoted attributes, valid entities, balanced), and data adds no markup:
 *   rendering the same page with every < > " ' in the data replaced by
 *   characters the data does not contain yields exactly as many of each;
 * - the JSON is RFC 8259 (one value, no duplicate key, valid UTF-8) and has
 *   no raw '<' anywhere;
 * - Prometheus is text format 0.0.4 with every label value escaped;
 * - ?auto is one "OCSPRefreshKey: value" per line, no raw control bytes;
 * - the query parser either accepts, and then the query string it derives
 *   from the filter parses back to the same filter, or answers with a
 *   one-line message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "ocspr_response.h"
#include "ocspr_status.h"
#include "../unit/status_wellformed.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) { abort(); } } while (0)

#define NOW apr_time_from_sec(1750000000)
#define MAX_ROWS 4
#define ROW_CONTROL 6
#define CONTROL_LEN (4 + MAX_ROWS * ROW_CONTROL)

/* The page's strings, then each row's. */
enum { P_SERVER, P_VERSION, P_NOTICE, P_TOKEN, P_FLEET, P_FLEET_ERROR, P_VHOST, P_ID,
       P_QUERY, P_COUNT };
enum { R_ID, R_SUBJECT, R_SERIAL, R_ISSUER, R_KEY_TYPE, R_URL, R_NOT_APPLICABLE, R_REASON,
       R_SOURCE, R_REJECT, R_VHOST1, R_VHOST2, R_COUNT };
#define NSTRINGS (P_COUNT + MAX_ROWS * R_COUNT)

/* --- the input --------------------------------------------------------------------- */

typedef struct {
    unsigned char control[CONTROL_LEN];
    const char *s[NSTRINGS];
} input_t;

static void split_input(input_t *in, apr_pool_t *p, const uint8_t *data, size_t size)
{
    size_t n = size < CONTROL_LEN ? size : CONTROL_LEN;
    const char *pieces[NSTRINGS];
    int npieces = 0, i;
    char *rest;
    size_t at, len;

    memset(in->control, 0, sizeof(in->control));
    memcpy(in->control, data, n);
    len = size - n;
    rest = apr_pstrmemdup(p, (const char *)data + n, len);
    for (at = 0; at <= len && npieces < NSTRINGS; at += strlen(rest + at) + 1) {
        pieces[npieces++] = rest + at;
    }
    for (i = 0; i < NSTRINGS; i++) {
        in->s[i] = pieces[i % npieces];
    }
}

/* A time near NOW: from two days ago to about four days ahead. */
static apr_time_t near_now(unsigned char b)
{
    return NOW + apr_time_from_sec(((apr_int64_t)b - 85) * 3600);
}

static const char *maybe(const char *s, int present)
{
    return present ? s : NULL;
}

static void fill_row(ocspr_status_row_t *row, const input_t *in, int r, apr_pool_t *p)
{
    const unsigned char *c = in->control + 4 + r * ROW_CONTROL;
    const char *const *s = in->s + P_COUNT + r * R_COUNT;
    int i;

    memset(row, 0, sizeof(*row));
    row->id = s[R_ID];
    row->subject = maybe(s[R_SUBJECT], !(c[0] & 0x80));
    row->serial = s[R_SERIAL];
    row->issuer = s[R_ISSUER];
    row->key_type = s[R_KEY_TYPE];
    row->vhosts = apr_array_make(p, 2, sizeof(const char *));
    for (i = 0; i < (c[5] & 3); i++) {
        APR_ARRAY_PUSH(row->vhosts, const char *) = s[i ? R_VHOST2 : R_VHOST1];
    }
    row->cert_not_after = c[0] & 0x40 ? near_now(c[2]) : 0;
    row->must_staple = c[0] & 1;
    row->responder_url = maybe(s[R_URL], !(c[0] & 2));
    row->not_applicable = maybe(s[R_NOT_APPLICABLE], c[0] & 4);
    row->cert_status = (c[1] & 3);
    row->served = c[0] & 8;
    row->this_update = near_now(c[2]) - apr_time_from_sec(3600);
    row->next_update = near_now(c[3]);
    row->produced_at = row->this_update;
    row->revoked_at = c[0] & 0x20 ? near_now(c[4]) : 0;
    row->revocation_reason = (int)(c[4] % 12) - 1;
    row->fetched = near_now(c[4]);
    row->response_len = (apr_size_t)c[4] * 17;
    row->source = maybe(s[R_SOURCE], c[1] & 4);
    row->next_attempt = c[1] & 8 ? near_now(c[5]) : 0;
    row->refresh_requested = c[0] & 0x10;
    row->last_attempt = c[1] & 0x10 ? near_now(c[2]) : 0;
    row->last_outcome = c[5] % OCSPR_OUTCOME_COUNT;
    row->last_reason = maybe(s[R_REASON], c[1] & 0x20);
    row->consecutive_failures = (c[1] >> 6) * (c[5] >> 4);
    row->last_latency = (apr_interval_time_t)c[3] * 1000;
    for (i = 0; i < OCSPR_OUTCOME_COUNT; i++) {
        row->attempts[i] = (apr_uint64_t)((c[(i % ROW_CONTROL)] >> (i % 8)) & 3);
    }
    row->fleet_adopted = c[2] & 7;
    row->fleet_published = c[3] & 7;
    row->fleet_rejected = (apr_uint64_t)(c[5] >> 5) * 1000000007u;
    row->fleet_reject_reason = maybe(s[R_REJECT], c[5] & 4);
}

/* --- the page ---------------------------------------------------------------------- */

static ocspr_status_page_t *build_page(const input_t *in, ocspr_status_filter_t *filter,
                                       apr_pool_t *p)
{
    ocspr_status_page_t *page = apr_pcalloc(p, sizeof(*page));
    const unsigned char *c = in->control;
    int nrows = 1 + (c[0] & 3), r;

    page->now = NOW;
    page->server = maybe(in->s[P_SERVER], c[0] & 4);
    page->version = maybe(in->s[P_VERSION], c[0] & 8);
    page->active = c[0] & 16;
    page->leader_pid = c[0] & 32 ? 4242 : 0;
    page->leader_since = near_now(c[1]);
    page->last_tick = c[0] & 64 ? near_now(c[1]) : 0;
    page->notice = maybe(in->s[P_NOTICE], c[2] & 1);
    page->action_token = maybe(in->s[P_TOKEN], c[2] & 2);
    page->fleet_desc = maybe(in->s[P_FLEET], c[2] & 4);
    page->fleet_errors = c[1];
    page->fleet_last_ok = c[2] & 8 ? near_now(c[1]) : 0;
    page->fleet_last_error_time = c[2] & 16 ? near_now(c[3]) : 0;
    page->fleet_last_error = in->s[P_FLEET_ERROR];
    page->rows = apr_array_make(p, nrows, sizeof(ocspr_status_row_t));
    for (r = 0; r < nrows; r++) {
        fill_row(apr_array_push(page->rows), in, r, p);
    }
    if (c[2] & 32) {
        memset(filter, 0, sizeof(*filter));
        filter->states = c[3];
        filter->vhost = maybe(in->s[P_VHOST], c[2] & 64);
        filter->id = maybe(in->s[P_ID], c[2] & 128);
        filter->page = c[1] & 3;
        page->filter = filter;
    }
    return page;
}

/* --- rendering and judging ----------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len, cap;
} buf_t;

STATUS_WF_NOCOV
static void collect(void *baton, const char *data, apr_size_t len)
{
    buf_t *b = baton;

    if (b->len + len + 1 > b->cap) {
        b->cap = (b->len + len + 1) * 2;
        b->data = realloc(b->data, b->cap);
        FUZZ_ASSERT(b->data != NULL);
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

typedef void render_fn(const ocspr_status_page_t *, ocspr_write_fn *, void *, apr_pool_t *);

static buf_t render(render_fn *fn, const ocspr_status_page_t *page, apr_pool_t *p)
{
    buf_t b = { NULL, 0, 0 };

    collect(&b, "", 0);
    fn(page, collect, &b, p);
    FUZZ_ASSERT(strlen(b.data) == b.len);  /* no NUL byte written */
    return b;
}

static void judge(const buf_t *b,
                  const char *(*wf)(const char *, size_t, const char **))
{
    FUZZ_ASSERT(wf(b->data, b->len, NULL) == NULL);
}

STATUS_WF_NOCOV
static size_t count_char(const buf_t *b, char ch)
{
    size_t n = 0, i;

    for (i = 0; i < b->len; i++) {
        n += b->data[i] == ch;
    }
    return n;
}

/* --- the differential check: data adds no markup ------------------------------------------ */

static const char markup[] = "<>\"'";
/* Stand-ins: no letter (the filters compare ignoring case), no digit (an id
 * filter must stay hex or not), nothing an escaper or the vhost filter
 * treats specially (\ & : ,). */
static const char stand_in_candidates[] = "!#$()*+-./;=?@[]^_`{|}~";

STATUS_WF_NOCOV
static void map_string(const char **s, const char *to, apr_pool_t *p)
{
    char *copy, *c;

    if (!*s) {
        return;
    }
    copy = apr_pstrdup(p, *s);
    for (c = copy; *c; c++) {
        const char *m = strchr(markup, *c);

        if (m) {
            *c = to[m - markup];
        }
    }
    *s = copy;
}

/* Four candidates that occur in no string of the page (and its filter), so
 * that replacing markup by them changes no comparison; 0 if there are not
 * four such. */
STATUS_WF_NOCOV
static int pick_stand_ins(char *to, const ocspr_status_page_t *page, apr_pool_t *p)
{
    const char *used = apr_pstrcat(p, page->server ? page->server : "",
                                   page->version ? page->version : "",
                                   page->notice ? page->notice : "",
                                   page->action_token ? page->action_token : "",
                                   page->fleet_desc ? page->fleet_desc : "",
                                   page->fleet_last_error ? page->fleet_last_error : "",
                                   page->filter && page->filter->vhost ? page->filter->vhost : "",
                                   page->filter && page->filter->id ? page->filter->id : "",
                                   NULL);
    const char *c;
    int i, n = 0;

    for (i = 0; i < page->rows->nelts; i++) {
        const ocspr_status_row_t *r = &APR_ARRAY_IDX(page->rows, i, ocspr_status_row_t);
        int v;

        used = apr_pstrcat(p, used, r->id ? r->id : "", r->subject ? r->subject : "",
                           r->serial ? r->serial : "", r->issuer ? r->issuer : "",
                           r->key_type ? r->key_type : "", r->responder_url ? r->responder_url : "",
                           r->not_applicable ? r->not_applicable : "",
                           r->last_reason ? r->last_reason : "", r->source ? r->source : "",
                           r->fleet_reject_reason ? r->fleet_reject_reason : "", NULL);
        for (v = 0; v < r->vhosts->nelts; v++) {
            used = apr_pstrcat(p, used, APR_ARRAY_IDX(r->vhosts, v, const char *), NULL);
        }
    }
    for (c = stand_in_candidates; *c && n < 4; c++) {
        if (!strchr(used, *c)) {
            to[n++] = *c;
        }
    }
    return n == 4;
}

static ocspr_status_page_t *without_markup(const ocspr_status_page_t *page, const char *to,
                                           ocspr_status_filter_t *filter, apr_pool_t *p)
{
    ocspr_status_page_t *copy = apr_pmemdup(p, page, sizeof(*page));
    int i, v;

    map_string(&copy->server, to, p);
    map_string(&copy->version, to, p);
    map_string(&copy->notice, to, p);
    map_string(&copy->action_token, to, p);
    map_string(&copy->fleet_desc, to, p);
    map_string(&copy->fleet_last_error, to, p);
    if (page->filter) {
        *filter = *page->filter;
        map_string(&filter->vhost, to, p);
        map_string(&filter->id, to, p);
        copy->filter = filter;
    }
    copy->rows = apr_array_copy(p, page->rows);
    for (i = 0; i < copy->rows->nelts; i++) {
        ocspr_status_row_t *r = &APR_ARRAY_IDX(copy->rows, i, ocspr_status_row_t);

        map_string(&r->id, to, p);
        map_string(&r->subject, to, p);
        map_string(&r->serial, to, p);
        map_string(&r->issuer, to, p);
        map_string(&r->key_type, to, p);
        map_string(&r->responder_url, to, p);
        map_string(&r->not_applicable, to, p);
        map_string(&r->last_reason, to, p);
        map_string(&r->source, to, p);
        map_string(&r->fleet_reject_reason, to, p);
        r->vhosts = apr_array_copy(p, r->vhosts);
        for (v = 0; v < r->vhosts->nelts; v++) {
            map_string(&APR_ARRAY_IDX(r->vhosts, v, const char *), to, p);
        }
    }
    return copy;
}

static void check_html(render_fn *fn, const ocspr_status_page_t *page, apr_pool_t *p)
{
    buf_t html = render(fn, page, p), plain;
    ocspr_status_filter_t filter;
    char to[4];
    int i;

    judge(&html, status_wf_html);
    if (pick_stand_ins(to, page, p)) {
        plain = render(fn, without_markup(page, to, &filter, p), p);
        for (i = 0; markup[i]; i++) {
            FUZZ_ASSERT(count_char(&html, markup[i]) == count_char(&plain, markup[i]));
        }
        free(plain.data);
    }
    free(html.data);
}

static void check_page(const ocspr_status_page_t *page, apr_pool_t *p)
{
    buf_t b;

    check_html(ocspr_status_render_html, page, p);
    check_html(ocspr_status_render_html_section, page, p);
    b = render(ocspr_status_render_json, page, p);
    judge(&b, status_wf_json);
    FUZZ_ASSERT(memchr(b.data, '<', b.len) == NULL);
    free(b.data);
    b = render(ocspr_status_render_prometheus, page, p);
    judge(&b, status_wf_prometheus);
    free(b.data);
    b = render(ocspr_status_render_auto, page, p);
    judge(&b, status_wf_auto);
    free(b.data);
}

/* --- the query string ---------------------------------------------------------------------- */

static int same_string(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Parse the query piece; when it is accepted, return its filter. */
static const ocspr_status_filter_t *check_query(const char *args, apr_pool_t *p)
{
    ocspr_status_query_t *q = apr_palloc(p, sizeof(*q)), again;
    const char *why = ocspr_status_parse_query(q, p, args), *qs;

    if (why) {
        FUZZ_ASSERT(*why && !strchr(why, '\n') && !strchr(why, '\r'));
        FUZZ_ASSERT(status_wf_utf8(why, strlen(why), NULL) == NULL);
        return NULL;
    }
    qs = ocspr_status_filter_query(p, &q->filter, q->filter.page);
    FUZZ_ASSERT(ocspr_status_parse_query(&again, p, qs) == NULL);
    FUZZ_ASSERT(again.filter.states == q->filter.states);
    FUZZ_ASSERT(again.filter.page == q->filter.page);
    FUZZ_ASSERT(same_string(again.filter.vhost, q->filter.vhost));
    FUZZ_ASSERT(same_string(again.filter.id, q->filter.id));
    return &q->filter;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_initialize();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    input_t in;
    ocspr_status_filter_t filter;
    const ocspr_status_filter_t *parsed;
    ocspr_status_page_t *page;

    if (size > 64 * 1024) {
        return 0;
    }
    apr_pool_create(&p, NULL);
    split_input(&in, p, data, size);
    page = build_page(&in, &filter, p);
    parsed = check_query(in.s[P_QUERY], p);
    check_page(page, p);
    if (parsed && ocspr_status_filter_active(parsed)) {
        page->filter = parsed;
        check_page(page, p);
    }
    apr_pool_destroy(p);
    return 0;
}
