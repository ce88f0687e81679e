/* Tests for ocspr_http_parse.c: the response parser over plain bytes. Every
 * reply is parsed whole, one byte at a time, and cut in two at every point:
 * the outcome must not depend on how the network cut the bytes. */
#include <string.h>
#include <apr_strings.h>

#include "check_support.h"
#include "ocspr_http_parse.h"

static const char OK_HEAD[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n";

/* A response as the transport sees it: `cuts` piece boundaries (sorted
 * offsets into data), then the close. */
static apr_status_t parse_in_pieces(ocspr_http_result_t *res, int *reusable, const char *data,
                                    apr_size_t len, const apr_size_t *cuts, apr_size_t ncuts,
                                    apr_size_t max_body, apr_size_t max_headers)
{
    ocspr_http_parser_t *ps;
    apr_size_t from = 0, i;
    apr_status_t rv = APR_INCOMPLETE;

    memset(res, 0, sizeof(*res));
    ps = ocspr_http_parser_create(res, ocspr_test_pool, ocspr_test_pool, max_body, max_headers,
                                  NULL);
    for (i = 0; i <= ncuts; i++) {
        apr_size_t to = i < ncuts ? cuts[i] : len;

        rv = ocspr_http_parser_feed(ps, data + from, to - from);
        ck_assert_msg(rv == APR_INCOMPLETE || rv == APR_SUCCESS || rv == OCSPR_EFETCH,
                      "feed returned %d", rv);
        from = to;
    }
    if (rv == APR_INCOMPLETE) {
        rv = ocspr_http_parser_eof(ps);
    }
    *reusable = ocspr_http_parser_reusable(ps);
    /* A finished parser stays finished; a byte after the response makes the
     * connection unfit for another request. */
    ck_assert_int_eq(ocspr_http_parser_eof(ps), rv);
    ck_assert_int_eq(ocspr_http_parser_feed(ps, "x", 1), rv);
    ck_assert_int_eq(ocspr_http_parser_reusable(ps), 0);
    return rv;
}

/* What every result must look like, whatever the outcome. */
static void assert_result_shape(const ocspr_http_result_t *res, apr_status_t rv,
                                apr_size_t max_body)
{
    const char *c;

    ck_assert_ptr_nonnull(res->reason);
    ck_assert_int_gt((int)strlen(res->reason), 0);
    for (c = res->reason; *c; c++) {
        ck_assert_msg((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f,
                      "reason quotes a control or non-ASCII byte: %s", res->reason);
    }
    ck_assert_int_lt(res->outcome, OCSPR_OUTCOME_COUNT);
    if (res->outcome == OCSPR_OUTCOME_OK) {
        ck_assert_int_eq(rv, APR_SUCCESS);
        ck_assert_int_eq(res->http_status, 200);
        ck_assert_ptr_nonnull(res->body);
        ck_assert_uint_gt(res->body_len, 0);
        ck_assert_uint_le(res->body_len, max_body ? max_body : OCSPR_RESPONSE_MAX_SIZE);
    }
    else {
        ck_assert_int_eq(rv, OCSPR_EFETCH);
        ck_assert_ptr_null(res->body);
    }
}

static void assert_outcome(const ocspr_http_result_t *res, apr_status_t rv,
                           ocspr_outcome_t outcome, const char *reason_has)
{
    assert_result_shape(res, rv, 0);
    ck_assert_msg(res->outcome == outcome, "outcome %s, expected %s (reason: %s)",
                  ocspr_outcome_name(res->outcome), ocspr_outcome_name(outcome), res->reason);
    if (reason_has != NULL) {
        ck_assert_msg(strstr(res->reason, reason_has) != NULL, "reason \"%s\" lacks \"%s\"",
                      res->reason, reason_has);
    }
}

static void assert_same_result(const ocspr_http_result_t *a, const ocspr_http_result_t *b,
                               const char *how)
{
    ck_assert_msg(a->outcome == b->outcome && strcmp(a->reason, b->reason) == 0
                  && a->http_status == b->http_status && a->body_len == b->body_len,
                  "%s: \"%s\" (%s, HTTP %d) instead of \"%s\" (%s, HTTP %d)", how, b->reason,
                  ocspr_outcome_name(b->outcome), b->http_status, a->reason,
                  ocspr_outcome_name(a->outcome), a->http_status);
    if (a->body_len) {
        ck_assert_mem_eq(a->body, b->body, a->body_len);
    }
    ck_assert_msg((a->content_type == NULL) == (b->content_type == NULL)
                  && (a->content_type == NULL || strcmp(a->content_type, b->content_type) == 0),
                  "%s: another Content-Type", how);
    ck_assert_msg((a->location == NULL) == (b->location == NULL)
                  && (a->location == NULL || strcmp(a->location, b->location) == 0),
                  "%s: another Location", how);
}

/* Parse whole, then byte by byte, then cut in two at every offset: every way
 * gives the result of the whole. */
static apr_status_t parse_every_way(ocspr_http_result_t *res, int *reusable, const char *data,
                                    apr_size_t len, apr_size_t max_body, apr_size_t max_headers)
{
    apr_size_t *cuts = apr_palloc(ocspr_test_pool, (len + 1) * sizeof(*cuts));
    ocspr_http_result_t other;
    apr_status_t rv, other_rv;
    int other_reusable;
    apr_size_t i;

    rv = ocspr_http_parse_response(res, reusable, ocspr_test_pool, data, len, max_body,
                                   max_headers);
    assert_result_shape(res, rv, max_body);
    for (i = 0; i < len; i++) {
        cuts[i] = i + 1;
    }
    other_rv = parse_in_pieces(&other, &other_reusable, data, len, cuts, len ? len - 1 : 0,
                               max_body, max_headers);
    ck_assert_int_eq(other_rv, rv);
    ck_assert_int_eq(other_reusable, *reusable);
    assert_same_result(res, &other, "byte by byte");
    for (i = 0; i <= len; i++) {
        other_rv = parse_in_pieces(&other, &other_reusable, data, len, &i, 1, max_body,
                                   max_headers);
        ck_assert_int_eq(other_rv, rv);
        ck_assert_int_eq(other_reusable, *reusable);
        assert_same_result(res, &other, apr_psprintf(ocspr_test_pool, "cut at %d", (int)i));
    }
    return rv;
}

typedef struct {
    const char *name;
    const char *reply;
    apr_size_t max_body;          /* 0: default */
    ocspr_outcome_t outcome;
    int http_status;
    const char *reason_has;
    const char *body;             /* expected body when OK */
    const char *content_type;     /* expected res->content_type, or NULL */
} reply_case_t;

static const reply_case_t reply_cases[] = {
    { "content-length", "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n"
      "Content-Length: 5\r\n\r\nHELLO", 0, OCSPR_OUTCOME_OK, 200, "HTTP 200, 5 bytes", "HELLO",
      "application/ocsp-response" },
    { "chunked with extension and trailer", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nHELLO\r\n1 ; x=\"y\"\r\n,\r\na\r\n0123456789\r\n0\r\n"
      "X-Trailer: yes\r\nX-Other: 1\r\n\r\n", 0, OCSPR_OUTCOME_OK, 200, "16 bytes",
      "HELLO,0123456789", NULL },
    { "read to close", "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n\r\n"
      "ABCDEFG", 0, OCSPR_OUTCOME_OK, 200, "7 bytes", "ABCDEFG", NULL },
    { "content type case and parameters", "HTTP/1.1 200 OK\r\n"
      "content-type: Application/OCSP-Response ; charset=binary\r\nContent-Length: 3\r\n\r\n"
      "abc", 0, OCSPR_OUTCOME_OK, 200, NULL, "abc",
      "Application/OCSP-Response ; charset=binary" },
    { "interim 100 before 200", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: 2\r\n\r\nok", 0,
      OCSPR_OUTCOME_OK, 200, NULL, "ok", NULL },
    { "bare LF line ends", "HTTP/1.1 200 OK\nContent-Type: application/ocsp-response\n"
      "Content-Length: 2\n\nLF", 0, OCSPR_OUTCOME_OK, 200, NULL, "LF", NULL },
    { "identical Content-Length twice", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: 2\r\nContent-Length: 2\r\n"
      "\r\nxy", 0, OCSPR_OUTCOME_OK, 200, NULL, "xy", NULL },
    { "body exactly at the cap", "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response"
      "\r\n\r\n0123456789", 10, OCSPR_OUTCOME_OK, 200, NULL, "0123456789", NULL },

    { "500", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", 0,
      OCSPR_OUTCOME_HTTP_STATUS, 500, "HTTP 500 Internal Server Error", NULL, NULL },
    { "404", "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\n"
      "not found", 0, OCSPR_OUTCOME_HTTP_STATUS, 404, "HTTP 404", NULL, "text/html" },
    { "301 with Location", "HTTP/1.1 301 Moved Permanently\r\n"
      "Location: http://elsewhere.example/ocsp\r\nContent-Length: 0\r\n\r\n", 0,
      OCSPR_OUTCOME_REDIRECT, 301, "http://elsewhere.example/ocsp", NULL, NULL },
    { "302 without Location", "HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n", 0,
      OCSPR_OUTCOME_REDIRECT, 302, "no Location", NULL, NULL },
    { "text/html", "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
      "Content-Length: 6\r\n\r\n<html>", 0, OCSPR_OUTCOME_CONTENT_TYPE, 200,
      "\"text/html; charset=utf-8\"", NULL, "text/html; charset=utf-8" },
    { "type that only starts like ours", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-responsex\r\nContent-Length: 1\r\n\r\nx", 0,
      OCSPR_OUTCOME_CONTENT_TYPE, 200, "ocsp-responsex", NULL, NULL },
    { "no Content-Type", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", 0,
      OCSPR_OUTCOME_CONTENT_TYPE, 200, "(none)", NULL, NULL },

    { "closed before the declared length", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: 100\r\n\r\n0123456789", 0,
      OCSPR_OUTCOME_TRUNCATED, 200, "after 10 of 100 body bytes", NULL, NULL },
    { "closed inside a chunk", "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n"
      "Transfer-Encoding: chunked\r\n\r\n5\r\nHELLO\r\n10\r\n12345", 0,
      OCSPR_OUTCOME_TRUNCATED, 200, "inside a chunk, after 10 body bytes", NULL, NULL },
    { "closed before the last chunk", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nHELLO\r\n", 0, OCSPR_OUTCOME_TRUNCATED, 200, "chunk size line", NULL, NULL },
    { "closed in the headers", "HTTP/1.1 200 OK\r\nContent-Ty", 0, OCSPR_OUTCOME_TRUNCATED,
      200, "in the response headers", NULL, NULL },
    { "closed without a response", "", 0, OCSPR_OUTCOME_TRUNCATED, 0,
      "without sending a response", NULL, NULL },
    { "empty 200", "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n"
      "Content-Length: 0\r\n\r\n", 0, OCSPR_OUTCOME_TRUNCATED, 200, "empty body", NULL, NULL },

    { "declared body over the cap", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: 100000\r\n\r\n0123", 1000,
      OCSPR_OUTCOME_OVERSIZE, 200, "declared as 100000 bytes, over the 1000", NULL, NULL },
    { "body to close over the cap", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\n\r\n01234567890", 10, OCSPR_OUTCOME_OVERSIZE,
      200, "over 10 bytes", NULL, NULL },
    { "chunked body over the cap", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nTransfer-Encoding: chunked\r\n\r\n"
      "6\r\n012345\r\n6\r\n678901\r\n0\r\n\r\n", 10, OCSPR_OUTCOME_OVERSIZE, 200,
      "over 10 bytes", NULL, NULL },
    { "chunk size over the cap", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nTransfer-Encoding: chunked\r\n\r\n"
      "fffffffffff\r\n", 0, OCSPR_OUTCOME_OVERSIZE, 200, "over 65536 bytes", NULL, NULL },

    { "status code not digits", "HTTP/1.1 2OO OK\r\n\r\n", 0, OCSPR_OUTCOME_PROTOCOL, 0,
      "malformed status line", NULL, NULL },
    { "not HTTP", "ICY 200 OK\r\n\r\n", 0, OCSPR_OUTCOME_PROTOCOL, 0, "\"ICY 200 OK\"",
      NULL, NULL },
    { "HTTP/2 status line", "HTTP/2 200\r\n\r\n", 0, OCSPR_OUTCOME_PROTOCOL, 0,
      "malformed status line", NULL, NULL },
    { "status 600", "HTTP/1.1 600 Odd\r\n\r\n", 0, OCSPR_OUTCOME_PROTOCOL, 0,
      "malformed status line", NULL, NULL },
    { "101 switching protocols", "HTTP/1.1 101 Switching Protocols\r\n\r\n", 0,
      OCSPR_OUTCOME_PROTOCOL, 101, "HTTP 101", NULL, NULL },
    { "header without colon", "HTTP/1.1 200 OK\r\nContent-Type application/ocsp-response\r\n"
      "\r\n", 0, OCSPR_OUTCOME_PROTOCOL, 200, "malformed line in the response headers",
      NULL, NULL },
    { "space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx", 0,
      OCSPR_OUTCOME_PROTOCOL, 200, "malformed line", NULL, NULL },
    { "obsolete line folding", "HTTP/1.1 200 OK\r\nContent-Type: application/\r\n"
      " ocsp-response\r\nContent-Length: 1\r\n\r\nx", 0, OCSPR_OUTCOME_PROTOCOL, 200,
      "malformed line", NULL, NULL },
    { "control character in a header", "HTTP/1.1 200 OK\r\nX-Evil: a\001b\r\n\r\n", 0,
      OCSPR_OUTCOME_PROTOCOL, 200, "control character", NULL, NULL },
    { "conflicting Content-Length", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: 2\r\nContent-Length: 3\r\n"
      "\r\nxyz", 0, OCSPR_OUTCOME_PROTOCOL, 200, "conflicting Content-Length", NULL, NULL },
    { "negative Content-Length", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: -1\r\n\r\n", 0,
      OCSPR_OUTCOME_PROTOCOL, 200, "invalid Content-Length", NULL, NULL },
    { "Content-Length overflowing 64 bits", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: 99999999999999999999999\r\n"
      "\r\n", 0, OCSPR_OUTCOME_PROTOCOL, 200, "invalid Content-Length", NULL, NULL },
    { "Transfer-Encoding gzip", "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n"
      "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 0, OCSPR_OUTCOME_PROTOCOL, 200,
      "unsupported Transfer-Encoding", NULL, NULL },
    { "two Content-Types", "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n"
      "Content-Type: text/html\r\nContent-Length: 1\r\n\r\nx", 0, OCSPR_OUTCOME_PROTOCOL, 200,
      "Content-Type twice", NULL, NULL },
    { "chunk size not hex", "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n"
      "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 0, OCSPR_OUTCOME_PROTOCOL, 200,
      "malformed chunk size", NULL, NULL },
    { "chunk size overflowing 64 bits", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nTransfer-Encoding: chunked\r\n\r\n"
      "100000000000000000\r\n", 0, OCSPR_OUTCOME_PROTOCOL, 200, "malformed chunk size",
      NULL, NULL },
    { "chunk longer than declared", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nHELLO\r\n0\r\n\r\n", 0, OCSPR_OUTCOME_PROTOCOL, 200, "longer than its declared",
      NULL, NULL },
    { "malformed trailer", "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n"
      "Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nno colon here\r\n\r\n", 0,
      OCSPR_OUTCOME_PROTOCOL, 200, "malformed line in the trailer", NULL, NULL },
};

START_TEST(test_reply)
{
    const reply_case_t *c = &reply_cases[_i];
    ocspr_http_result_t res;
    apr_status_t rv;
    int reusable;

    rv = parse_every_way(&res, &reusable, c->reply, strlen(c->reply), c->max_body, 0);
    ck_assert_msg(res.outcome == c->outcome, "case \"%s\": outcome %s, expected %s (%s)",
                  c->name, ocspr_outcome_name(res.outcome), ocspr_outcome_name(c->outcome),
                  res.reason);
    assert_outcome(&res, rv, c->outcome, c->reason_has);
    ck_assert_int_eq(res.http_status, c->http_status);
    if (c->body != NULL) {
        ck_assert_uint_eq(res.body_len, strlen(c->body));
        ck_assert_mem_eq(res.body, c->body, res.body_len);
    }
    if (c->content_type != NULL) {
        ck_assert_str_eq(res.content_type, c->content_type);
    }
    if (c->http_status == 301) {
        ck_assert_str_eq(res.location, "http://elsewhere.example/ocsp");
    }
    else {
        ck_assert_ptr_null(res.location);
    }
    ck_assert_msg(strstr(res.reason, "responder") != NULL, "reason names no server: %s",
                  res.reason);
}
END_TEST

/* A reply whose header block grows past max_headers, as `lines` header lines
 * of `line_len` bytes (one huge line when lines == 1). */
static const char *oversized_headers(apr_size_t lines, apr_size_t line_len)
{
    char *line = apr_palloc(ocspr_test_pool, line_len + 1);
    const char *reply = OK_HEAD;
    apr_size_t i;

    memset(line, 'a', line_len);
    memcpy(line, "X-Filler: ", 10);
    line[line_len] = '\0';
    for (i = 0; i < lines; i++) {
        reply = apr_pstrcat(ocspr_test_pool, reply, line, "\r\n", NULL);
    }
    return apr_pstrcat(ocspr_test_pool, reply, "Content-Length: 1\r\n\r\nx", NULL);
}

static void check_oversized_headers(apr_size_t lines, apr_size_t line_len)
{
    const char *reply = oversized_headers(lines, line_len);
    ocspr_http_result_t res;
    apr_status_t rv;

    rv = ocspr_http_parse_response(&res, NULL, ocspr_test_pool, reply, strlen(reply), 0, 4096);
    assert_outcome(&res, rv, OCSPR_OUTCOME_OVERSIZE, "headers over 4096 bytes");
}

START_TEST(test_huge_headers)
{
    check_oversized_headers(100, 100);
}
END_TEST

START_TEST(test_huge_header_line)
{
    check_oversized_headers(1, 200000);
}
END_TEST

START_TEST(test_headers_just_under_cap)
{
    /* The same kind of block, small enough: the cap counts bytes, not lines. */
    const char *reply = oversized_headers(30, 100);
    ocspr_http_result_t res;
    apr_status_t rv;
    int reusable;

    rv = parse_every_way(&res, &reusable, reply, strlen(reply), 0, 4096);
    assert_outcome(&res, rv, OCSPR_OUTCOME_OK, NULL);
}
END_TEST

START_TEST(test_header_budget_edge)
{
    /* The whole header block, blank line included, may be exactly
     * max_headers bytes; one byte less fails however the bytes arrive. */
    const char *reply = "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n"
                        "Content-Length: 2\r\n\r\nok";
    apr_size_t block = strlen(reply) - 2;
    ocspr_http_result_t res;
    apr_status_t rv;
    int reusable;

    rv = parse_every_way(&res, &reusable, reply, strlen(reply), 0, block);
    assert_outcome(&res, rv, OCSPR_OUTCOME_OK, NULL);
    rv = parse_every_way(&res, &reusable, reply, strlen(reply), 0, block - 1);
    assert_outcome(&res, rv, OCSPR_OUTCOME_OVERSIZE, "response headers over");
    /* A budget spent by the last header line fails before the next byte. */
    rv = parse_every_way(&res, &reusable, reply, strlen(reply), 0, block - 2);
    assert_outcome(&res, rv, OCSPR_OUTCOME_OVERSIZE, "response headers over");
}
END_TEST

START_TEST(test_trailer_over_cap)
{
    const char *reply = apr_pstrcat(ocspr_test_pool, OK_HEAD,
                                     "Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n",
                                     oversized_headers(100, 100) + strlen(OK_HEAD), NULL);
    ocspr_http_result_t res;
    apr_status_t rv;

    rv = ocspr_http_parse_response(&res, NULL, ocspr_test_pool, reply, strlen(reply), 0, 4096);
    assert_outcome(&res, rv, OCSPR_OUTCOME_OVERSIZE, "trailer over 4096 bytes");
}
END_TEST

START_TEST(test_large_body_every_way)
{
    /* Bodies that outgrow the first buffer, framed three ways. */
    apr_size_t n = 20000, i;
    char *body = apr_palloc(ocspr_test_pool, n + 1);
    const char *replies[3];
    ocspr_http_result_t res;
    apr_status_t rv;

    for (i = 0; i < n; i++) {
        body[i] = (char)('a' + i % 26);
    }
    body[n] = '\0';
    replies[0] = apr_psprintf(ocspr_test_pool, "%sContent-Length: %d\r\n\r\n%s", OK_HEAD,
                              (int)n, body);
    replies[1] = apr_psprintf(ocspr_test_pool, "%sTransfer-Encoding: chunked\r\n\r\n"
                              "2710\r\n%.10000s\r\n2710\r\n%s\r\n0\r\n\r\n", OK_HEAD, body,
                              body + 10000);
    replies[2] = apr_psprintf(ocspr_test_pool, "%s\r\n%s", OK_HEAD, body);
    for (i = 0; i < 3; i++) {
        apr_size_t cuts[] = { 100, 8191, 8192, 8193, 16384, 20050 };

        rv = parse_in_pieces(&res, &(int){ 0 }, replies[i], strlen(replies[i]), cuts, 6, 0, 0);
        assert_outcome(&res, rv, OCSPR_OUTCOME_OK, "20000 bytes");
        ck_assert_mem_eq(res.body, body, n);
        rv = ocspr_http_parse_response(&res, NULL, ocspr_test_pool, replies[i],
                                       strlen(replies[i]), n - 1, 0);
        assert_outcome(&res, rv, OCSPR_OUTCOME_OVERSIZE, NULL);
    }
}
END_TEST

/* ---- keep-alive: may the connection carry another request? ------------- */

typedef struct {
    const char *name;
    const char *reply;
    int reusable;
} reuse_case_t;

static const reuse_case_t reuse_cases[] = {
    { "HTTP/1.1 with Content-Length", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: 2\r\n\r\nok", 1 },
    { "HTTP/1.1 chunked", "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n"
      "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", 1 },
    { "Connection: keep-alive", "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: 2\r\n\r\nok", 1 },
    { "interim 100, then a persistent 200", "HTTP/1.1 100 Continue\r\nConnection: close\r\n"
      "\r\nHTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n"
      "Content-Length: 2\r\n\r\nok", 1 },
    { "Connection: close", "HTTP/1.1 200 OK\r\nConnection: close\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: 2\r\n\r\nok", 0 },
    { "close among other options", "HTTP/1.1 200 OK\r\nConnection: keep-alive, CLOSE\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: 2\r\n\r\nok", 0 },
    { "close in a second Connection header", "HTTP/1.1 200 OK\r\nConnection: te\r\n"
      "Connection:close\r\nContent-Type: application/ocsp-response\r\nContent-Length: 2\r\n"
      "\r\nok", 0 },
    { "HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n"
      "Content-Length: 2\r\n\r\nok", 0 },
    { "HTTP/1.0 asking for keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: 2\r\n\r\nok", 0 },
    { "body read to the close", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\n\r\nok", 0 },
    { "both Content-Length and chunked", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: 2\r\n"
      "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", 0 },
    { "bytes after the response", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: 2\r\n\r\nokHTTP/1.1", 0 },
    { "a word that only contains close", "HTTP/1.1 200 OK\r\nConnection: closed, xclose\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: 2\r\n\r\nok", 1 },
    { "a failure", "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", 0 },
};

START_TEST(test_reuse)
{
    const reuse_case_t *c = &reuse_cases[_i];
    ocspr_http_result_t res;
    int reusable = -1;

    parse_every_way(&res, &reusable, c->reply, strlen(c->reply), 0, 0);
    ck_assert_msg(reusable == c->reusable, "case \"%s\": reusable %d, expected %d (%s)",
                  c->name, reusable, c->reusable, res.reason);
}
END_TEST

START_TEST(test_expecting)
{
    static const struct { const char *bytes; const char *expecting; } steps[] = {
        { "HTTP/1.1 200 OK\r\n", "response headers" },
        { "Content-Type: application/ocsp-response\r\n", "response headers" },
        { "Transfer-Encoding: chunked\r\n\r\n", "chunk size line" },
        { "3\r\n", "response body" },
        { "abc", "chunk data" },
        { "\r\n", "chunk size line" },
        { "0\r\n", "trailer" },
        { "X-T: 1\r\n", "trailer" },
    };
    ocspr_http_result_t res;
    ocspr_http_parser_t *ps;
    apr_size_t i;

    memset(&res, 0, sizeof(res));
    ps = ocspr_http_parser_create(&res, ocspr_test_pool, ocspr_test_pool, 0, 0, "responder x:1");
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        ck_assert_int_eq(ocspr_http_parser_feed(ps, steps[i].bytes, strlen(steps[i].bytes)),
                         APR_INCOMPLETE);
        ck_assert_str_eq(ocspr_http_parser_expecting(ps), steps[i].expecting);
        ck_assert_int_eq(ocspr_http_parser_reusable(ps), 0);
    }
    ck_assert_int_eq(ocspr_http_parser_feed(ps, "\r\n", 2), APR_SUCCESS);
    ck_assert_int_eq(ocspr_http_parser_reusable(ps), 1);
    ck_assert_str_eq(res.reason, "HTTP 200, 3 bytes from responder x:1");
}
END_TEST

START_TEST(test_quote)
{
    char long_text[300];

    ck_assert_str_eq(ocspr_http_quote(ocspr_test_pool, "a\r\nb\x7f\xc3", 6), "a??b??");
    ck_assert_str_eq(ocspr_http_quote(ocspr_test_pool, "", 0), "");
    memset(long_text, 'z', sizeof(long_text));
    ck_assert_uint_eq(strlen(ocspr_http_quote(ocspr_test_pool, long_text, sizeof(long_text))),
                      123);
}
END_TEST

Suite *ocspr_suite_http_parse(void)
{
    Suite *s = suite_create("http_parse");
    TCase *tc;

    tc = tcase_create("replies");
    ocspr_tc_add_pool_fixture(tc);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_reply, 0, (int)(sizeof(reply_cases) / sizeof(reply_cases[0])));
    tcase_add_test(tc, test_huge_headers);
    tcase_add_test(tc, test_huge_header_line);
    tcase_add_test(tc, test_headers_just_under_cap);
    tcase_add_test(tc, test_header_budget_edge);
    tcase_add_test(tc, test_trailer_over_cap);
    tcase_add_test(tc, test_large_body_every_way);
    suite_add_tcase(s, tc);

    tc = tcase_create("keep-alive");
    ocspr_tc_add_pool_fixture(tc);
    tcase_add_loop_test(tc, test_reuse, 0, (int)(sizeof(reuse_cases) / sizeof(reuse_cases[0])));
    tcase_add_test(tc, test_expecting);
    tcase_add_test(tc, test_quote);
    suite_add_tcase(s, tc);
    return s;
}
