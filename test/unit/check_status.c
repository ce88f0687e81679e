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
    const unsigned char *u = (const unsigned char *)s;

    while (*u) {
        int n = *u < 0x80 ? 1 : (*u & 0xE0) == 0xC0 ? 2 : (*u & 0xF0) == 0xE0 ? 3
              : (*u & 0xF8) == 0xF0 ? 4 : 0;
        int i;

        if (n == 0 || (n == 2 && *u < 0xC2)) {
            return 0;
        }
        for (i = 1; i < n; i++) {
            if ((u[i] & 0xC0) != 0x80) {
                return 0;
            }
        }
        u += n;
    }
    return 1;
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

/* Prometheus text format 0.0.4, strictly: comment lines are HELP or TYPE,
 * samples are name{label="value",...} number, label values use only the
 * \\ \" \n escapes, and every sample belongs to the last TYPE line's
 * family. Returns NULL when valid, else the reason. */
static const char *prom_invalid(const char *text)
{
    const char *line = text, *family = NULL;
    int nsamples = 0;

    while (*line) {
        const char *end = strchr(line, '\n'), *c = line;
        char *l;

        if (!end) {
            return "last line has no newline";
        }
        l = apr_pstrmemdup(ocspr_test_pool, line, (apr_size_t)(end - line));
        if (!strncmp(l, "# HELP ", 7)) {
            /* help text: anything but a raw control byte */
        }
        else if (!strncmp(l, "# TYPE ", 7)) {
            char *sp = strchr(l + 7, ' ');

            if (!sp || (strcmp(sp + 1, "gauge") && strcmp(sp + 1, "counter"))) {
                return apr_psprintf(ocspr_test_pool, "bad TYPE line: %s", l);
            }
            family = apr_pstrmemdup(ocspr_test_pool, l + 7, (apr_size_t)(sp - l - 7));
        }
        else {
            const char *name = l;
            char *value_end;

            c = l;
            if (!(isalpha((unsigned char)*c) || *c == '_' || *c == ':')) {
                return apr_psprintf(ocspr_test_pool, "bad metric name: %s", l);
            }
            while (isalnum((unsigned char)*c) || *c == '_' || *c == ':') {
                c++;
            }
            if (!family || (apr_size_t)(c - name) != strlen(family)
                || strncmp(name, family, strlen(family))) {
                return apr_psprintf(ocspr_test_pool, "sample outside its family: %s", l);
            }
            if (*c == '{') {
                c++;
                while (*c != '}') {
                    while (isalnum((unsigned char)*c) || *c == '_') {
                        c++;
                    }
                    if (c[0] != '=' || c[1] != '"') {
                        return apr_psprintf(ocspr_test_pool, "bad label in: %s", l);
                    }
                    c += 2;
                    while (*c != '"') {
                        if (!*c || (unsigned char)*c < 0x20) {
                            return apr_psprintf(ocspr_test_pool, "raw control byte: %s", l);
                        }
                        if (*c == '\\') {
                            if (c[1] != '\\' && c[1] != '"' && c[1] != 'n') {
                                return apr_psprintf(ocspr_test_pool, "bad escape: %s", l);
                            }
                            c++;
                        }
                        c++;
                    }
                    c++;
                    if (*c == ',') {
                        c++;
                    }
                    else if (*c != '}') {
                        return apr_psprintf(ocspr_test_pool, "bad label list: %s", l);
                    }
                }
                c++;
            }
            if (*c != ' ') {
                return apr_psprintf(ocspr_test_pool, "no value: %s", l);
            }
            strtod(c + 1, &value_end);
            if (value_end == c + 1 || *value_end) {
                return apr_psprintf(ocspr_test_pool, "bad value: %s", l);
            }
            nsamples++;
        }
        line = end + 1;
    }
    return nsamples ? NULL : "no samples";
}

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

    ck_assert(is_valid_utf8(json));
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
    const char *why = prom_invalid(prom);

    ck_assert_msg(why == NULL, "%s\n----\n%s", why, prom);
    ck_assert(is_valid_utf8(prom));
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
    const char *prom, *why;

    memset(&page, 0, sizeof(page));
    page.now = NOW;
    prom = render(ocspr_status_render_prometheus, &page);
    why = prom_invalid(prom);
    ck_assert_msg(why == NULL, "%s\n----\n%s", why, prom);
    ck_assert_ptr_nonnull(strstr(prom, "ocsp_refresh_active 0\n"));
    ck_assert_ptr_null(strstr(prom, "ocsp_refresh_certificate_info"));
}
END_TEST

START_TEST(auto_lines_parse)
{
    ocspr_status_page_t *page = sample_page();
    const char *text = render(ocspr_status_render_auto, page), *line = text;
    int n = 0;

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
    ck_assert(!strncmp(text, "OCSPRefreshActive: 1\nOCSPRefreshCertificates: 5\n"
                             "OCSPRefreshStapled: 2\n", 67));
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
    ck_assert(is_valid_utf8(html));
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
    ck_assert_ptr_nonnull(strstr(html, "2 stapled</span>"));
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

    ck_assert_int_eq(count(html, "<form"), 0);
    ck_assert_int_eq(count(html, "<th>Action</th>"), 0);
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

    ck_assert_int_eq(count(html, "<script"), 0);
    ck_assert_int_eq(count(html, "<i>"), 0);
    ck_assert_ptr_nonnull(strstr(html, "5 certificates: 2 stapled, 1 with failing refreshes, "
                                       "1 failing, 1 revoked, 1 not applicable."));
    ck_assert_int_eq(count(html, "<tr><td>"), 5);
    ck_assert_ptr_nonnull(strstr(html, "<b>revoked</b>"));
}
END_TEST

Suite *ocspr_suite_status(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("escape");

    ocspr_tc_add_pool_fixture(tc);
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
    suite_add_tcase(s, tc);
    return s;
}
