/* Tests for ocspr_status.c: escapers with hostile text, the row model, and
 * the HTML, JSON, Prometheus and ?auto renderers (each output checked by a
 * parser: python3's strict json module for JSON, a line grammar here for
 * Prometheus and ?auto). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <apr_strings.h>
#include <openssl/evp.h>

#include "check_support.h"
#include "ocspr_response.h"
#include "ocspr_status.h"
#include "status_wellformed.h"

/* Everything hostile a certificate or a responder could carry. */
#define HOSTILE "CN=<script>alert(\"x\")</script>,O='q' & \\ \"co\"\nline2\x01\x7f\xff\xc0\xaf end"
#define NOW apr_time_from_sec(1750000000)   /* 2025-06-15T15:06:40Z */
#define HOUR apr_time_from_sec(3600)

/* --- a collecting writer ---------------------------------------------------- */

typedef struct {
    char *data;
    apr_size_t len, cap;
} buf_t;

static void collect(void *baton, const char *data, apr_size_t len)
{
    buf_t *b = baton;

    if (b->len + len + 1 > b->cap) {
        apr_size_t cap = (b->len + len + 1) * 2;
        char *grown = apr_palloc(ocspr_test_pool, cap);

        memcpy(grown, b->data, b->len);
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

typedef void render_fn(const ocspr_status_page_t *, ocspr_write_fn *, void *, apr_pool_t *);

static const char *render(render_fn *fn, const ocspr_status_page_t *page)
{
    buf_t b = { apr_pstrdup(ocspr_test_pool, ""), 0, 1 };

    fn(page, collect, &b, ocspr_test_pool);
    ck_assert_uint_eq(strlen(b.data), b.len);   /* no NUL byte written */
    return b.data;
}

/* --- pages ------------------------------------------------------------------ */

static ocspr_status_row_t *add_row(ocspr_status_page_t *page, const char *id, const char *subject)
{
    ocspr_status_row_t *row = apr_array_push(page->rows);

    memset(row, 0, sizeof(*row));
    row->id = id;
    row->subject = subject;
    row->serial = "0A1B";
    row->issuer = "CN=Test Intermediate CA,O=ocspr test";
    row->key_type = "RSA-2048";
    row->cert_not_after = NOW + apr_time_from_sec(86400 * 300);
    row->vhosts = apr_array_make(ocspr_test_pool, 2, sizeof(const char *));
    APR_ARRAY_PUSH(row->vhosts, const char *) = "localhost:8443";
    row->responder_url = "http://127.0.0.1:9/ocsp";
    row->revocation_reason = -1;
    return row;
}

static void held(ocspr_status_row_t *row, int status, apr_interval_time_t left)
{
    row->cert_status = status;
    row->this_update = NOW - HOUR;
    row->next_update = NOW + left;
    row->produced_at = NOW - HOUR;
    row->fetched = NOW - HOUR;
    row->response_len = 1500;
    row->source = "network";
    row->served = 1;
    row->next_attempt = NOW + left / 2;
    row->last_attempt = NOW - HOUR;
    row->last_outcome = OCSPR_OUTCOME_OK;
    row->last_reason = "good response";
    row->last_latency = 12345;
    row->attempts[OCSPR_OUTCOME_OK] = 1;
}

static void failed(ocspr_status_row_t *row, int times, const char *reason)
{
    row->last_attempt = NOW - apr_time_from_sec(30);
    row->last_outcome = OCSPR_OUTCOME_REFUSED;
    row->last_reason = reason;
    row->consecutive_failures = times;
    row->attempts[OCSPR_OUTCOME_REFUSED] += (apr_uint64_t)times;
    row->next_attempt = NOW + apr_time_from_sec(60);
}

/* good, revoked, not applicable, failing, and a hostile good one. */
static ocspr_status_page_t *sample_page(void)
{
    ocspr_status_page_t *page = apr_pcalloc(ocspr_test_pool, sizeof(*page));
    ocspr_status_row_t *row;

    page->now = NOW;
    page->server = "www.example.test";
    page->version = "9.9.9-test";
    page->active = 1;
    page->leader_pid = 4242;
    page->leader_since = NOW - HOUR;
    page->last_tick = NOW - apr_time_from_sec(3);
    page->rows = apr_array_make(ocspr_test_pool, 4, sizeof(ocspr_status_row_t));

    held(add_row(page, "aa01", "CN=good.test,O=ocspr test"), OCSPR_CERT_STATUS_GOOD, 20 * HOUR);
    row = add_row(page, "aa02", "CN=revoked.test,O=ocspr test");
    held(row, OCSPR_CERT_STATUS_REVOKED, 10 * HOUR);
    row->revoked_at = NOW - 2 * HOUR;
    row->revocation_reason = 1;
    row = add_row(page, "aa03", "CN=noocsp.test,O=ocspr test");
    row->responder_url = NULL;
    row->not_applicable = "the certificate names no OCSP responder";
    row = add_row(page, "aa04", "CN=down.test,O=ocspr test");
    failed(row, 3, "connection refused by 127.0.0.1:9");
    row->must_staple = 1;
    row = add_row(page, "aa05", HOSTILE);
    held(row, OCSPR_CERT_STATUS_GOOD, 5 * HOUR);
    row->responder_url = "http://127.0.0.1:9/ocsp?\"<b>'&";
    APR_ARRAY_PUSH(row->vhosts, const char *) = "<i>evil</i>:443";
    failed(row, 1, "HTTP/1.1 500 \"<img src=x onerror=alert(1)>\"\nX-Injected: yes");
    return page;
}

/* --- helpers that judge outputs -------------------------------------------------- */

static int is_valid_utf8(const char *s)
{
    return status_wf_utf8(s, strlen(s), NULL) == NULL;
}

/* Run python3 on `input` with `script` (reading the input file named in
 * sys.argv[1]); returns what it printed, NULL when it failed. */
static const char *python(const char *script, const char *input)
{
    char in_path[] = "/tmp/ocspr-check-status-XXXXXX";
    char py_path[] = "/tmp/ocspr-check-status-py-XXXXXX";
    char line[4096];
    const char *out = "";
    int fd_in = mkstemp(in_path), fd_py = mkstemp(py_path), rc;
    FILE *pipe;

    ck_assert_int_ge(fd_in, 0);
    ck_assert_int_ge(fd_py, 0);
    ck_assert_int_eq(write(fd_in, input, strlen(input)), (ssize_t)strlen(input));
    ck_assert_int_eq(write(fd_py, script, strlen(script)), (ssize_t)strlen(script));
    close(fd_in);
    close(fd_py);
    pipe = popen(apr_psprintf(ocspr_test_pool, "python3 %s %s 2>&1", py_path, in_path), "r");
    ck_assert_ptr_nonnull(pipe);
    while (fgets(line, sizeof(line), pipe)) {
        out = apr_pstrcat(ocspr_test_pool, out, line, NULL);
    }
    rc = pclose(pipe);
    unlink(in_path);
    unlink(py_path);
    ck_assert_msg(rc == 0, "python3 failed: %s", out);
    return out;
}

/* The judge's verdict as a test message: NULL when text is well formed. */
typedef const char *judge_fn(const char *, size_t, const char **);

static const char *verdict(judge_fn *judge, const char *text)
{
    const char *where = NULL, *why = judge(text, strlen(text), &where);

    if (!why) {
        return NULL;
    }
    return apr_psprintf(ocspr_test_pool, "%s at offset %ld: %.80s", why,
                        where ? (long)(where - text) : -1L, where ? where : "");
}

#define ck_assert_wellformed(judge, text) do { \
        const char *why_ = verdict((judge), (text)); \
        ck_assert_msg(why_ == NULL, "%s", why_); \
    } while (0)

/* --- escapers -------------------------------------------------------------- */

START_TEST(html_escape_neutralises_markup)
{
    apr_pool_t *p = ocspr_test_pool;

    ck_assert_str_eq(ocspr_status_html_escape(p, "<script>alert(\"x\")</script> & 'y'"),
                     "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;");
    /* a newline and other control bytes become visible control pictures */
    ck_assert_str_eq(ocspr_status_html_escape(p, "a\nb\x01\x7f"),
                     "a\xE2\x90\x8A" "b\xE2\x90\x81\xE2\x90\xA1");
    ck_assert_str_eq(ocspr_status_html_escape(p, NULL), "");
    ck_assert_str_eq(ocspr_status_html_escape(p, "caf\xC3\xA9 \xF0\x9F\x94\x92"),
                     "caf\xC3\xA9 \xF0\x9F\x94\x92");
}
END_TEST

START_TEST(json_escape_gives_valid_json_strings)
{
    apr_pool_t *p = ocspr_test_pool;

    ck_assert_str_eq(ocspr_status_json_escape(p, "a\"b\\c\nd\te\x01"),
                     "a\\\"b\\\\c\\u000ad\\u0009e\\u0001");
    ck_assert_str_eq(ocspr_status_json_escape(p, "</script>&"), "\\u003c/script\\u003e\\u0026");
    ck_assert_str_eq(ocspr_status_json_escape(p, "x\xE2\x80\xA8y\xE2\x80\xA9"),
                     "x\\u2028y\\u2029");
    ck_assert_str_eq(ocspr_status_json_escape(p, "\x7f"), "\\u007f");
    ck_assert_str_eq(ocspr_status_json_escape(p, NULL), "");
}
END_TEST

START_TEST(invalid_utf8_is_replaced)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "\xff", "\xEF\xBF\xBD" },                       /* never valid */
        { "a\x80z", "a\xEF\xBF\xBDz" },                   /* stray continuation */
        { "\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD" },       /* overlong '/' */
        { "\xE0\x80\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },   /* overlong */
        { "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },   /* surrogate */
        { "\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
        { "\xE2\x82", "\xEF\xBF\xBD\xEF\xBF\xBD" },       /* truncated at the end */
        { "\xC3\xA9", "\xC3\xA9" },                       /* valid stays */
    };
    apr_pool_t *p = ocspr_test_pool;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_str_eq(ocspr_status_json_escape(p, cases[i].in), cases[i].out);
        ck_assert_str_eq(ocspr_status_html_escape(p, cases[i].in), cases[i].out);
        ck_assert_str_eq(ocspr_status_prom_escape(p, cases[i].in), cases[i].out);
        ck_assert_str_eq(ocspr_status_auto_escape(p, cases[i].in), cases[i].out);
    }
}
END_TEST

START_TEST(prom_and_auto_escapes)
{
    apr_pool_t *p = ocspr_test_pool;

    ck_assert_str_eq(ocspr_status_prom_escape(p, "a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    ck_assert_str_eq(ocspr_status_prom_escape(p, "t\tr\r"), "t\xEF\xBF\xBDr\xEF\xBF\xBD");
    ck_assert_str_eq(ocspr_status_prom_escape(p, "<ok> 'é'"), "<ok> 'é'");
    ck_assert_str_eq(ocspr_status_auto_escape(p, "a\\b\nc\r"), "a\\\\b\\x0ac\\x0d");
    ck_assert_str_eq(ocspr_status_auto_escape(p, "CN=x: y"), "CN=x: y");
}
END_TEST

/* Every byte string, escaped, is valid UTF-8 and free of what its format
 * forbids: a deterministic sweep over random inputs. */
START_TEST(escapers_hold_for_random_bytes)
{
    apr_pool_t *p = ocspr_test_pool;
    unsigned int seed = 12345;
    char in[64];
    int round, i;

    for (round = 0; round < 3000; round++) {
        const char *html, *json, *prom, *aut;
        int len = 1 + round % 63;

        for (i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = (char)(1 + (seed >> 16) % 255);
        }
        in[len] = '\0';
        html = ocspr_status_html_escape(p, in);
        json = ocspr_status_json_escape(p, in);
        prom = ocspr_status_prom_escape(p, in);
        aut = ocspr_status_auto_escape(p, in);
        ck_assert(is_valid_utf8(html) && is_valid_utf8(json) && is_valid_utf8(prom)
                  && is_valid_utf8(aut));
        ck_assert(!strpbrk(html, "<>\"'"));
        for (i = 0; json[i]; i++) {
            ck_assert((unsigned char)json[i] >= 0x20 && json[i] != '<');
            if (json[i] == '"') {
                ck_assert(i > 0 && json[i - 1] == '\\');
            }
        }
        for (i = 0; html[i]; i++) {
            ck_assert((unsigned char)html[i] >= 0x20);
        }
        for (i = 0; prom[i]; i++) {
            ck_assert((unsigned char)prom[i] >= 0x20);
        }
        for (i = 0; aut[i]; i++) {
            ck_assert((unsigned char)aut[i] >= 0x20 && aut[i] != 0x7f);
        }
    }
}
END_TEST

/* --- model -------------------------------------------------------------------- */

START_TEST(durations)
{
    apr_pool_t *p = ocspr_test_pool;

    ck_assert_str_eq(ocspr_status_duration(p, apr_time_from_sec(45)), "45 s");
    ck_assert_str_eq(ocspr_status_duration(p, apr_time_from_sec(0)), "0 s");
    ck_assert_str_eq(ocspr_status_duration(p, apr_time_from_sec(125)), "2 min 5 s");
    ck_assert_str_eq(ocspr_status_duration(p, apr_time_from_sec(3600)), "1 h");
    ck_assert_str_eq(ocspr_status_duration(p, apr_time_from_sec(93784)), "1 d 2 h");
    ck_assert_str_eq(ocspr_status_duration(p, -apr_time_from_sec(61)), "-1 min 1 s");
}
END_TEST

START_TEST(row_states_and_summary)
{
    ocspr_status_page_t *page = sample_page();
    ocspr_status_summary_t sum;
    ocspr_status_row_t *rows = (ocspr_status_row_t *)page->rows->elts;
    ocspr_status_row_t expired;

    ck_assert_int_eq(ocspr_status_row_state(&rows[0], NOW), OCSPR_STATE_GOOD);
    ck_assert_int_eq(ocspr_status_row_state(&rows[1], NOW), OCSPR_STATE_REVOKED);
    ck_assert_int_eq(ocspr_status_row_state(&rows[2], NOW), OCSPR_STATE_NOT_APPLICABLE);
    ck_assert_int_eq(ocspr_status_row_state(&rows[3], NOW), OCSPR_STATE_FAILING);
    ck_assert_int_eq(ocspr_status_row_state(&rows[4], NOW), OCSPR_STATE_REFRESH_FAILING);
    ck_assert_str_eq(ocspr_status_row_status_name(&rows[1], NOW), "revoked");
    ck_assert_str_eq(ocspr_status_row_status_name(&rows[2], NOW), "not_applicable");
    ck_assert_str_eq(ocspr_status_row_status_name(&rows[3], NOW), "none");
    ck_assert_str_eq(ocspr_status_state_name(OCSPR_STATE_REFRESH_FAILING), "refresh_failing");
    ck_assert_str_eq(ocspr_status_state_name(OCSPR_STATE_COUNT), "invalid");

    /* a response past nextUpdate is not held: failing, or pending before any
     * failure */
    expired = rows[0];
    expired.next_update = NOW;
    ck_assert(!ocspr_status_row_holds_response(&expired, NOW));
    ck_assert_int_eq(ocspr_status_row_state(&expired, NOW), OCSPR_STATE_PENDING);
    expired.consecutive_failures = 1;
    ck_assert_int_eq(ocspr_status_row_state(&expired, NOW), OCSPR_STATE_FAILING);
    ck_assert_str_eq(ocspr_status_row_status_name(&expired, NOW), "none");
    rows[0].cert_status = OCSPR_CERT_STATUS_UNKNOWN;
    ck_assert_int_eq(ocspr_status_row_state(&rows[0], NOW), OCSPR_STATE_UNKNOWN);
    rows[0].cert_status = OCSPR_CERT_STATUS_GOOD;

    ocspr_status_summarize(&sum, page);
    ck_assert_int_eq(sum.total, 5);
    ck_assert_int_eq(sum.stapled, 2);
    ck_assert_int_eq(sum.by_state[OCSPR_STATE_REVOKED], 1);
    ck_assert_int_eq(sum.by_state[OCSPR_STATE_FAILING], 1);
    ck_assert_int_eq(sum.by_state[OCSPR_STATE_NOT_APPLICABLE], 1);
    ck_assert_ptr_eq(sum.soonest_response, &rows[4]);     /* 5 h left */
    ck_assert_ptr_eq(sum.soonest_cert, &rows[0]);         /* all equal: the first */
}
END_TEST

/* --- renderers -------------------------------------------------------------- */

static const char json_check_py[] =
    "import json, sys\n"
    "raw = open(sys.argv[1], 'rb').read()\n"
    "d = json.loads(raw.decode('utf-8'))\n"          /* strict: no control chars */
    "c = d['certificates']\n"
    "print(d['summary']['certificates'], d['summary']['stapled'], d['summary']['revoked'],\n"
    "      d['summary']['not_applicable'], d['summary']['failing'], d['leader_pid'],\n"
    "      d['generated'], d['generated_epoch'])\n"
    "for x in c:\n"
    "    print(x['id'], x['state'], x['status'], x['seconds_left'], x['next_update_epoch'],\n"
    "          x['revocation_reason'], x['consecutive_failures'], x['fetch_failures'],\n"
    "          x['last_outcome'], x['response_size_bytes'], x['source'],\n"
    "          x['last_fetch_latency_seconds'], len(x['vhosts']))\n"
    "print(ascii(c[4]['subject']))\n"
    "print(ascii(c[4]['last_reason']))\n";

START_TEST(json_is_valid_and_complete)
{
    ocspr_status_page_t *page = sample_page();
    const char *json = render(ocspr_status_render_json, page);
    const char *out = python(json_check_py, json);
    char *expected;

    ck_assert_wellformed(status_wf_json, json);
    ck_assert_ptr_null(strstr(json, "<script"));
    expected = apr_psprintf(ocspr_test_pool,
        "5 2 1 1 1 4242 2025-06-15T15:06:40Z 1750000000\n"
        "aa01 good good 72000 1750072000 None 0 0 ok 1500 network 0.012 1\n"
        "aa02 revoked revoked 36000 1750036000 keyCompromise 0 0 ok 1500 network 0.012 1\n"
        "aa03 not_applicable not_applicable None None None 0 0 None None None None 1\n"
        "aa04 failing none None None None 3 3 refused None None 0.0 1\n"
        "aa05 refresh_failing good 18000 1750018000 None 1 1 refused 1500 network 0.012 2\n"
        "%s\n%s\n",
        "'CN=<script>alert(\"x\")</script>,O=\\'q\\' & \\\\ \"co\"\\nline2\\x01\\x7f\\ufffd"
        "\\ufffd\\ufffd end'",
        "'HTTP/1.1 500 \"<img src=x onerror=alert(1)>\"\\nX-Injected: yes'");
    ck_assert_str_eq(out, expected);
}
END_TEST

START_TEST(json_of_an_empty_page)
{
    ocspr_status_page_t page;
    const char *out;

    memset(&page, 0, sizeof(page));
    page.now = NOW;
    out = python("import json, sys\n"
                 "d = json.load(open(sys.argv[1]))\n"
                 "print(d['certificates'], d['summary']['certificates'], d['active'],"
                 " d['summary']['soonest_response_expiry'], d['server'])\n",
                 render(ocspr_status_render_json, &page));
    ck_assert_str_eq(out, "[] 0 False None None\n");
}
END_TEST

START_TEST(prometheus_is_well_formed)
{
    ocspr_status_page_t *page = sample_page();
    const char *prom = render(ocspr_status_render_prometheus, page);

    ck_assert_wellformed(status_wf_prometheus, prom);
    ck_assert_ptr_nonnull(strstr(prom, "# TYPE ocsp_refresh_fetch_attempts_total counter\n"));
    ck_assert_ptr_nonnull(strstr(prom, "ocsp_refresh_certificates{state=\"revoked\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(prom, "ocsp_refresh_certificate_status{id=\"aa02\","
                                       "subject=\"CN=revoked.test,O=ocspr test\","
                                       "status=\"revoked\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(prom, "ocsp_refresh_response_valid_seconds{id=\"aa01\","
                                       "subject=\"CN=good.test,O=ocspr test\"} 72000\n"));
    ck_assert_ptr_nonnull(strstr(prom, "ocsp_refresh_fetch_attempts_total{id=\"aa04\","
                                       "subject=\"CN=down.test,O=ocspr test\","
                                       "outcome=\"refused\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(prom, "ocsp_refresh_last_fetch_latency_seconds{id=\"aa01\","
                                       "subject=\"CN=good.test,O=ocspr test\"} 0.012345\n"));
    /* the hostile subject, escaped per the format */
    ck_assert_ptr_nonnull(strstr(prom, "subject=\"CN=<script>alert(\\\"x\\\")</script>,O='q' "
                                       "& \\\\ \\\"co\\\"\\nline2"));
    /* the not-applicable certificate has no fetch series */
    ck_assert_ptr_null(strstr(prom, "ocsp_refresh_next_refresh_seconds{id=\"aa03\""));
    ck_assert_ptr_nonnull(strstr(prom, "ocsp_refresh_certificate_status{id=\"aa03\","
                                       "subject=\"CN=noocsp.test,O=ocspr test\","
                                       "status=\"not_applicable\"} 1\n"));
}
END_TEST

START_TEST(prometheus_of_an_empty_page)
{
    ocspr_status_page_t page;
    const char *prom;

    memset(&page, 0, sizeof(page));
    page.now = NOW;
    prom = render(ocspr_status_render_prometheus, &page);
    ck_assert_wellformed(status_wf_prometheus, prom);
    ck_assert_ptr_nonnull(strstr(prom, "ocsp_refresh_active 0\n"));
    ck_assert_ptr_null(strstr(prom, "ocsp_refresh_certificate_info"));
}
END_TEST

#define AUTO_TOTALS "OCSPRefreshVersion: 9.9.9-test\nOCSPRefreshActive: 1\n" \
    "OCSPRefreshCertificates: 5\nOCSPRefreshStapled: 2\n"

START_TEST(auto_lines_parse)
{
    ocspr_status_page_t *page = sample_page();
    const char *text = render(ocspr_status_render_auto, page), *line = text;
    int n = 0;

    ck_assert_wellformed(status_wf_auto, text);
    while (*line) {
        const char *end = strchr(line, '\n'), *c = line;

        ck_assert_msg(end != NULL, "unterminated line");
        ck_assert_msg(!strncmp(c, "OCSPRefresh", 11), "bad key at: %.40s", line);
        while (isalnum((unsigned char)*c)) {
            c++;
        }
        ck_assert_msg(c[0] == ':' && c[1] == ' ', "no ': ' at: %.40s", line);
        for (; c < end; c++) {
            ck_assert((unsigned char)*c >= 0x20 && *c != 0x7f);
        }
        n++;
        line = end + 1;
    }
    ck_assert_int_gt(n, 20);
    /* totals first, then per certificate */
    ck_assert_msg(!strncmp(text, AUTO_TOTALS, strlen(AUTO_TOTALS)), "%.200s", text);
    ck_assert_ptr_nonnull(strstr(text, "\nOCSPRefreshRevoked: 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nOCSPRefreshCert1State: revoked\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nOCSPRefreshCert3ConsecutiveFailures: 3\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nOCSPRefreshSoonestExpirySeconds: 18000\n"));
    ck_assert_ptr_nonnull(strstr(text, "\\\\ \"co\"\\x0aline2\\x01\\x7f"));
}
END_TEST

static int count(const char *hay, const char *needle)
{
    int n = 0;

    while ((hay = strstr(hay, needle))) {
        n++;
        hay += strlen(needle);
    }
    return n;
}

START_TEST(html_escapes_and_flags_problems)
{
    ocspr_status_page_t *page = sample_page();
    const char *html;

    page->action_token = "tok\"en";
    page->notice = "Refresh of <b>x</b> requested";
    html = render(ocspr_status_render_html, page);
    ck_assert_wellformed(status_wf_html, html);
    /* no markup from a certificate, responder or notice survives */
    ck_assert_int_eq(count(html, "<script"), 0);
    ck_assert_int_eq(count(html, "<img"), 0);
    ck_assert_int_eq(count(html, "<i>"), 0);
    ck_assert_int_eq(count(html, "<b>x"), 0);
    ck_assert_ptr_nonnull(strstr(html, "CN=&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;,"
                                       "O=&#39;q&#39; &amp; \\ &quot;co&quot;\xE2\x90\x8Aline2"));
    ck_assert_ptr_nonnull(strstr(html, "&lt;img src=x onerror=alert(1)&gt;"));
    ck_assert_ptr_nonnull(strstr(html, "value=\"tok&quot;en\""));
    /* one row each, problems in words as well as colour */
    ck_assert_int_eq(count(html, "<tr class=\"cert "), 5);
    ck_assert_ptr_nonnull(strstr(html, "<tr class=\"cert problem\" id=\"cert-aa02\" "
                                       "data-state=\"revoked\">"));
    ck_assert_ptr_nonnull(strstr(html, ">REVOKED<"));
    ck_assert_ptr_nonnull(strstr(html, "reason keyCompromise"));
    ck_assert_ptr_nonnull(strstr(html, ">FAILING<"));
    ck_assert_ptr_nonnull(strstr(html, ">NOT APPLICABLE<"));
    ck_assert_ptr_nonnull(strstr(html, ">REFRESH FAILING<"));
    ck_assert_ptr_nonnull(strstr(html, "Must-Staple: browsers refuse"));
    /* the summary line comes before the table */
    ck_assert_ptr_nonnull(strstr(html, "<strong>5 certificates</strong>"));
    ck_assert_ptr_nonnull(strstr(html, "2 stapled</a>"));
    ck_assert(strstr(html, "id=\"summary\"") < strstr(html, "id=\"certificates\""));
    /* a refresh form for every stapled certificate only */
    ck_assert_int_eq(count(html, "<form method=\"post\">"), 4);
    /* self-contained: nothing loaded from elsewhere */
    ck_assert_int_eq(count(html, " src=\""), 0);
    ck_assert_int_eq(count(html, "href=\"http"), 0);
    ck_assert_int_eq(count(html, "<link"), 0);
    ck_assert_int_eq(count(html, "@import"), 0);
}
END_TEST

START_TEST(html_without_actions_has_no_forms)
{
    ocspr_status_page_t *page = sample_page();
    const char *html = render(ocspr_status_render_html, page);

    ck_assert_int_eq(count(html, "<form method=\"post\""), 0);
    ck_assert_int_eq(count(html, "<th class=\"c-act\">Action</th>"), 0);
    /* the one form left is the filter, a GET */
    ck_assert_int_eq(count(html, "<form"), 1);
    ck_assert_int_eq(count(html, "<form method=\"get\""), 1);
}
END_TEST

START_TEST(csp_hash_matches_the_style)
{
    ocspr_status_page_t *page = sample_page();
    const char *html = render(ocspr_status_render_html, page);
    const char *csp = ocspr_status_html_csp(ocspr_test_pool);
    const char *start = strstr(html, "<style>"), *end = strstr(html, "</style>");
    unsigned char md[32];
    char b64[64];
    unsigned int mdlen = 0;

    ck_assert(start && end && end > start);
    start += 7;
    ck_assert_int_eq(EVP_Digest(start, (size_t)(end - start), md, &mdlen, EVP_sha256(), NULL), 1);
    EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
    ck_assert_ptr_nonnull(strstr(csp, apr_pstrcat(ocspr_test_pool, "'sha256-", b64, "'", NULL)));
    ck_assert_ptr_nonnull(strstr(csp, "default-src 'none'"));
    ck_assert_ptr_null(strstr(csp, "script-src"));
}
END_TEST

START_TEST(status_section_escapes)
{
    ocspr_status_page_t *page = sample_page();
    const char *html = render(ocspr_status_render_html_section, page);

    ck_assert_wellformed(status_wf_html, html);
    ck_assert_int_eq(count(html, "<script"), 0);
    ck_assert_int_eq(count(html, "<i>"), 0);
    ck_assert_ptr_nonnull(strstr(html, "5 certificates: 2 stapled, 1 with failing refreshes, "
                                       "1 failing, 1 revoked, 1 not applicable."));
    ck_assert_int_eq(count(html, "<tr><td>"), 5);
    ck_assert_ptr_nonnull(strstr(html, "<b>revoked</b>"));
}
END_TEST

/* --- what a handshake gets: served ------------------------------------------------- */

START_TEST(held_but_not_served_is_a_problem_everywhere)
{
    ocspr_status_page_t *page = sample_page();
    ocspr_status_row_t *rows = (ocspr_status_row_t *)page->rows->elts, expired;
    ocspr_status_summary_t sum;
    const char *html, *json, *prom, *aut, *out;

    rows[0].served = 0;                 /* good.test: held, valid, not in the cache */
    ck_assert(ocspr_status_row_holds_response(&rows[0], NOW));
    ck_assert(!ocspr_status_row_stapled(&rows[0], NOW));
    ck_assert_int_eq(ocspr_status_row_state(&rows[0], NOW), OCSPR_STATE_NOT_SERVED);
    ck_assert_str_eq(ocspr_status_row_status_name(&rows[0], NOW), "none");
    ck_assert_str_eq(ocspr_status_row_held_status_name(&rows[0], NOW), "good");
    /* served but past nextUpdate: not stapled either */
    expired = rows[4];
    expired.next_update = NOW;
    ck_assert(!ocspr_status_row_stapled(&expired, NOW));
    ck_assert_int_eq(ocspr_status_row_state(&expired, NOW), OCSPR_STATE_FAILING);
    ck_assert_ptr_null(ocspr_status_row_held_status_name(&expired, NOW));

    ocspr_status_summarize(&sum, page);
    ck_assert_int_eq(sum.stapled, 1);
    ck_assert_int_eq(sum.by_state[OCSPR_STATE_NOT_SERVED], 1);
    ck_assert_ptr_eq(sum.soonest_response, &rows[4]);

    html = render(ocspr_status_render_html, page);
    ck_assert_wellformed(status_wf_html, html);
    ck_assert_ptr_nonnull(strstr(html, "<tr class=\"cert problem\" id=\"cert-aa01\" "
                                       "data-state=\"not_served\">"));
    ck_assert_ptr_nonnull(strstr(html, ">NOT SERVED<"));
    ck_assert_ptr_nonnull(strstr(html, "Held but missing from the serving cache"));
    ck_assert_ptr_nonnull(strstr(html, "1 held but not served</a>"));
    ck_assert_ptr_nonnull(strstr(html, "1 stapled</a>"));
    /* problems first: revoked, failing, then not served */
    ck_assert(strstr(html, "id=\"cert-aa02\"") < strstr(html, "id=\"cert-aa04\""));
    ck_assert(strstr(html, "id=\"cert-aa04\"") < strstr(html, "id=\"cert-aa01\""));
    ck_assert(strstr(html, "id=\"cert-aa01\"") < strstr(html, "id=\"cert-aa05\""));

    json = render(ocspr_status_render_json, page);
    ck_assert_wellformed(status_wf_json, json);
    out = python("import json, sys\n"
                 "d = json.load(open(sys.argv[1]))\n"
                 "c = d['certificates'][0]\n"
                 "print(d['summary']['stapled'], d['summary']['not_served'], c['state'],"
                 " c['status'], c['held_status'], c['stapled'], c['served'],"
                 " c['not_served_reason'])\n"
                 "c = d['certificates'][4]\n"
                 "print(c['state'], c['status'], c['held_status'], c['stapled'], c['served'])\n",
                 json);
    ck_assert_str_eq(out, "1 1 not_served none good False False held but missing from the "
                          "serving cache\nrefresh_failing good good True True\n");

    prom = render(ocspr_status_render_prometheus, page);
    ck_assert_wellformed(status_wf_prometheus, prom);
    ck_assert_ptr_nonnull(strstr(prom, "ocsp_refresh_certificate_status{id=\"aa01\","
                                       "subject=\"CN=good.test,O=ocspr test\","
                                       "status=\"none\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(prom, "ocsp_refresh_certificate_stapled{id=\"aa01\","
                                       "subject=\"CN=good.test,O=ocspr test\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(prom, "ocsp_refresh_certificate_stapled{id=\"aa02\","
                                       "subject=\"CN=revoked.test,O=ocspr test\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(prom, "ocsp_refresh_certificates{state=\"not_served\"} 1\n"));

    aut = render(ocspr_status_render_auto, page);
    ck_assert_wellformed(status_wf_auto, aut);
    ck_assert_ptr_nonnull(strstr(aut, "\nOCSPRefreshStapled: 1\n"));
    ck_assert_ptr_nonnull(strstr(aut, "\nOCSPRefreshNotServed: 1\n"));
    ck_assert_ptr_nonnull(strstr(aut, "\nOCSPRefreshCert0State: not_served\n"
                                      "OCSPRefreshCert0Status: none\n"
                                      "OCSPRefreshCert0Stapled: 0\n"));
}
END_TEST

/* --- the fleet exchange and the version ------------------------------------------------ */

static ocspr_status_page_t *fleet_page(void)
{
    ocspr_status_page_t *page = sample_page();
    ocspr_status_row_t *rows = (ocspr_status_row_t *)page->rows->elts;

    page->fleet_desc = "memcache:127.0.0.1:11211";
    page->fleet_errors = 7;
    page->fleet_last_ok = NOW - apr_time_from_sec(5);
    page->fleet_last_error_time = NOW - HOUR;
    page->fleet_last_error = "memcache: connection refused\n<b>x</b>";
    rows[0].source = "fleet";
    rows[0].fleet_adopted = 3;
    rows[0].fleet_published = 1;
    rows[4].fleet_published = 2;
    rows[4].fleet_rejected = 4;
    rows[4].fleet_reject_reason = "signature: not signed by the issuer \"<i>\"";
    return page;
}

START_TEST(fleet_health_and_counters)
{
    ocspr_status_page_t *page = fleet_page();
    const char *html = render(ocspr_status_render_html, page);
    const char *json = render(ocspr_status_render_json, page);
    const char *prom = render(ocspr_status_render_prometheus, page);
    const char *aut = render(ocspr_status_render_auto, page);
    const char *out;

    ck_assert_wellformed(status_wf_html, html);
    ck_assert_ptr_nonnull(strstr(html, "<strong>Fleet exchange</strong> "
                                       "<code>memcache:127.0.0.1:11211</code> "
                                       "<span class=\"badge ok\">OK</span>"));
    ck_assert_ptr_nonnull(strstr(html, "adopted 3, published 3, rejected "
                                       "<span class=\"flag bad\">4</span>"));
    ck_assert_ptr_nonnull(strstr(html, "connection refused\xE2\x90\x8A&lt;b&gt;x&lt;/b&gt;"));
    ck_assert_ptr_nonnull(strstr(html, "<dt>Last rejection</dt><dd>signature: not signed by "
                                       "the issuer &quot;&lt;i&gt;&quot;</dd>"));
    ck_assert_ptr_nonnull(strstr(html, "<dt>Source</dt><dd>fleet, obtained"));

    ck_assert_wellformed(status_wf_json, json);
    out = python("import json, sys\n"
                 "d = json.load(open(sys.argv[1]))\n"
                 "f = d['fleet']\n"
                 "print(f['exchange'], f['healthy'], f['errors'], f['adopted'], f['published'],"
                 " f['rejected'], f['last_ok_epoch'], f['last_error_time_epoch'],"
                 " ascii(f['last_error']))\n"
                 "for c in d['certificates']:\n"
                 "    print(c['source'], c['fleet_adopted'], c['fleet_published'],"
                 " c['fleet_rejected'], c['fleet_last_reject_reason'])\n",
                 json);
    ck_assert_str_eq(out, "memcache:127.0.0.1:11211 True 7 3 3 4 1749999995 1749996400 "
                          "'memcache: connection refused\\n<b>x</b>'\n"
                          "fleet 3 1 0 None\n"
                          "network 0 0 0 None\n"
                          "None 0 0 0 None\n"
                          "None 0 0 0 None\n"
                          "network 0 2 4 signature: not signed by the issuer \"<i>\"\n");

    ck_assert_wellformed(status_wf_prometheus, prom);
    ck_assert_ptr_nonnull(strstr(prom, "ocsp_refresh_fleet_info{exchange="
                                       "\"memcache:127.0.0.1:11211\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(prom, "# TYPE ocsp_refresh_fleet_adopted_total counter\n"
                                       "ocsp_refresh_fleet_adopted_total 3\n"));
    ck_assert_ptr_nonnull(strstr(prom, "\nocsp_refresh_fleet_published_total 3\n"));
    ck_assert_ptr_nonnull(strstr(prom, "\nocsp_refresh_fleet_rejected_total 4\n"));
    ck_assert_ptr_nonnull(strstr(prom, "\nocsp_refresh_fleet_errors_total 7\n"));
    ck_assert_ptr_nonnull(strstr(prom, "\nocsp_refresh_fleet_last_ok_timestamp_seconds "
                                       "1749999995\n"));

    ck_assert_wellformed(status_wf_auto, aut);
    ck_assert_ptr_nonnull(strstr(aut, "\nOCSPRefreshFleet: memcache:127.0.0.1:11211\n"
                                      "OCSPRefreshFleetAdopted: 3\n"
                                      "OCSPRefreshFleetPublished: 3\n"
                                      "OCSPRefreshFleetRejected: 4\n"
                                      "OCSPRefreshFleetErrors: 7\n"));
    ck_assert_ptr_nonnull(strstr(aut, "\nOCSPRefreshFleetLastError: memcache: connection "
                                      "refused\\x0a<b>x</b>\n"));
    ck_assert_ptr_nonnull(strstr(aut, "\nOCSPRefreshCert0Source: fleet\n"));
    ck_assert_ptr_nonnull(strstr(aut, "\nOCSPRefreshCert4FleetRejected: 4\n"));
}
END_TEST

START_TEST(failing_fleet_and_no_fleet)
{
    ocspr_status_page_t *page = fleet_page();
    const char *html, *json, *prom;

    page->fleet_last_error_time = NOW - apr_time_from_sec(1);
    html = render(ocspr_status_render_html, page);
    ck_assert_ptr_nonnull(strstr(html, "<span class=\"badge bad\">FAILING</span>"));
    ck_assert_ptr_nonnull(strstr(python("import json, sys\n"
                                        "print(json.load(open(sys.argv[1]))['fleet']"
                                        "['healthy'])\n",
                                        render(ocspr_status_render_json, page)), "False"));

    page = sample_page();
    page->version = NULL;
    html = render(ocspr_status_render_html, page);
    json = render(ocspr_status_render_json, page);
    prom = render(ocspr_status_render_prometheus, page);
    ck_assert_ptr_null(strstr(html, "id=\"fleet\""));
    ck_assert_ptr_null(strstr(html, "<dt>Fleet</dt>"));
    ck_assert_ptr_null(strstr(prom, "ocsp_refresh_fleet"));
    ck_assert_ptr_nonnull(strstr(prom, "ocsp_refresh_build_info{version=\"unknown\"} 1\n"));
    ck_assert_str_eq(python("import json, sys\n"
                            "d = json.load(open(sys.argv[1]))\n"
                            "print(d['fleet'], d['version'], d['filter'])\n", json),
                     "None None None\n");
}
END_TEST

START_TEST(version_everywhere)
{
    ocspr_status_page_t *page = sample_page();

    page->version = "1.2.3\"<x>";
    ck_assert_ptr_nonnull(strstr(render(ocspr_status_render_html, page),
                                 "mod_ocsp_refresh 1.2.3&quot;&lt;x&gt;.</p>"));
    ck_assert_ptr_nonnull(strstr(render(ocspr_status_render_json, page),
                                 "\"version\": \"1.2.3\\\"\\u003cx\\u003e\""));
    ck_assert_ptr_nonnull(strstr(render(ocspr_status_render_prometheus, page),
                                 "# TYPE ocsp_refresh_build_info gauge\n"
                                 "ocsp_refresh_build_info{version=\"1.2.3\\\"<x>\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(render(ocspr_status_render_auto, page),
                                 "OCSPRefreshVersion: 1.2.3\"<x>\n"));
}
END_TEST

/* --- the query string and filters -------------------------------------------------------- */

static const char *parse(ocspr_status_query_t *q, const char *args)
{
    return ocspr_status_parse_query(q, ocspr_test_pool, args);
}

START_TEST(query_formats_filters_and_actions)
{
    ocspr_status_query_t q;

    ck_assert_ptr_null(parse(&q, NULL));
    ck_assert_int_eq(q.format, OCSPR_STATUS_FORMAT_HTML);
    ck_assert(!ocspr_status_filter_active(&q.filter));
    ck_assert_ptr_null(parse(&q, "json&state=failing,revoked;vhost=a.example&id=AB12&page=3"));
    ck_assert_int_eq(q.format, OCSPR_STATUS_FORMAT_JSON);
    ck_assert_uint_eq(q.filter.states,
                      (1u << OCSPR_STATE_FAILING) | (1u << OCSPR_STATE_REVOKED));
    ck_assert_str_eq(q.filter.vhost, "a.example");
    ck_assert_str_eq(q.filter.id, "AB12");
    ck_assert_int_eq(q.filter.page, 3);
    /* the first format word decides; state= repeats add up */
    ck_assert_ptr_null(parse(&q, "prometheus&json=1&state=good&state=pending"));
    ck_assert_int_eq(q.format, OCSPR_STATUS_FORMAT_PROMETHEUS);
    ck_assert_uint_eq(q.filter.states, (1u << OCSPR_STATE_GOOD) | (1u << OCSPR_STATE_PENDING));
    /* problems: every state but good and not applicable */
    ck_assert_ptr_null(parse(&q, "state=problems"));
    ck_assert_uint_eq(q.filter.states, ((1u << OCSPR_STATE_COUNT) - 1)
                                       & ~(1u << OCSPR_STATE_GOOD)
                                       & ~(1u << OCSPR_STATE_NOT_APPLICABLE));
    /* an empty form submits empty fields: no filter */
    ck_assert_ptr_null(parse(&q, "state=&vhost=&id=&page="));
    ck_assert(!ocspr_status_filter_active(&q.filter));
    /* %-escapes and '+' */
    ck_assert_ptr_null(parse(&q, "vhost=b%2Eexample%3A8443&requested=ff00"));
    ck_assert_str_eq(q.filter.vhost, "b.example:8443");
    ck_assert_str_eq(q.requested, "ff00");
    ck_assert(!q.has_action);
    ck_assert_ptr_null(parse(&q, "action=refresh"));
    ck_assert(q.has_action);
    ck_assert_ptr_null(parse(&q, "token="));
    ck_assert(q.has_action);
    ck_assert_ptr_null(parse(&q, "_=12345&whatever"));   /* unknown words: ignored */
}
END_TEST

START_TEST(query_errors_say_what_is_wrong)
{
    static const struct {
        const char *args, *error;
    } cases[] = {
        { "state=fine", "state=fine: unknown state (known: problems, good, refresh_failing, "
                        "revoked, unknown, failing, not_served, pending, not_applicable)" },
        { "state=good,,bogus", "state=bogus: unknown state" },
        { "id=xyz", "id=xyz: an id is 1 to 40 hex digits" },
        { "id=00112233445566778899aabbccddeeff0011223344",
          "id=00112233445566778899aabbccddeeff0011223344: an id is 1 to 40 hex digits" },
        { "vhost=a%20b", "vhost=a b: a vhost is a host name or name:port" },
        { "vhost=a%0Ab", "vhost=a\\x0ab: a vhost" },
        { "page=0", "page=0: a page is a number from 1" },
        { "page=-2", "page=-2: a page" },
        { "page=2x", "page=2x: a page" },
        { "vhost=%zz", "vhost: a malformed %-escape or an encoded NUL byte" },
        { "id=%00", "id: a malformed %-escape" },
        { "vhost=a%2", "vhost: a malformed %-escape" },
    };
    ocspr_status_query_t q;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *why = parse(&q, cases[i].args);

        ck_assert_msg(why != NULL, "%s accepted", cases[i].args);
        ck_assert_msg(!strncmp(why, cases[i].error, strlen(cases[i].error)),
                      "%s: got \"%s\"", cases[i].args, why);
    }
}
END_TEST

START_TEST(filter_query_round_trips)
{
    ocspr_status_filter_t f = { 0, NULL, NULL, 0 };
    ocspr_status_query_t q;
    const char *qs;

    ck_assert_str_eq(ocspr_status_filter_query(ocspr_test_pool, &f, 0), "");
    ck_assert_str_eq(ocspr_status_filter_query(ocspr_test_pool, NULL, 2), "page=2");
    f.states = (1u << OCSPR_STATE_FAILING) | (1u << OCSPR_STATE_NOT_SERVED);
    f.vhost = "x\"&y=<z>:443";
    f.id = "aB01";
    qs = ocspr_status_filter_query(ocspr_test_pool, &f, 4);
    ck_assert_str_eq(qs, "state=failing,not_served&vhost=x%22%26y%3D%3Cz%3E:443&id=aB01&page=4");
    ck_assert_ptr_null(parse(&q, qs));
    ck_assert_uint_eq(q.filter.states, f.states);
    ck_assert_str_eq(q.filter.vhost, f.vhost);
    ck_assert_str_eq(q.filter.id, f.id);
    ck_assert_int_eq(q.filter.page, 4);
}
END_TEST

START_TEST(filters_select_rows)
{
    ocspr_status_page_t *page = sample_page();
    ocspr_status_row_t *rows = (ocspr_status_row_t *)page->rows->elts;
    ocspr_status_filter_t f = { 0, NULL, NULL, 0 };

    APR_ARRAY_PUSH(rows[1].vhosts, const char *) = "Shop.Example:8443";
    ck_assert(ocspr_status_filter_matches(&f, &rows[0], NOW));
    ck_assert(ocspr_status_filter_matches(NULL, &rows[0], NOW));
    f.vhost = "shop.example";           /* the name alone: any port, any case */
    ck_assert(ocspr_status_filter_matches(&f, &rows[1], NOW));
    ck_assert(!ocspr_status_filter_matches(&f, &rows[0], NOW));
    f.vhost = "shop.example:8443";
    ck_assert(ocspr_status_filter_matches(&f, &rows[1], NOW));
    f.vhost = "shop.example:443";
    ck_assert(!ocspr_status_filter_matches(&f, &rows[1], NOW));
    f.vhost = "shop";                   /* no substring matches */
    ck_assert(!ocspr_status_filter_matches(&f, &rows[1], NOW));
    f.vhost = NULL;
    f.id = "AA0";                       /* an id prefix, any case */
    ck_assert(ocspr_status_filter_matches(&f, &rows[3], NOW));
    f.id = "aa04";
    ck_assert(ocspr_status_filter_matches(&f, &rows[3], NOW));
    ck_assert(!ocspr_status_filter_matches(&f, &rows[2], NOW));
    f.id = NULL;
    f.states = 1u << OCSPR_STATE_REVOKED;
    ck_assert(ocspr_status_filter_matches(&f, &rows[1], NOW));
    ck_assert(!ocspr_status_filter_matches(&f, &rows[0], NOW));
}
END_TEST

START_TEST(filtered_json_and_html)
{
    ocspr_status_page_t *page = sample_page();
    ocspr_status_filter_t f = { (1u << OCSPR_STATE_FAILING) | (1u << OCSPR_STATE_REVOKED),
                                NULL, NULL, 0 };
    const char *json, *html;

    page->filter = &f;
    json = render(ocspr_status_render_json, page);
    ck_assert_wellformed(status_wf_json, json);
    ck_assert_str_eq(python("import json, sys\n"
                            "d = json.load(open(sys.argv[1]))\n"
                            "print([c['id'] for c in d['certificates']], d['filter'],"
                            " d['summary']['certificates'])\n", json),
                     "['aa02', 'aa04'] {'state': ['revoked', 'failing'], 'vhost': None, "
                     "'id': None, 'matched': 2} 5\n");
    html = render(ocspr_status_render_html, page);
    ck_assert_wellformed(status_wf_html, html);
    ck_assert_int_eq(count(html, "<tr class=\"cert "), 2);
    ck_assert_ptr_nonnull(strstr(html, "2 of 5 certificates match"));
    ck_assert_ptr_nonnull(strstr(html, "<a href=\"?json&amp;state=revoked,failing\">JSON</a>"));
    /* the summary still counts every certificate */
    ck_assert_ptr_nonnull(strstr(html, "<strong>5 certificates</strong>"));

    /* a hostile filter value is shown escaped */
    f.states = 0;
    f.vhost = "x\"><script>alert(1)</script>";
    html = render(ocspr_status_render_html, page);
    ck_assert_wellformed(status_wf_html, html);
    ck_assert_int_eq(count(html, "<script"), 0);
    ck_assert_ptr_nonnull(strstr(html, "No certificate matches."));
    ck_assert_ptr_nonnull(strstr(html, "value=\"x&quot;&gt;&lt;script&gt;"));
    ck_assert_str_eq(python("import json, sys\n"
                            "d = json.load(open(sys.argv[1]))\n"
                            "print(d['certificates'], d['filter']['vhost'])\n",
                            render(ocspr_status_render_json, page)),
                     "[] x\"><script>alert(1)</script>\n");
}
END_TEST

/* --- thousands of certificates ------------------------------------------------------------ */

#define MANY 5000

/* n certificates like a hosting provider's: one vhost each, realistic
 * names; the first `failing` ones fail with the responder down. */
static ocspr_status_page_t *many_page(int n, int failing)
{
    ocspr_status_page_t *page = apr_pcalloc(ocspr_test_pool, sizeof(*page));
    int i;

    page->now = NOW;
    page->server = "www.example.test";
    page->version = "9.9.9-test";
    page->active = 1;
    page->leader_pid = 4242;
    page->last_tick = NOW - apr_time_from_sec(3);
    page->rows = apr_array_make(ocspr_test_pool, n, sizeof(ocspr_status_row_t));
    for (i = 0; i < n; i++) {
        ocspr_status_row_t *row = add_row(page, apr_psprintf(ocspr_test_pool, "%040x", i + 1),
                                          apr_psprintf(ocspr_test_pool,
                                                       "CN=customer-site-%d.example.com", i));

        APR_ARRAY_IDX(row->vhosts, 0, const char *) =
            apr_psprintf(ocspr_test_pool, "customer-site-%d.example.com:443", i);
        row->responder_url = "http://r3.o.lencr.org";
        if (i < failing) {
            failed(row, 3, "connection refused by r3.o.lencr.org:80 (23.1.2.3)");
        }
        else {
            held(row, OCSPR_CERT_STATUS_GOOD, 80 * HOUR);
        }
    }
    return page;
}

static void check_many(const char *what, ocspr_status_page_t *page, int full_rows,
                       int brief_rows)
{
    const char *html = render(ocspr_status_render_html, page);
    apr_size_t len = strlen(html);

    fprintf(stderr, "status page, %s: %" APR_SIZE_T_FMT " bytes, %d full rows, %d one-line "
            "rows\n", what, len, count(html, "<tr class=\"cert "),
            count(html, "<tr class=\"brief "));
    ck_assert_msg(len < 1024 * 1024, "%s: %" APR_SIZE_T_FMT " bytes", what, len);
    ck_assert_wellformed(status_wf_html, html);
    ck_assert_int_eq(count(html, "<tr class=\"cert "), full_rows);
    ck_assert_int_eq(count(html, "<tr class=\"brief "), brief_rows);
}

START_TEST(five_thousand_certificates_fit_one_page)
{
    ocspr_status_page_t *page = many_page(MANY, 0);
    ocspr_status_filter_t f = { 0, NULL, NULL, 5 };
    const char *html, *json;

    check_many("5,000 good", page, 0, OCSPR_STATUS_HTML_COMPACT_ROWS);
    html = render(ocspr_status_render_html, page);
    ck_assert_ptr_nonnull(strstr(html, "Page 1 of 5 &middot; <a href=\"?page=2\">next"));
    page->filter = &f;
    html = render(ocspr_status_render_html, page);
    ck_assert_ptr_nonnull(strstr(html, "Page 5 of 5 &middot; <a href=\"?page=4\">"));
    /* the last page ends with the last certificate */
    ck_assert_ptr_nonnull(strstr(html, "customer-site-4999.example.com:443"));
    ck_assert_ptr_null(strstr(html, "customer-site-3999.example.com:443"));
    f.page = 0;
    f.vhost = "customer-site-1234.example.com";
    html = render(ocspr_status_render_html, page);
    ck_assert_int_eq(count(html, "<tr class=\"cert "), 1);

    /* JSON lists them all (machines read it), and stays well formed */
    page->filter = NULL;
    json = render(ocspr_status_render_json, page);
    fprintf(stderr, "status JSON, 5,000 good: %" APR_SIZE_T_FMT " bytes\n", strlen(json));
    ck_assert_wellformed(status_wf_json, json);
    ck_assert_int_eq(count(json, "\"state\": \"good\""), MANY);
}
END_TEST

START_TEST(problems_come_first_and_in_full)
{
    ocspr_status_page_t *page = many_page(MANY, 300);
    ocspr_status_filter_t f = { 1u << OCSPR_STATE_FAILING, NULL, NULL, 0 };
    const char *html, *first_brief;

    /* 100 failing in full, then the other 200 failing and 800 good, one line each */
    check_many("5,000 with 300 failing", page, OCSPR_STATUS_HTML_FULL_ROWS,
               OCSPR_STATUS_HTML_COMPACT_ROWS);
    html = render(ocspr_status_render_html, page);
    first_brief = strstr(html, "<tr class=\"brief ");
    ck_assert_ptr_nonnull(first_brief);
    ck_assert(!strncmp(first_brief, "<tr class=\"brief problem\" data-state=\"failing\">", 47));
    ck_assert(strstr(html, "<tr class=\"cert problem\"") < first_brief);
    ck_assert_ptr_nonnull(strstr(html, "<a class=\"pill bad\" href=\"?state=failing\">300 "
                                       "failing</a>"));
    page->filter = &f;
    check_many("5,000, ?state=failing", page, OCSPR_STATUS_HTML_FULL_ROWS, 200);

    /* a responder outage: every certificate failing */
    check_many("5,000 failing", many_page(MANY, MANY), OCSPR_STATUS_HTML_FULL_ROWS,
               OCSPR_STATUS_HTML_COMPACT_ROWS);
}
END_TEST

START_TEST(long_names_are_clipped_in_one_line_rows)
{
    ocspr_status_page_t *page = many_page(OCSPR_STATUS_HTML_SMALL + 1, 0);
    ocspr_status_row_t *row = &APR_ARRAY_IDX(page->rows, 0, ocspr_status_row_t);
    char *subject = apr_palloc(ocspr_test_pool, 3001);
    const char *html;
    int i;

    /* 1,000 two-byte characters: cut at a character boundary */
    for (i = 0; i < 3000; i += 3) {
        memcpy(subject + i, i % 2 ? "\xC3\xA9<" : "<\xC3\xA9", 3);
    }
    subject[3000] = '\0';
    row->subject = subject;
    for (i = 0; i < 10; i++) {
        APR_ARRAY_PUSH(row->vhosts, const char *) = "another-vhost.example:443";
    }
    html = render(ocspr_status_render_html, page);
    ck_assert_wellformed(status_wf_html, html);
    ck_assert_int_lt((int)strlen(html), 40000);
    ck_assert_ptr_nonnull(strstr(html, "\xE2\x80\xA6</a>"));
    ck_assert_ptr_nonnull(strstr(html, " +9 more</td>"));
}
END_TEST

/* --- the judges themselves ------------------------------------------------------------------ */

START_TEST(judges_reject_what_is_malformed)
{
    static const char *const bad_json[] = {
        "", "{", "{\"a\": 1,}", "[1 2]", "{\"a\" 1}", "{\"a\": 01}", "{\"a\": 1.}",
        "{\"a\": \"x\ny\"}", "{\"a\": \"\\x41\"}", "{\"a\": \"\\u12G4\"}", "{\"a\": tru}",
        "{\"a\": 1, \"a\": 2}", "{\"a\": 1} x", "\"\xC0\xAF\"", "{a: 1}", "{\"a\": -}",
    };
    static const char *const good_json[] = {
        "{}", "[]", " {\"a\": [1, -2.5e+3, true, false, null, \"\\u00e9\\n\\\"\"]} ",
        "{\"a\": {\"a\": 0}}", "\"caf\xC3\xA9\"",
    };
    static const char *const bad_prom[] = {
        "a 1\n", "# TYPE a gauge\nb 1\n", "# TYPE a gauge\na{x=\"1} 1\n",
        "# TYPE a gauge\na{x=\"\\t\"} 1\n", "# TYPE a gauge\na{x=\"\n\"} 1\n",
        "# TYPE a summary\na 1\n", "# TYPE a gauge\na 1", "# TYPE a gauge\na one\n",
        "# TYPE a gauge\na{x=1} 1\n",
    };
    static const char *const bad_auto[] = {
        "Foo: 1\n", "OCSPRefreshX 1\n", "OCSPRefreshX: a\x01\n", "OCSPRefreshX: 1",
    };
    static const char *const bad_html[] = {
        "<p>a</p", "<p>a</b>", "<p>", "<script>x</script>", "<p>a > b</p>", "<p>a & b</p>",
        "<p class=x>a</p>", "<p title=\"<\">a</p>", "<p title=\"a&b\">a</p>", "<i>a</i>",
        "<p onclick=\"x\" title=\"1\"\">a</p>",
    };
    size_t i;

    for (i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++) {
        ck_assert_msg(status_wf_json(bad_json[i], strlen(bad_json[i]), NULL) != NULL,
                      "JSON accepted: %s", bad_json[i]);
    }
    for (i = 0; i < sizeof(good_json) / sizeof(good_json[0]); i++) {
        ck_assert_wellformed(status_wf_json, good_json[i]);
    }
    for (i = 0; i < sizeof(bad_prom) / sizeof(bad_prom[0]); i++) {
        ck_assert_msg(status_wf_prometheus(bad_prom[i], strlen(bad_prom[i]), NULL) != NULL,
                      "Prometheus accepted: %s", bad_prom[i]);
    }
    ck_assert_wellformed(status_wf_prometheus,
                         "# HELP a x\n# TYPE a gauge\na{x=\"\\\\ \\\" \\n\",y=\"\"} -1.5\na 2\n");
    for (i = 0; i < sizeof(bad_auto) / sizeof(bad_auto[0]); i++) {
        ck_assert_msg(status_wf_auto(bad_auto[i], strlen(bad_auto[i]), NULL) != NULL,
                      "?auto accepted: %s", bad_auto[i]);
    }
    ck_assert_wellformed(status_wf_auto, "OCSPRefreshA1: x: y\nOCSPRefreshB: \n");
    for (i = 0; i < sizeof(bad_html) / sizeof(bad_html[0]); i++) {
        ck_assert_msg(status_wf_html(bad_html[i], strlen(bad_html[i]), NULL) != NULL,
                      "HTML accepted: %s", bad_html[i]);
    }
    ck_assert_wellformed(status_wf_html, "<!DOCTYPE html>\n<html><style>a>b{}</style>"
                                         "<p class=\"a\" hidden>&lt;&#39;&#x2F;\"'</p><hr />"
                                         "<input value=\"&amp;\"></html>");
}
END_TEST

Suite *ocspr_suite_status(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("escape");

    ocspr_tc_add_pool_fixture(tc);
    /* 3,000 random strings through four escapers: seconds under ASan on a
     * busy 2-core machine, more than Check's default 4. */
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, html_escape_neutralises_markup);
    tcase_add_test(tc, json_escape_gives_valid_json_strings);
    tcase_add_test(tc, invalid_utf8_is_replaced);
    tcase_add_test(tc, prom_and_auto_escapes);
    tcase_add_test(tc, escapers_hold_for_random_bytes);
    suite_add_tcase(s, tc);

    tc = tcase_create("model");
    ocspr_tc_add_pool_fixture(tc);
    tcase_add_test(tc, durations);
    tcase_add_test(tc, row_states_and_summary);
    suite_add_tcase(s, tc);

    /* JSON is judged by python3's json module (a subprocess). */
    tc = tcase_create("render");
    ocspr_tc_add_pool_fixture(tc);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, json_is_valid_and_complete);
    tcase_add_test(tc, json_of_an_empty_page);
    tcase_add_test(tc, prometheus_is_well_formed);
    tcase_add_test(tc, prometheus_of_an_empty_page);
    tcase_add_test(tc, auto_lines_parse);
    tcase_add_test(tc, html_escapes_and_flags_problems);
    tcase_add_test(tc, html_without_actions_has_no_forms);
    tcase_add_test(tc, csp_hash_matches_the_style);
    tcase_add_test(tc, status_section_escapes);
    tcase_add_test(tc, held_but_not_served_is_a_problem_everywhere);
    tcase_add_test(tc, fleet_health_and_counters);
    tcase_add_test(tc, failing_fleet_and_no_fleet);
    tcase_add_test(tc, version_everywhere);
    tcase_add_test(tc, filtered_json_and_html);
    suite_add_tcase(s, tc);

    tc = tcase_create("query");
    ocspr_tc_add_pool_fixture(tc);
    tcase_add_test(tc, query_formats_filters_and_actions);
    tcase_add_test(tc, query_errors_say_what_is_wrong);
    tcase_add_test(tc, filter_query_round_trips);
    tcase_add_test(tc, filters_select_rows);
    suite_add_tcase(s, tc);

    /* Prints the page sizes it measures. */
    tc = tcase_create("scale");
    ocspr_tc_add_pool_fixture(tc);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, five_thousand_certificates_fit_one_page);
    tcase_add_test(tc, problems_come_first_and_in_full);
    tcase_add_test(tc, long_names_are_clipped_in_one_line_rows);
    suite_add_tcase(s, tc);

    tc = tcase_create("judges");
    ocspr_tc_add_pool_fixture(tc);
    tcase_add_test(tc, judges_reject_what_is_malformed);
    suite_add_tcase(s, tc);
    return s;
}
