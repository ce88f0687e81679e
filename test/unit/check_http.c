/* Tests for ocspr_http.c: the transport against a scripted HTTP server that
 * runs in a thread of the test, on loopback, on an ephemeral port. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <apr_allocator.h>
#include <apr_atomic.h>
#include <apr_base64.h>
#include <apr_lib.h>
#include <apr_network_io.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "check_support.h"
#include "ocspr_http.h"
#include "ocspr_request.h"

#define SERVER_TICK apr_time_from_msec(20)
#define SERVER_REQUEST_MAX 16384
#define SERVER_BODY_MAX 4096

/* What the server does once it has read a request. */
typedef enum {
    SERVE_REPLY,   /* send the reply, close */
    SERVE_SILENT,  /* say nothing until stopped */
    SERVE_DRIP     /* send the reply one byte a second */
} serve_mode_t;

typedef struct {
    /* The script, set before server_launch. */
    serve_mode_t mode;
    const char *reply;
    apr_size_t reply_len;
    /* Expectations (NULL: unchecked); on a mismatch the server answers 400,
     * so the fetch fails even before the test looks at what was seen. */
    const char *expect_method;
    const char *expect_target;
    const char *expect_host;
    const unsigned char *expect_body;
    apr_size_t expect_body_len;

    /* What it saw: read only after server_stop. */
    int connections;
    int mismatch;
    apr_size_t bytes_sent;
    char method[16];
    char target[2048];
    char host[256];
    char content_type[128];
    char content_length[32];
    char accept[128];
    char connection[64];
    char user_agent[256];
    unsigned char body[SERVER_BODY_MAX];
    apr_size_t body_len;

    /* Plumbing. */
    apr_pool_t *pool;
    apr_socket_t *listener;
    apr_port_t port;
    int ipv6;
    apr_thread_t *thread;
    volatile apr_uint32_t stop;
} test_server_t;

static const char OK_HEAD[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n";

/* A root pool on its own allocator, for a thread's exclusive use, as the
 * engine gives its threads: nothing is shared with other threads' pools. */
static apr_pool_t *private_pool(void)
{
    apr_allocator_t *allocator;
    apr_pool_t *p;

    ck_assert_int_eq(apr_allocator_create(&allocator), APR_SUCCESS);
    ck_assert_int_eq(apr_pool_create_ex(&p, NULL, NULL, allocator), APR_SUCCESS);
    apr_allocator_owner_set(allocator, p);
    return p;
}

static int server_stopping(test_server_t *srv)
{
    return apr_atomic_read32(&srv->stop) != 0;
}

/* Sleep `t`, waking early when the test stops the server. */
static void server_pause(test_server_t *srv, apr_interval_time_t t)
{
    apr_time_t until = apr_time_now() + t;

    while (!server_stopping(srv) && apr_time_now() < until) {
        apr_sleep(SERVER_TICK);
    }
}

/* recv that gives up when the server is stopped. */
static apr_status_t server_recv(test_server_t *srv, apr_socket_t *s, char *buf, apr_size_t *n)
{
    apr_size_t want = *n;
    apr_status_t rv;

    do {
        *n = want;
        rv = apr_socket_recv(s, buf, n);
    } while (APR_STATUS_IS_TIMEUP(rv) && *n == 0 && !server_stopping(srv));
    return rv;
}

static void copy_field(char *dst, apr_size_t dst_size, const char *value, apr_size_t len)
{
    if (len >= dst_size) {
        len = dst_size - 1;
    }
    memcpy(dst, value, len);
    dst[len] = '\0';
}

/* Record the request line and the headers the tests look at. */
static void server_parse_head(test_server_t *srv, char *head)
{
    char *line, *last, *sp1, *sp2;

    line = apr_strtok(head, "\r\n", &last);
    if (line == NULL || (sp1 = strchr(line, ' ')) == NULL || (sp2 = strchr(sp1 + 1, ' ')) == NULL
        || strcmp(sp2 + 1, "HTTP/1.1") != 0) {
        srv->mismatch = 1;
        return;
    }
    copy_field(srv->method, sizeof(srv->method), line, (apr_size_t)(sp1 - line));
    copy_field(srv->target, sizeof(srv->target), sp1 + 1, (apr_size_t)(sp2 - sp1 - 1));
    while ((line = apr_strtok(NULL, "\r\n", &last)) != NULL) {
        static const struct { const char *name; apr_size_t offset, size; } fields[] = {
            { "Host", offsetof(test_server_t, host), sizeof(((test_server_t *)0)->host) },
            { "Content-Type", offsetof(test_server_t, content_type),
              sizeof(((test_server_t *)0)->content_type) },
            { "Content-Length", offsetof(test_server_t, content_length),
              sizeof(((test_server_t *)0)->content_length) },
            { "Accept", offsetof(test_server_t, accept), sizeof(((test_server_t *)0)->accept) },
            { "Connection", offsetof(test_server_t, connection),
              sizeof(((test_server_t *)0)->connection) },
            { "User-Agent", offsetof(test_server_t, user_agent),
              sizeof(((test_server_t *)0)->user_agent) },
        };
        char *colon = strchr(line, ':');
        apr_size_t i;

        if (colon == NULL || colon[1] != ' ') {
            srv->mismatch = 1;
            continue;
        }
        *colon = '\0';
        for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
            if (strcasecmp(line, fields[i].name) == 0) {
                copy_field((char *)srv + fields[i].offset, fields[i].size, colon + 2,
                           strlen(colon + 2));
            }
        }
    }
}

/* Read one request (head and Content-Length body) from s. */
static void server_read_request(test_server_t *srv, apr_socket_t *s)
{
    char *buf = apr_palloc(srv->pool, SERVER_REQUEST_MAX + 1);
    apr_size_t have = 0, head_len, body_want;
    char *end = NULL;

    while (end == NULL && have < SERVER_REQUEST_MAX) {
        apr_size_t n = SERVER_REQUEST_MAX - have;

        if (server_recv(srv, s, buf + have, &n) != APR_SUCCESS) {
            srv->mismatch = 1;
            return;
        }
        have += n;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (end == NULL) {
        srv->mismatch = 1;
        return;
    }
    head_len = (apr_size_t)(end - buf) + 4;
    *end = '\0';
    server_parse_head(srv, buf);
    body_want = (apr_size_t)apr_atoi64(srv->content_length);
    if (body_want > SERVER_BODY_MAX) {
        srv->mismatch = 1;
        return;
    }
    srv->body_len = have - head_len;
    memcpy(srv->body, buf + head_len, srv->body_len);
    while (srv->body_len < body_want) {
        apr_size_t n = body_want - srv->body_len;

        if (server_recv(srv, s, (char *)srv->body + srv->body_len, &n) != APR_SUCCESS) {
            srv->mismatch = 1;
            return;
        }
        srv->body_len += n;
    }
}

static void server_check_expectations(test_server_t *srv)
{
    if ((srv->expect_method && strcmp(srv->method, srv->expect_method) != 0)
        || (srv->expect_target && strcmp(srv->target, srv->expect_target) != 0)
        || (srv->expect_host && strcmp(srv->host, srv->expect_host) != 0)) {
        srv->mismatch = 1;
    }
    if (srv->expect_body
        && (srv->body_len != srv->expect_body_len
            || memcmp(srv->body, srv->expect_body, srv->body_len) != 0
            || strcmp(srv->content_type, "application/ocsp-request") != 0)) {
        srv->mismatch = 1;
    }
}

static void server_send(test_server_t *srv, apr_socket_t *s, const char *data, apr_size_t len)
{
    apr_size_t n = len;

    if (apr_socket_send(s, data, &n) == APR_SUCCESS) {
        srv->bytes_sent += n;
    }
}

static void server_answer(test_server_t *srv, apr_socket_t *s)
{
    static const char bad_request[] =
        "HTTP/1.1 400 Bad Request (request not as the test expected)\r\n"
        "Content-Length: 0\r\n\r\n";
    apr_size_t i;

    if (srv->mismatch) {
        server_send(srv, s, bad_request, sizeof(bad_request) - 1);
        return;
    }
    switch (srv->mode) {
    case SERVE_REPLY:
        server_send(srv, s, srv->reply, srv->reply_len);
        break;
    case SERVE_SILENT:
        server_pause(srv, apr_time_from_sec(3600));
        break;
    case SERVE_DRIP:
        for (i = 0; i < srv->reply_len && !server_stopping(srv); i++) {
            server_send(srv, s, srv->reply + i, 1);
            server_pause(srv, apr_time_from_sec(1));
        }
        break;
    }
}

static void *APR_THREAD_FUNC server_main(apr_thread_t *thread, void *data)
{
    test_server_t *srv = data;

    while (!server_stopping(srv)) {
        apr_socket_t *s;

        if (apr_socket_accept(&s, srv->listener, srv->pool) != APR_SUCCESS) {
            continue; /* the listener's timeout: look at the stop flag again */
        }
        srv->connections++;
        apr_socket_timeout_set(s, SERVER_TICK);
        server_read_request(srv, s);
        server_check_expectations(srv);
        apr_socket_timeout_set(s, apr_time_from_sec(5));
        server_answer(srv, s);
        apr_socket_close(s);
    }
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

/* Listen on 127.0.0.1 (or ::1) port 0. Returns 0 when the address cannot be
 * bound (only tolerated for ::1, on hosts without IPv6). */
static int server_listen(test_server_t *srv, int ipv6, int backlog)
{
    apr_sockaddr_t *sa;

    srv->ipv6 = ipv6;
    srv->pool = private_pool();
    ck_assert_int_eq(apr_sockaddr_info_get(&sa, ipv6 ? "::1" : "127.0.0.1",
                                           ipv6 ? APR_INET6 : APR_INET, 0, 0, srv->pool),
                     APR_SUCCESS);
    ck_assert_int_eq(apr_socket_create(&srv->listener, sa->family, SOCK_STREAM, APR_PROTO_TCP,
                                       srv->pool), APR_SUCCESS);
    if (apr_socket_bind(srv->listener, sa) != APR_SUCCESS) {
        apr_pool_destroy(srv->pool);
        srv->pool = NULL;
        return 0;
    }
    ck_assert_int_eq(apr_socket_listen(srv->listener, backlog), APR_SUCCESS);
    ck_assert_int_eq(apr_socket_addr_get(&sa, APR_LOCAL, srv->listener), APR_SUCCESS);
    srv->port = sa->port;
    ck_assert_int_ne(srv->port, 0);
    return 1;
}

/* From here on the thread owns srv until server_stop. */
static void server_launch(test_server_t *srv)
{
    apr_socket_timeout_set(srv->listener, SERVER_TICK);
    ck_assert_int_eq(apr_thread_create(&srv->thread, NULL, server_main, srv, srv->pool),
                     APR_SUCCESS);
}

static void server_start(test_server_t *srv)
{
    ck_assert(server_listen(srv, 0, SOMAXCONN));
    server_launch(srv);
}

/* Stop and join the thread, free everything but the record of what it saw. */
static void server_stop(test_server_t *srv)
{
    apr_status_t thread_rv;

    if (srv->thread != NULL) {
        apr_atomic_set32(&srv->stop, 1);
        apr_thread_join(&thread_rv, srv->thread);
        srv->thread = NULL;
    }
    apr_socket_close(srv->listener);
    apr_pool_destroy(srv->pool);
    srv->pool = NULL;
}

static const char *server_url(const test_server_t *srv, const char *path)
{
    return apr_psprintf(ocspr_test_pool, srv->ipv6 ? "http://[::1]:%u%s" : "http://127.0.0.1:%u%s",
                        (unsigned)srv->port, path);
}

static const char *server_authority(const test_server_t *srv)
{
    return apr_psprintf(ocspr_test_pool, srv->ipv6 ? "[::1]:%u" : "127.0.0.1:%u",
                        (unsigned)srv->port);
}

static void script_reply(test_server_t *srv, const char *reply, apr_size_t len)
{
    memset(srv, 0, sizeof(*srv));
    srv->mode = SERVE_REPLY;
    srv->reply = reply;
    srv->reply_len = len;
}

/* A request body with the bytes an HTTP layer might mangle: NUL, CR, LF. */
static const unsigned char *sample_request(apr_size_t len)
{
    unsigned char *der = apr_palloc(ocspr_test_pool, len);
    apr_size_t i;

    for (i = 0; i < len; i++) {
        der[i] = (unsigned char)(i * 37 + 11);
    }
    der[0] = 0x30;
    if (len > 4) {
        der[1] = '\0';
        der[2] = '\r';
        der[3] = '\n';
    }
    return der;
}

static void opts_for_tests(ocspr_http_opts_t *opts)
{
    ocspr_http_opts_default(opts);
    opts->connect_timeout = apr_time_from_sec(5);
    opts->total_timeout = apr_time_from_sec(10);
}

static apr_status_t fetch(ocspr_http_result_t *res, const char *url,
                          const ocspr_http_opts_t *opts)
{
    const unsigned char *der = sample_request(64);

    return ocspr_http_fetch(NULL, res, ocspr_test_pool, url, der, 64, opts);
}

/* What every result must look like, whatever the outcome. */
static void assert_result_shape(const ocspr_http_result_t *res, apr_status_t rv)
{
    ck_assert_ptr_nonnull(res->reason);
    ck_assert_int_gt((int)strlen(res->reason), 0);
    ck_assert_ptr_nonnull(res->method);
    ck_assert_int_ge(res->latency, 0);
    if (res->outcome == OCSPR_OUTCOME_OK) {
        ck_assert_int_eq(rv, APR_SUCCESS);
        ck_assert_ptr_nonnull(res->body);
        ck_assert_uint_gt(res->body_len, 0);
    }
    else {
        ck_assert_int_eq(rv, OCSPR_EFETCH);
        ck_assert_ptr_null(res->body);
    }
}

static void assert_outcome(const ocspr_http_result_t *res, apr_status_t rv,
                           ocspr_outcome_t outcome, const char *reason_has)
{
    assert_result_shape(res, rv);
    ck_assert_msg(res->outcome == outcome, "outcome %s, expected %s (reason: %s)",
                  ocspr_outcome_name(res->outcome), ocspr_outcome_name(outcome), res->reason);
    if (reason_has != NULL) {
        ck_assert_msg(strstr(res->reason, reason_has) != NULL, "reason \"%s\" lacks \"%s\"",
                      res->reason, reason_has);
    }
}

static void ignore_sigpipe(void)
{
    /* The scripted server writes to clients that gave up; httpd ignores
     * SIGPIPE the same way. */
    signal(SIGPIPE, SIG_IGN);
}

/* ---- replies: one server answer per case ------------------------------ */

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
    test_server_t srv;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_status_t rv;

    script_reply(&srv, c->reply, strlen(c->reply));
    server_start(&srv);
    opts_for_tests(&opts);
    opts.max_body = c->max_body;
    rv = fetch(&res, server_url(&srv, "/ocsp"), &opts);
    server_stop(&srv);

    ck_assert_msg(res.outcome == c->outcome, "case \"%s\": outcome %s, expected %s (%s)",
                  c->name, ocspr_outcome_name(res.outcome), ocspr_outcome_name(c->outcome),
                  res.reason);
    assert_outcome(&res, rv, c->outcome, c->reason_has);
    ck_assert_int_eq(res.http_status, c->http_status);
    ck_assert_int_eq(srv.connections, 1); /* never a retry, never a followed redirect */
    ck_assert_int_eq(srv.mismatch, 0);
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
    test_server_t srv;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_status_t rv;

    script_reply(&srv, reply, strlen(reply));
    server_start(&srv);
    opts_for_tests(&opts);
    opts.max_headers = 4096;
    rv = fetch(&res, server_url(&srv, "/"), &opts);
    server_stop(&srv);
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
    test_server_t srv;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_status_t rv;

    script_reply(&srv, reply, strlen(reply));
    server_start(&srv);
    opts_for_tests(&opts);
    opts.max_headers = 4096;
    rv = fetch(&res, server_url(&srv, "/"), &opts);
    server_stop(&srv);
    assert_outcome(&res, rv, OCSPR_OUTCOME_OK, NULL);
}
END_TEST

START_TEST(test_trailer_over_cap)
{
    const char *reply = apr_pstrcat(ocspr_test_pool, OK_HEAD,
                                     "Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n",
                                     oversized_headers(100, 100) + strlen(OK_HEAD), NULL);
    test_server_t srv;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_status_t rv;

    script_reply(&srv, reply, strlen(reply));
    server_start(&srv);
    opts_for_tests(&opts);
    opts.max_headers = 4096;
    rv = fetch(&res, server_url(&srv, "/"), &opts);
    server_stop(&srv);
    assert_outcome(&res, rv, OCSPR_OUTCOME_OVERSIZE, "trailer over 4096 bytes");
}
END_TEST

/* ---- what the server receives ------------------------------------------ */

static const char OK_REPLY[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: 4\r\n\r\n"
    "RESP";

static void assert_ok_reply(const ocspr_http_result_t *res, apr_status_t rv)
{
    assert_outcome(res, rv, OCSPR_OUTCOME_OK, "HTTP 200, 4 bytes");
    ck_assert_uint_eq(res->body_len, 4);
    ck_assert_mem_eq(res->body, "RESP", 4);
}

START_TEST(test_post_request)
{
    const unsigned char *der = sample_request(300);
    test_server_t srv;
    ocspr_http_result_t res;
    apr_status_t rv;

    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    srv.expect_method = "POST";
    srv.expect_target = "/ca/ocsp?x=1";
    srv.expect_body = der;
    srv.expect_body_len = 300;
    ck_assert(server_listen(&srv, 0, SOMAXCONN));
    srv.expect_host = server_authority(&srv);
    server_launch(&srv);
    rv = ocspr_http_fetch(NULL, &res, ocspr_test_pool, server_url(&srv, "/ca/ocsp?x=1#frag"),
                          der, 300, NULL);
    server_stop(&srv);

    assert_ok_reply(&res, rv);
    ck_assert_int_eq(srv.mismatch, 0);
    ck_assert_str_eq(res.method, "POST");
    ck_assert_str_eq(srv.method, "POST");
    ck_assert_str_eq(srv.target, "/ca/ocsp?x=1");
    ck_assert_str_eq(srv.host, server_authority(&srv));
    ck_assert_str_eq(srv.content_type, "application/ocsp-request");
    ck_assert_str_eq(srv.content_length, "300");
    ck_assert_str_eq(srv.accept, "application/ocsp-response");
    ck_assert_str_eq(srv.connection, "close");
    ck_assert_str_eq(srv.user_agent, "mod_ocsp_refresh");
    ck_assert_uint_eq(srv.body_len, 300);
    ck_assert_mem_eq(srv.body, der, 300);
    ck_assert_int_gt(res.latency, 0);
    ck_assert_int_lt(res.latency, apr_time_from_sec(5));
}
END_TEST

START_TEST(test_default_path_and_user_agent)
{
    test_server_t srv;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_status_t rv;

    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    server_start(&srv);
    opts_for_tests(&opts);
    opts.user_agent = "ocspr-test/1.0 (unit)";
    rv = fetch(&res, server_url(&srv, ""), &opts);
    server_stop(&srv);

    assert_ok_reply(&res, rv);
    ck_assert_str_eq(srv.target, "/");
    ck_assert_str_eq(srv.user_agent, "ocspr-test/1.0 (unit)");
}
END_TEST

START_TEST(test_server_catches_wrong_body)
{
    /* The server's own check must be able to fail the exchange. */
    static const unsigned char other[] = { 0x30, 0x01, 0x00 };
    test_server_t srv;
    ocspr_http_result_t res;
    apr_status_t rv;

    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    srv.expect_body = other;
    srv.expect_body_len = sizeof(other);
    server_start(&srv);
    rv = fetch(&res, server_url(&srv, "/"), NULL);
    server_stop(&srv);
    assert_outcome(&res, rv, OCSPR_OUTCOME_HTTP_STATUS, "HTTP 400");
    ck_assert_int_eq(srv.mismatch, 1);
}
END_TEST

/* %XX-decode, for checking a GET URL against the base64 it must carry. */
static const char *url_decode(const char *s)
{
    char *out = apr_palloc(ocspr_test_pool, strlen(s) + 1), *o = out;

    while (*s) {
        if (s[0] == '%' && apr_isxdigit(s[1]) && apr_isxdigit(s[2])) {
            char hex[3] = { s[1], s[2], '\0' };

            *o++ = (char)strtol(hex, NULL, 16);
            s += 3;
        }
        else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

START_TEST(test_get_short_request)
{
    const unsigned char *der = sample_request(60);
    char *b64 = apr_palloc(ocspr_test_pool, (apr_size_t)apr_base64_encode_len(60));
    test_server_t srv;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_status_t rv;

    apr_base64_encode(b64, (const char *)der, 60);
    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    srv.expect_method = "GET";
    server_start(&srv);
    opts_for_tests(&opts);
    opts.use_get = 1;
    rv = ocspr_http_fetch(NULL, &res, ocspr_test_pool, server_url(&srv, "/ocsp"), der, 60,
                          &opts);
    server_stop(&srv);

    assert_ok_reply(&res, rv);
    ck_assert_str_eq(res.method, "GET");
    ck_assert_str_eq(srv.method, "GET");
    ck_assert_msg(strncmp(srv.target, "/ocsp/", 6) == 0, "GET target %s", srv.target);
    ck_assert_str_eq(url_decode(srv.target + 6), b64);
    ck_assert_str_eq(srv.content_length, "");
    ck_assert_uint_eq(srv.body_len, 0);
    ck_assert_str_eq(srv.host, server_authority(&srv));
}
END_TEST

START_TEST(test_get_falls_back_to_post)
{
    /* RFC 5019: over 255 bytes of URL, POST. */
    const unsigned char *der = sample_request(400);
    test_server_t srv;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_status_t rv;

    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    srv.expect_method = "POST";
    srv.expect_target = "/ocsp";
    srv.expect_body = der;
    srv.expect_body_len = 400;
    server_start(&srv);
    opts_for_tests(&opts);
    opts.use_get = 1;
    rv = ocspr_http_fetch(NULL, &res, ocspr_test_pool, server_url(&srv, "/ocsp"), der, 400,
                          &opts);
    server_stop(&srv);

    assert_ok_reply(&res, rv);
    ck_assert_str_eq(res.method, "POST");
    ck_assert_str_eq(srv.method, "POST");
}
END_TEST

static void check_proxy(const char *responder_url, const char *absolute_uri, const char *host)
{
    const unsigned char *der = sample_request(100);
    test_server_t srv;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_status_t rv;

    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    srv.expect_method = "POST";
    srv.expect_target = absolute_uri;
    srv.expect_host = host;
    srv.expect_body = der;
    srv.expect_body_len = 100;
    server_start(&srv);
    opts_for_tests(&opts);
    opts.proxy_url = server_url(&srv, "");
    rv = ocspr_http_fetch(NULL, &res, ocspr_test_pool, responder_url, der, 100, &opts);
    server_stop(&srv);

    assert_ok_reply(&res, rv);
    ck_assert_str_eq(srv.target, absolute_uri);
    ck_assert_str_eq(srv.host, host);
    ck_assert_msg(strstr(res.reason, apr_psprintf(ocspr_test_pool, "via proxy 127.0.0.1:%u",
                                                  (unsigned)srv.port)) != NULL,
                  "reason %s", res.reason);
}

START_TEST(test_proxy)
{
    /* The names need not resolve: only the proxy does. */
    check_proxy("http://ocsp.example.invalid/ca1", "http://ocsp.example.invalid/ca1",
                "ocsp.example.invalid");
}
END_TEST

START_TEST(test_proxy_ipv6_responder)
{
    check_proxy("http://[2001:db8::1]:8080", "http://[2001:db8::1]:8080/", "[2001:db8::1]:8080");
}
END_TEST

START_TEST(test_ipv6_loopback)
{
    test_server_t srv;
    ocspr_http_result_t res;
    apr_status_t rv;

    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    if (!server_listen(&srv, 1, SOMAXCONN)) {
        fprintf(stderr, "SKIP http/test_ipv6_loopback: cannot bind [::1] on this host\n");
        return;
    }
    srv.expect_host = server_authority(&srv);
    server_launch(&srv);
    rv = fetch(&res, server_url(&srv, "/v6"), NULL);
    server_stop(&srv);

    assert_ok_reply(&res, rv);
    ck_assert_str_eq(srv.host, apr_psprintf(ocspr_test_pool, "[::1]:%u", (unsigned)srv.port));
    ck_assert_str_eq(srv.target, "/v6");
}
END_TEST

typedef struct {
    const char *url;
    apr_pool_t *pool;
    apr_status_t rv;
    ocspr_http_result_t res;
} concurrent_fetch_t;

static void *APR_THREAD_FUNC concurrent_fetch_main(apr_thread_t *thread, void *data)
{
    concurrent_fetch_t *job = data;
    const unsigned char der[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
    apr_pool_t *p = job->pool;

    /* The results outlive the pool only as plain values. */
    job->rv = ocspr_http_fetch(NULL, &job->res, p, job->url, der, sizeof(der), NULL);
    job->res.reason = NULL;
    job->res.body = NULL;
    job->res.content_type = NULL;
    apr_pool_destroy(p);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

START_TEST(test_concurrent_fetches)
{
    concurrent_fetch_t jobs[6];
    apr_thread_t *threads[6];
    test_server_t srv;
    apr_status_t thread_rv;
    int i;

    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    server_start(&srv);
    for (i = 0; i < 6; i++) {
        jobs[i].url = server_url(&srv, "/");
        jobs[i].pool = private_pool();
        ck_assert_int_eq(apr_thread_create(&threads[i], NULL, concurrent_fetch_main, &jobs[i],
                                           ocspr_test_pool), APR_SUCCESS);
    }
    for (i = 0; i < 6; i++) {
        apr_thread_join(&thread_rv, threads[i]);
    }
    server_stop(&srv);
    for (i = 0; i < 6; i++) {
        ck_assert_int_eq(jobs[i].rv, APR_SUCCESS);
        ck_assert_int_eq(jobs[i].res.outcome, OCSPR_OUTCOME_OK);
        ck_assert_uint_eq(jobs[i].res.body_len, 4);
    }
    ck_assert_int_eq(srv.connections, 6);
}
END_TEST

/* ---- deadlines ------------------------------------------------------------ */

static void check_deadline(serve_mode_t mode, apr_interval_time_t deadline)
{
    test_server_t srv;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_time_t started;
    apr_interval_time_t elapsed;
    apr_status_t rv;

    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    srv.mode = mode;
    server_start(&srv);
    opts_for_tests(&opts);
    opts.total_timeout = deadline;
    started = apr_time_now();
    rv = fetch(&res, server_url(&srv, "/"), &opts);
    elapsed = apr_time_now() - started;
    server_stop(&srv);

    assert_outcome(&res, rv, OCSPR_OUTCOME_TIMEOUT, "deadline of");
    ck_assert_msg(elapsed >= deadline, "gave up after %" APR_TIME_T_FMT " us, before the deadline",
                  elapsed);
    ck_assert_msg(elapsed < deadline + apr_time_from_sec(2),
                  "took %" APR_TIME_T_FMT " us for a %" APR_TIME_T_FMT " us deadline", elapsed,
                  deadline);
    ck_assert_int_ge(res.latency, deadline);
}

START_TEST(test_server_never_answers)
{
    check_deadline(SERVE_SILENT, apr_time_from_sec(1));
}
END_TEST

START_TEST(test_server_drips)
{
    /* One byte a second never lets a single read wait 2 s: only a deadline
     * over the whole exchange ends this (the reply would take 100 s). */
    check_deadline(SERVE_DRIP, apr_time_from_msec(2500));
}
END_TEST

START_TEST(test_connect_timeout)
{
    /* A listener with a full accept queue drops SYNs: connect hangs. */
    test_server_t srv;
    apr_socket_t *filler;
    apr_sockaddr_t *sa;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_time_t started;
    apr_interval_time_t elapsed;
    apr_status_t rv;

    memset(&srv, 0, sizeof(srv));
    ck_assert(server_listen(&srv, 0, 0));
    ck_assert_int_eq(apr_sockaddr_info_get(&sa, "127.0.0.1", APR_INET, srv.port, 0, srv.pool),
                     APR_SUCCESS);
    ck_assert_int_eq(apr_socket_create(&filler, APR_INET, SOCK_STREAM, APR_PROTO_TCP, srv.pool),
                     APR_SUCCESS);
    ck_assert_int_eq(apr_socket_connect(filler, sa), APR_SUCCESS);
    opts_for_tests(&opts);
    opts.connect_timeout = apr_time_from_msec(500);
    started = apr_time_now();
    rv = fetch(&res, server_url(&srv, "/"), &opts);
    elapsed = apr_time_now() - started;
    apr_socket_close(filler);
    server_stop(&srv);

    assert_outcome(&res, rv, OCSPR_OUTCOME_TIMEOUT, "no answer within 500 ms");
    ck_assert_msg(strstr(res.reason, "127.0.0.1") != NULL, "reason %s", res.reason);
    ck_assert_int_ge(elapsed, apr_time_from_msec(500));
    ck_assert_int_lt(elapsed, apr_time_from_msec(2500));
}
END_TEST

/* ---- connection failures ---------------------------------------------------- */

/* A port nobody listens on: bound, then closed. */
static apr_port_t closed_port(void)
{
    test_server_t srv;
    apr_port_t port;

    memset(&srv, 0, sizeof(srv));
    ck_assert(server_listen(&srv, 0, 1));
    port = srv.port;
    server_stop(&srv);
    return port;
}

START_TEST(test_refused)
{
    apr_port_t port = closed_port();
    ocspr_http_result_t res;
    apr_status_t rv;

    rv = fetch(&res, apr_psprintf(ocspr_test_pool, "http://127.0.0.1:%u/", (unsigned)port), NULL);
    assert_outcome(&res, rv, OCSPR_OUTCOME_REFUSED,
                   apr_psprintf(ocspr_test_pool, "127.0.0.1:%u", (unsigned)port));
    ck_assert_int_eq(res.http_status, 0);
}
END_TEST

START_TEST(test_proxy_refused)
{
    apr_port_t port = closed_port();
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_status_t rv;

    opts_for_tests(&opts);
    opts.proxy_url = apr_psprintf(ocspr_test_pool, "http://127.0.0.1:%u", (unsigned)port);
    rv = fetch(&res, "http://ocsp.example.invalid/", &opts);
    assert_outcome(&res, rv, OCSPR_OUTCOME_REFUSED, "connect to proxy 127.0.0.1");
}
END_TEST

/* Unreachable networks cannot be produced on loopback (and tests send
 * nothing elsewhere), so the classification of connect errors is tested
 * on the error codes themselves. */
START_TEST(test_connect_error_classes)
{
    ck_assert_int_eq(ocspr_http_connect_outcome(APR_FROM_OS_ERROR(ECONNREFUSED)),
                     OCSPR_OUTCOME_REFUSED);
    ck_assert_int_eq(ocspr_http_connect_outcome(APR_FROM_OS_ERROR(EACCES)),
                     OCSPR_OUTCOME_PERMISSION);
    ck_assert_int_eq(ocspr_http_connect_outcome(APR_FROM_OS_ERROR(EPERM)),
                     OCSPR_OUTCOME_PERMISSION);
    ck_assert_int_eq(ocspr_http_connect_outcome(APR_FROM_OS_ERROR(ETIMEDOUT)),
                     OCSPR_OUTCOME_TIMEOUT);
    ck_assert_int_eq(ocspr_http_connect_outcome(APR_TIMEUP), OCSPR_OUTCOME_TIMEOUT);
    ck_assert_int_eq(ocspr_http_connect_outcome(APR_FROM_OS_ERROR(ENETUNREACH)),
                     OCSPR_OUTCOME_UNREACHABLE);
    ck_assert_int_eq(ocspr_http_connect_outcome(APR_FROM_OS_ERROR(EHOSTUNREACH)),
                     OCSPR_OUTCOME_UNREACHABLE);
}
END_TEST

START_TEST(test_dns_failure)
{
    ocspr_http_result_t res;
    apr_time_t started = apr_time_now();
    apr_status_t rv;

    rv = fetch(&res, "http://no-such-responder.ocspr-test.invalid/ocsp", NULL);
    assert_outcome(&res, rv, OCSPR_OUTCOME_DNS, "no-such-responder.ocspr-test.invalid");
    /* RFC 6761 reserves .invalid: it must fail fast here. */
    ck_assert_int_lt(apr_time_now() - started, apr_time_from_sec(10));
}
END_TEST

/* ---- URLs (no network) ---------------------------------------------------- */

START_TEST(test_https_refused)
{
    ocspr_http_result_t res;
    apr_status_t rv;

    rv = fetch(&res, "https://ocsp.example.com/ca", NULL);
    assert_outcome(&res, rv, OCSPR_OUTCOME_HTTPS, "https://ocsp.example.com/ca");
    ck_assert_msg(strstr(res.reason, "plain HTTP") && strstr(res.reason, "RFC 6960"),
                  "reason %s", res.reason);
    rv = fetch(&res, "HTTPS://ocsp.example.com/", NULL);
    assert_outcome(&res, rv, OCSPR_OUTCOME_HTTPS, NULL);
}
END_TEST

static const char *const bad_urls[] = {
    "",
    "not a url",
    "ocsp.example.com/path",
    "//ocsp.example.com/path",
    "ftp://ocsp.example.com/",
    "ldap://ldap.example.com/cn=ca",
    "http://",
    "http:///path",
    "http://:80/",
    "http://host:0/",
    "http://host:65536/",
    "http://host:123456/",
    "http://host:8o/",
    "http://host:-1/",
    "http://ho st/",
    "http://host/a b",
    "http://host/\r\nX-Injected: 1",
    "http://host/\tx",
    "http://h\xc3\xb6st/",
    "http://user:secret@host/",
    "http://[::1/",
};

START_TEST(test_bad_url)
{
    ocspr_http_result_t res;
    apr_status_t rv;

    rv = fetch(&res, bad_urls[_i], NULL);
    ck_assert_msg(res.outcome == OCSPR_OUTCOME_BAD_URL, "\"%s\": outcome %s (%s)", bad_urls[_i],
                  ocspr_outcome_name(res.outcome), res.reason);
    assert_outcome(&res, rv, OCSPR_OUTCOME_BAD_URL, NULL);
    ck_assert_msg(strchr(res.reason, '\r') == NULL && strchr(res.reason, '\n') == NULL,
                  "reason quotes control characters");
}
END_TEST

START_TEST(test_null_url)
{
    ocspr_http_result_t res;
    apr_status_t rv = fetch(&res, NULL, NULL);

    assert_outcome(&res, rv, OCSPR_OUTCOME_BAD_URL, "no responder URL");
}
END_TEST

START_TEST(test_bad_proxy_url)
{
    static const char *const proxies[] = { "https://proxy.example:3128",
                                           "socks5://proxy.example:1080", "proxy.example:3128",
                                           "http://proxy.example:99999" };
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_size_t i;

    opts_for_tests(&opts);
    for (i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++) {
        apr_status_t rv;

        opts.proxy_url = proxies[i];
        rv = fetch(&res, "http://ocsp.example.com/", &opts);
        assert_outcome(&res, rv, OCSPR_OUTCOME_BAD_URL, "proxy");
    }
}
END_TEST

START_TEST(test_opts_default)
{
    ocspr_http_opts_t opts;

    memset(&opts, 0x5a, sizeof(opts));
    ocspr_http_opts_default(&opts);
    ck_assert_int_eq(opts.connect_timeout, apr_time_from_sec(5));
    ck_assert_int_eq(opts.total_timeout, apr_time_from_sec(10));
    ck_assert_uint_eq(opts.max_body, 64 * 1024);
    ck_assert_uint_eq(opts.max_headers, 16 * 1024);
    ck_assert_ptr_null(opts.proxy_url);
    ck_assert_int_eq(opts.use_get, 0);
    ck_assert_ptr_null(opts.user_agent);
    ck_assert_ptr_eq(ocspr_http_default_transport.fetch, ocspr_http_fetch);
    ck_assert_ptr_null(ocspr_http_default_transport.baton);
}
END_TEST

static TCase *network_tcase(const char *name, double timeout)
{
    TCase *tc = tcase_create(name);

    ocspr_tc_add_pool_fixture(tc);
    tcase_add_checked_fixture(tc, ignore_sigpipe, NULL);
    tcase_set_timeout(tc, timeout);
    return tc;
}

Suite *ocspr_suite_http(void)
{
    Suite *s = suite_create("http");
    TCase *tc;

    tc = network_tcase("replies", 60);
    tcase_add_loop_test(tc, test_reply, 0, (int)(sizeof(reply_cases) / sizeof(reply_cases[0])));
    tcase_add_test(tc, test_huge_headers);
    tcase_add_test(tc, test_huge_header_line);
    tcase_add_test(tc, test_headers_just_under_cap);
    tcase_add_test(tc, test_trailer_over_cap);
    suite_add_tcase(s, tc);

    tc = network_tcase("requests", 60);
    tcase_add_test(tc, test_post_request);
    tcase_add_test(tc, test_default_path_and_user_agent);
    tcase_add_test(tc, test_server_catches_wrong_body);
    tcase_add_test(tc, test_get_short_request);
    tcase_add_test(tc, test_get_falls_back_to_post);
    tcase_add_test(tc, test_proxy);
    tcase_add_test(tc, test_proxy_ipv6_responder);
    tcase_add_test(tc, test_ipv6_loopback);
    tcase_add_test(tc, test_concurrent_fetches);
    suite_add_tcase(s, tc);

    tc = network_tcase("deadlines", 30);
    tcase_add_test(tc, test_server_never_answers);
    tcase_add_test(tc, test_server_drips);
    tcase_add_test(tc, test_connect_timeout);
    suite_add_tcase(s, tc);

    tc = network_tcase("connect", 30);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_proxy_refused);
    tcase_add_test(tc, test_connect_error_classes);
    tcase_add_test(tc, test_dns_failure);
    suite_add_tcase(s, tc);

    tc = tcase_create("urls");
    ocspr_tc_add_pool_fixture(tc);
    tcase_add_test(tc, test_https_refused);
    tcase_add_loop_test(tc, test_bad_url, 0, (int)(sizeof(bad_urls) / sizeof(bad_urls[0])));
    tcase_add_test(tc, test_null_url);
    tcase_add_test(tc, test_bad_proxy_url);
    tcase_add_test(tc, test_opts_default);
    suite_add_tcase(s, tc);
    return s;
}
