/* Tests for ocspr_http.c: the transport against a scripted HTTP server that
 * runs in a thread of the test, on loopback, on an ephemeral port. What the
 * bytes of a response mean is tested on buffers in check_http_parse.c. */
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
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
    /* After a reply, read the next request on the same connection (the
     * reply must then be framed); else close. */
    int keep_alive;
    /* With keep_alive: read request drop_after + 1 of a connection, then
     * close it without an answer, as a server whose idle timeout strikes
     * just as a request arrives (0: never). */
    int drop_after;
    /* Expectations (NULL: unchecked); on a mismatch the server answers 400,
     * so the fetch fails even before the test looks at what was seen. */
    const char *expect_method;
    const char *expect_target;
    const char *expect_host;
    const unsigned char *expect_body;
    apr_size_t expect_body_len;

    /* What it saw: read only after server_stop, except client_closes. */
    int connections;
    int requests;
    volatile apr_uint32_t client_closes;  /* connections the client closed between requests */
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

/* Forget the last request of the connection. */
static void server_forget_request(test_server_t *srv)
{
    srv->method[0] = srv->target[0] = srv->host[0] = '\0';
    srv->content_type[0] = srv->content_length[0] = srv->accept[0] = '\0';
    srv->connection[0] = srv->user_agent[0] = '\0';
    srv->body_len = 0;
}

/* Read one request (head and Content-Length body) from s. Returns 0 when
 * there is none: the client closed before its first byte, or the server
 * is stopping. */
static int server_read_request(test_server_t *srv, apr_socket_t *s)
{
    char *buf = apr_palloc(srv->pool, SERVER_REQUEST_MAX + 1);
    apr_size_t have = 0, head_len, body_want;
    char *end = NULL;

    while (end == NULL && have < SERVER_REQUEST_MAX) {
        apr_size_t n = SERVER_REQUEST_MAX - have;
        apr_status_t rv = server_recv(srv, s, buf + have, &n);

        if (have == 0 && n == 0 && (rv == APR_EOF || server_stopping(srv))) {
            if (rv == APR_EOF) {
                apr_atomic_inc32(&srv->client_closes);
            }
            return 0;
        }
        if (have == 0) {
            server_forget_request(srv);
        }
        if (rv != APR_SUCCESS) {
            srv->mismatch = 1;
            return 1;
        }
        have += n;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (end == NULL) {
        srv->mismatch = 1;
        return 1;
    }
    head_len = (apr_size_t)(end - buf) + 4;
    *end = '\0';
    server_parse_head(srv, buf);
    body_want = (apr_size_t)apr_atoi64(srv->content_length);
    if (body_want > SERVER_BODY_MAX) {
        srv->mismatch = 1;
        return 1;
    }
    srv->body_len = have - head_len;
    memcpy(srv->body, buf + head_len, srv->body_len);
    while (srv->body_len < body_want) {
        apr_size_t n = body_want - srv->body_len;

        if (server_recv(srv, s, (char *)srv->body + srv->body_len, &n) != APR_SUCCESS) {
            srv->mismatch = 1;
            return 1;
        }
        srv->body_len += n;
    }
    return 1;
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
        int served;

        if (apr_socket_accept(&s, srv->listener, srv->pool) != APR_SUCCESS) {
            continue; /* the listener's timeout: look at the stop flag again */
        }
        srv->connections++;
        apr_socket_timeout_set(s, SERVER_TICK);
        for (served = 0; server_read_request(srv, s); served++) {
            srv->requests++;
            if (srv->drop_after && served == srv->drop_after) {
                break;
            }
            server_check_expectations(srv);
            apr_socket_timeout_set(s, apr_time_from_sec(5));
            server_answer(srv, s);
            apr_socket_timeout_set(s, SERVER_TICK);
            if (!srv->keep_alive || srv->mismatch) {
                break;
            }
        }
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

/* ---- replies through a socket ---------------------------------------------
 * Every reply the parser knows is in check_http_parse.c. These check that the
 * transport hands it the bytes and the close, names the server, never
 * retries and never follows a redirect: without a session and with one. */

typedef struct {
    const char *name;
    const char *reply;
    apr_size_t max_body;          /* 0: default */
    ocspr_outcome_t outcome;
    int http_status;
    const char *reason_has;
    const char *body;             /* expected body when OK */
} socket_case_t;

static const socket_case_t socket_cases[] = {
    { "content-length", "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n"
      "Content-Length: 5\r\n\r\nHELLO", 0, OCSPR_OUTCOME_OK, 200, "HTTP 200, 5 bytes", "HELLO" },
    { "chunked", "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n"
      "Transfer-Encoding: chunked\r\n\r\n5;x=y\r\nHELLO\r\na\r\n0123456789\r\n0\r\n"
      "X-Trailer: yes\r\n\r\n", 0, OCSPR_OUTCOME_OK, 200, "15 bytes", "HELLO0123456789" },
    { "read to close", "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n\r\n"
      "ABCDEFG", 0, OCSPR_OUTCOME_OK, 200, "7 bytes", "ABCDEFG" },
    { "500", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", 0,
      OCSPR_OUTCOME_HTTP_STATUS, 500, "HTTP 500 Internal Server Error", NULL },
    { "301 with Location", "HTTP/1.1 301 Moved Permanently\r\n"
      "Location: http://elsewhere.example/ocsp\r\nContent-Length: 0\r\n\r\n", 0,
      OCSPR_OUTCOME_REDIRECT, 301, "http://elsewhere.example/ocsp", NULL },
    { "closed before the declared length", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: 100\r\n\r\n0123456789", 0,
      OCSPR_OUTCOME_TRUNCATED, 200, "after 10 of 100 body bytes", NULL },
    { "closed without a response", "", 0, OCSPR_OUTCOME_TRUNCATED, 0,
      "without sending a response", NULL },
    { "declared body over the cap", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\nContent-Length: 100000\r\n\r\n0123", 1000,
      OCSPR_OUTCOME_OVERSIZE, 200, "declared as 100000 bytes, over the 1000", NULL },
    { "body to close over the cap", "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/ocsp-response\r\n\r\n01234567890", 10, OCSPR_OUTCOME_OVERSIZE,
      200, "over 10 bytes", NULL },
};

#define SOCKET_CASES ((int)(sizeof(socket_cases) / sizeof(socket_cases[0])))

START_TEST(test_socket_reply)
{
    const socket_case_t *c = &socket_cases[_i % SOCKET_CASES];
    int with_session = _i >= SOCKET_CASES;
    test_server_t srv;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_status_t rv;

    script_reply(&srv, c->reply, strlen(c->reply));
    server_start(&srv);
    opts_for_tests(&opts);
    opts.max_body = c->max_body;
    if (with_session) {
        ck_assert_int_eq(ocspr_http_session_create(&opts.session, ocspr_test_pool), APR_SUCCESS);
    }
    rv = fetch(&res, server_url(&srv, "/ocsp"), &opts);
    server_stop(&srv);

    ck_assert_msg(res.outcome == c->outcome, "case \"%s\"%s: outcome %s, expected %s (%s)",
                  c->name, with_session ? " (session)" : "", ocspr_outcome_name(res.outcome),
                  ocspr_outcome_name(c->outcome), res.reason);
    assert_outcome(&res, rv, c->outcome, c->reason_has);
    ck_assert_msg(strstr(res.reason, server_authority(&srv)) != NULL, "reason %s", res.reason);
    ck_assert_int_eq(res.http_status, c->http_status);
    ck_assert_int_eq(srv.connections, 1); /* never a retry, never a followed redirect */
    ck_assert_int_eq(srv.requests, 1);
    ck_assert_int_eq(srv.mismatch, 0);
    ck_assert_str_eq(srv.connection, with_session ? "" : "close");
    if (c->body != NULL) {
        ck_assert_uint_eq(res.body_len, strlen(c->body));
        ck_assert_mem_eq(res.body, c->body, res.body_len);
    }
}
END_TEST

/* A header block of 200 kB on the wire: the transport stops reading at the
 * cap while the server is still sending. */
START_TEST(test_huge_header_line)
{
    char *line = apr_palloc(ocspr_test_pool, 200001);
    const char *reply;
    test_server_t srv;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_status_t rv;

    memset(line, 'a', 200000);
    memcpy(line, "X-Filler: ", 10);
    line[200000] = '\0';
    reply = apr_pstrcat(ocspr_test_pool, OK_HEAD, line, "\r\nContent-Length: 1\r\n\r\nx", NULL);
    script_reply(&srv, reply, strlen(reply));
    server_start(&srv);
    opts_for_tests(&opts);
    opts.max_headers = 4096;
    rv = fetch(&res, server_url(&srv, "/"), &opts);
    server_stop(&srv);
    assert_outcome(&res, rv, OCSPR_OUTCOME_OVERSIZE, "headers over 4096 bytes");
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
    started = ocspr_monotonic_now();
    rv = fetch(&res, server_url(&srv, "/"), &opts);
    elapsed = ocspr_monotonic_now() - started;
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
    started = ocspr_monotonic_now();
    rv = fetch(&res, server_url(&srv, "/"), &opts);
    elapsed = ocspr_monotonic_now() - started;
    apr_socket_close(filler);
    server_stop(&srv);

    assert_outcome(&res, rv, OCSPR_OUTCOME_TIMEOUT, "no answer within 500 ms");
    ck_assert_msg(strstr(res.reason, "127.0.0.1") != NULL, "reason %s", res.reason);
    ck_assert_int_ge(elapsed, apr_time_from_msec(500));
    ck_assert_int_lt(elapsed, apr_time_from_msec(2500));
}
END_TEST

/* ---- keep-alive ------------------------------------------------------------ */

static const char CLOSE_REPLY[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: 4\r\n"
    "Connection: close\r\n\r\nRESP";

static ocspr_http_session_t *new_session(apr_pool_t *p)
{
    ocspr_http_session_t *session = NULL;

    ck_assert_int_eq(ocspr_http_session_create(&session, p), APR_SUCCESS);
    ck_assert_ptr_nonnull(session);
    return session;
}

/* `n` fetches from url through one session, each of them OK. */
static void fetch_ok_times(const char *url, ocspr_http_session_t *session, int n)
{
    ocspr_http_opts_t opts;
    int i;

    opts_for_tests(&opts);
    opts.session = session;
    for (i = 0; i < n; i++) {
        ocspr_http_result_t res;
        apr_status_t rv = fetch(&res, url, &opts);

        ck_assert_msg(rv == APR_SUCCESS, "fetch %d: %s", i + 1, res.reason);
        assert_ok_reply(&res, rv);
    }
}

START_TEST(test_session_keeps_connection)
{
    test_server_t srv;

    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    srv.keep_alive = 1;
    server_start(&srv);
    fetch_ok_times(server_url(&srv, "/ocsp"), new_session(ocspr_test_pool), 3);
    server_stop(&srv);

    ck_assert_int_eq(srv.connections, 1);
    ck_assert_int_eq(srv.requests, 3);
    ck_assert_int_eq(srv.mismatch, 0);
    ck_assert_str_eq(srv.connection, ""); /* HTTP/1.1 persists unless told otherwise */
}
END_TEST

START_TEST(test_without_session_one_connection_each)
{
    test_server_t srv;

    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    srv.keep_alive = 1;
    server_start(&srv);
    fetch_ok_times(server_url(&srv, "/ocsp"), NULL, 2);
    server_stop(&srv);

    ck_assert_int_eq(srv.connections, 2);
    ck_assert_int_eq(srv.requests, 2);
    ck_assert_str_eq(srv.connection, "close");
}
END_TEST

START_TEST(test_session_server_says_close)
{
    test_server_t srv;

    script_reply(&srv, CLOSE_REPLY, strlen(CLOSE_REPLY));
    server_start(&srv);
    fetch_ok_times(server_url(&srv, "/ocsp"), new_session(ocspr_test_pool), 2);
    server_stop(&srv);

    ck_assert_int_eq(srv.connections, 2);
    ck_assert_int_eq(srv.requests, 2);
}
END_TEST

START_TEST(test_session_failure_not_kept)
{
    /* A framed 500 could in principle be skipped, but a failed exchange
     * always ends its connection: nothing of it is trusted. */
    static const char reply[] = "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n";
    ocspr_http_session_t *session = new_session(ocspr_test_pool);
    test_server_t srv;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    int i;

    script_reply(&srv, reply, strlen(reply));
    srv.keep_alive = 1;
    server_start(&srv);
    opts_for_tests(&opts);
    opts.session = session;
    for (i = 0; i < 2; i++) {
        apr_status_t rv = fetch(&res, server_url(&srv, "/"), &opts);

        assert_outcome(&res, rv, OCSPR_OUTCOME_HTTP_STATUS, "HTTP 500");
    }
    server_stop(&srv);
    ck_assert_int_eq(srv.connections, 2);
}
END_TEST

START_TEST(test_session_idle_connection_closed)
{
    /* The server closes each connection after its reply although the reply
     * lets it persist: the next request notices, and succeeds on a new one. */
    test_server_t srv;
    ocspr_http_session_t *session = new_session(ocspr_test_pool);

    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    server_start(&srv);
    fetch_ok_times(server_url(&srv, "/ocsp"), session, 1);
    apr_sleep(apr_time_from_msec(50));
    fetch_ok_times(server_url(&srv, "/ocsp"), session, 1);
    server_stop(&srv);

    ck_assert_int_eq(srv.connections, 2);
    ck_assert_int_eq(srv.requests, 2);
}
END_TEST

START_TEST(test_session_retry_after_drop)
{
    /* The server reads the second request on the kept connection and closes
     * it without an answer: the transport sends it once more, on a new
     * connection. */
    test_server_t srv;

    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    srv.keep_alive = 1;
    srv.drop_after = 1;
    server_start(&srv);
    fetch_ok_times(server_url(&srv, "/ocsp"), new_session(ocspr_test_pool), 2);
    server_stop(&srv);

    ck_assert_int_eq(srv.connections, 2);
    ck_assert_int_eq(srv.requests, 3);
}
END_TEST

START_TEST(test_session_per_peer)
{
    /* One connection is kept: to the responder of the last request. */
    ocspr_http_session_t *session = new_session(ocspr_test_pool);
    test_server_t a, b;

    script_reply(&a, OK_REPLY, strlen(OK_REPLY));
    a.keep_alive = 1;
    server_start(&a);
    script_reply(&b, OK_REPLY, strlen(OK_REPLY));
    b.keep_alive = 1;
    server_start(&b);
    fetch_ok_times(server_url(&a, "/a"), session, 2);
    fetch_ok_times(server_url(&b, "/b"), session, 1);
    fetch_ok_times(server_url(&a, "/a"), session, 1);
    server_stop(&a);
    server_stop(&b);

    ck_assert_int_eq(a.connections, 2);
    ck_assert_int_eq(a.requests, 3);
    ck_assert_int_eq(b.connections, 1);
}
END_TEST

START_TEST(test_session_through_proxy)
{
    /* Through a proxy the connection goes to the proxy: requests to two
     * responders share it. */
    ocspr_http_session_t *session = new_session(ocspr_test_pool);
    test_server_t srv;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_status_t rv;

    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    srv.keep_alive = 1;
    server_start(&srv);
    opts_for_tests(&opts);
    opts.session = session;
    opts.proxy_url = server_url(&srv, "");
    rv = fetch(&res, "http://ocsp-one.example.invalid/", &opts);
    assert_ok_reply(&res, rv);
    rv = fetch(&res, "http://ocsp-two.example.invalid/x", &opts);
    assert_ok_reply(&res, rv);
    server_stop(&srv);

    ck_assert_int_eq(srv.connections, 1);
    ck_assert_int_eq(srv.requests, 2);
    ck_assert_str_eq(srv.target, "http://ocsp-two.example.invalid/x");
}
END_TEST

START_TEST(test_session_pool_cleanup_closes)
{
    apr_pool_t *p;
    test_server_t srv;
    int i;

    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    srv.keep_alive = 1;
    server_start(&srv);
    ck_assert_int_eq(apr_pool_create(&p, ocspr_test_pool), APR_SUCCESS);
    fetch_ok_times(server_url(&srv, "/"), new_session(p), 1);
    ck_assert_uint_eq(apr_atomic_read32(&srv.client_closes), 0);
    apr_pool_destroy(p);
    for (i = 0; i < 250 && apr_atomic_read32(&srv.client_closes) == 0; i++) {
        apr_sleep(SERVER_TICK);
    }
    server_stop(&srv);
    ck_assert_uint_eq(apr_atomic_read32(&srv.client_closes), 1);
    ck_assert_int_eq(srv.connections, 1);
}
END_TEST

/* ---- cancellation ------------------------------------------------------------ */

/* The bound the brief of a stop sets: an abandoned fetch ends well within a
 * second of the cancel descriptor becoming readable, on a loaded machine. */
#define CANCEL_BOUND apr_time_from_sec(1)

typedef struct {
    int fd;                     /* write end */
    apr_interval_time_t after;
    apr_time_t written_at;      /* monotonic; read after the join */
    int wrote;
    apr_thread_t *thread;
} canceller_t;

static void *APR_THREAD_FUNC canceller_main(apr_thread_t *thread, void *data)
{
    canceller_t *c = data;

    apr_sleep(c->after);
    c->written_at = ocspr_monotonic_now();
    c->wrote = (int)write(c->fd, "x", 1);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

/* A pipe: fds[0] is what fetches watch. */
static void cancel_pipe(int fds[2])
{
    ck_assert_int_eq(pipe(fds), 0);
}

static void canceller_start(canceller_t *c, int fd, apr_interval_time_t after)
{
    c->fd = fd;
    c->after = after;
    c->written_at = 0;
    ck_assert_int_eq(apr_thread_create(&c->thread, NULL, canceller_main, c, ocspr_test_pool),
                     APR_SUCCESS);
}

static void canceller_join(canceller_t *c)
{
    apr_status_t thread_rv;

    apr_thread_join(&thread_rv, c->thread);
    ck_assert_int_eq(c->wrote, 1);
}

/* Still readable: the transport never drains the descriptor it watches. */
static void assert_still_readable(int fd)
{
    struct pollfd pfd = { fd, POLLIN, 0 };

    ck_assert_int_eq(poll(&pfd, 1, 0), 1);
    ck_assert(pfd.revents & POLLIN);
}

static void assert_cancelled_soon(const ocspr_http_result_t *res, apr_status_t rv,
                                  apr_time_t written_at, apr_time_t ended, const char *doing)
{
    assert_outcome(res, rv, OCSPR_OUTCOME_CANCELLED, "abandoned: the server is stopping");
    ck_assert_msg(strstr(res->reason, doing) != NULL, "reason \"%s\" lacks \"%s\"", res->reason,
                  doing);
    ck_assert_str_eq(ocspr_outcome_name(res->outcome), "cancelled");
    ck_assert_msg(ended - written_at < CANCEL_BOUND,
                  "ended %" APR_TIME_T_FMT " us after the cancellation", ended - written_at);
}

/* A fetch from a server answering OK_REPLY in `mode`, cancelled `after` it
 * started; checks that it ended soon after the cancellation, while reading
 * the response headers. The server has stopped on return; fds (the cancel
 * pipe) stay open for the caller's checks. */
static void fetch_cancelled_while_reading(ocspr_http_result_t *res, test_server_t *srv,
                                          serve_mode_t mode, apr_interval_time_t after, int fds[2])
{
    canceller_t c;
    ocspr_http_opts_t opts;
    apr_status_t rv;
    apr_time_t ended;

    cancel_pipe(fds);
    script_reply(srv, OK_REPLY, strlen(OK_REPLY));
    srv->mode = mode;
    server_start(srv);
    opts_for_tests(&opts);
    opts.cancel_fd = fds[0];
    canceller_start(&c, fds[1], after);
    rv = fetch(res, server_url(srv, "/"), &opts);
    ended = ocspr_monotonic_now();
    canceller_join(&c);
    server_stop(srv);
    assert_cancelled_soon(res, rv, c.written_at, ended, "reading the response headers");
}

START_TEST(test_cancel_while_waiting_for_answer)
{
    test_server_t srv;
    ocspr_http_result_t res;
    int fds[2];

    fetch_cancelled_while_reading(&res, &srv, SERVE_SILENT, apr_time_from_msec(300), fds);
    ck_assert_int_eq(srv.connections, 1);
    assert_still_readable(fds[0]);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

START_TEST(test_cancel_while_dripping)
{
    /* Bytes keep arriving, each wait is short: the cancellation still wins. */
    test_server_t srv;
    ocspr_http_result_t res;
    int fds[2];

    fetch_cancelled_while_reading(&res, &srv, SERVE_DRIP, apr_time_from_msec(1500), fds);
    ck_assert_int_eq(res.http_status, 0);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

START_TEST(test_cancel_while_connecting)
{
    /* A listener with a full accept queue drops SYNs: connect hangs. */
    test_server_t srv;
    apr_socket_t *filler;
    apr_sockaddr_t *sa;
    canceller_t c;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_status_t rv;
    apr_time_t ended;
    int fds[2];

    cancel_pipe(fds);
    memset(&srv, 0, sizeof(srv));
    ck_assert(server_listen(&srv, 0, 0));
    ck_assert_int_eq(apr_sockaddr_info_get(&sa, "127.0.0.1", APR_INET, srv.port, 0, srv.pool),
                     APR_SUCCESS);
    ck_assert_int_eq(apr_socket_create(&filler, APR_INET, SOCK_STREAM, APR_PROTO_TCP, srv.pool),
                     APR_SUCCESS);
    ck_assert_int_eq(apr_socket_connect(filler, sa), APR_SUCCESS);
    opts_for_tests(&opts);
    opts.cancel_fd = fds[0];
    canceller_start(&c, fds[1], apr_time_from_msec(300));
    rv = fetch(&res, server_url(&srv, "/"), &opts);
    ended = ocspr_monotonic_now();
    canceller_join(&c);
    apr_socket_close(filler);
    server_stop(&srv);

    assert_cancelled_soon(&res, rv, c.written_at, ended, "connecting to responder 127.0.0.1");
    close(fds[0]);
    close(fds[1]);
}
END_TEST

START_TEST(test_cancel_before_start)
{
    test_server_t srv;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_status_t rv;
    apr_time_t started;
    int fds[2];

    cancel_pipe(fds);
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    server_start(&srv);
    opts_for_tests(&opts);
    opts.cancel_fd = fds[0];
    opts.session = new_session(ocspr_test_pool);
    started = ocspr_monotonic_now();
    rv = fetch(&res, server_url(&srv, "/"), &opts);
    server_stop(&srv);

    assert_cancelled_soon(&res, rv, started, ocspr_monotonic_now(), "about to ask responder");
    ck_assert_int_eq(srv.connections, 0);
    assert_still_readable(fds[0]);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

typedef struct {
    const char *url;
    int cancel_fd;
    apr_pool_t *pool;
    apr_status_t rv;
    ocspr_outcome_t outcome;
    apr_time_t ended;
} watcher_t;

static void *APR_THREAD_FUNC watcher_main(apr_thread_t *thread, void *data)
{
    watcher_t *w = data;
    const unsigned char der[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;

    ocspr_http_opts_default(&opts);
    opts.cancel_fd = w->cancel_fd;
    w->rv = ocspr_http_fetch(NULL, &res, w->pool, w->url, der, sizeof(der), &opts);
    w->ended = ocspr_monotonic_now();
    w->outcome = res.outcome;
    apr_pool_destroy(w->pool);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

START_TEST(test_cancel_shared_by_threads)
{
    /* One stop pipe, several fetches in flight (one being answered slowly,
     * the others queued by the server): one byte ends them all. */
    watcher_t w[4];
    apr_thread_t *threads[4];
    test_server_t srv;
    canceller_t c;
    apr_status_t thread_rv;
    int fds[2], i;

    cancel_pipe(fds);
    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    srv.mode = SERVE_SILENT;
    server_start(&srv);
    for (i = 0; i < 4; i++) {
        w[i].url = server_url(&srv, "/");
        w[i].cancel_fd = fds[0];
        w[i].pool = private_pool();
        ck_assert_int_eq(apr_thread_create(&threads[i], NULL, watcher_main, &w[i],
                                           ocspr_test_pool), APR_SUCCESS);
    }
    canceller_start(&c, fds[1], apr_time_from_msec(400));
    for (i = 0; i < 4; i++) {
        apr_thread_join(&thread_rv, threads[i]);
    }
    canceller_join(&c);
    server_stop(&srv);
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(w[i].rv, OCSPR_EFETCH);
        ck_assert_int_eq(w[i].outcome, OCSPR_OUTCOME_CANCELLED);
        ck_assert_int_lt(w[i].ended - c.written_at, CANCEL_BOUND);
    }
    assert_still_readable(fds[0]);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

START_TEST(test_zeroed_opts_never_watch_stdin)
{
    /* Make stdin readable: a transport that watched descriptor 0 would
     * abandon this fetch. */
    test_server_t srv;
    ocspr_http_opts_t opts;
    ocspr_http_result_t res;
    apr_status_t rv;
    int fds[2], saved_stdin = dup(0), cancel_fd;

    ck_assert_int_ge(saved_stdin, 0);
    cancel_pipe(fds);
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    ck_assert_int_eq(dup2(fds[0], 0), 0);
    script_reply(&srv, OK_REPLY, strlen(OK_REPLY));
    srv.keep_alive = 1;
    server_start(&srv);
    for (cancel_fd = -7; cancel_fd <= 0; cancel_fd += 7) {
        memset(&opts, 0, sizeof(opts));
        opts.cancel_fd = cancel_fd;
        rv = fetch(&res, server_url(&srv, "/"), &opts);
        assert_ok_reply(&res, rv);
    }
    server_stop(&srv);
    ck_assert_int_eq(dup2(saved_stdin, 0), 0);
    close(saved_stdin);
    close(fds[0]);
    close(fds[1]);
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
    ck_assert_int_eq(opts.cancel_fd, -1);
    ck_assert_ptr_null(opts.session);
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
    tcase_add_loop_test(tc, test_socket_reply, 0, 2 * SOCKET_CASES);
    tcase_add_test(tc, test_huge_header_line);
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

    tc = network_tcase("keep-alive", 60);
    tcase_add_test(tc, test_session_keeps_connection);
    tcase_add_test(tc, test_without_session_one_connection_each);
    tcase_add_test(tc, test_session_server_says_close);
    tcase_add_test(tc, test_session_failure_not_kept);
    tcase_add_test(tc, test_session_idle_connection_closed);
    tcase_add_test(tc, test_session_retry_after_drop);
    tcase_add_test(tc, test_session_per_peer);
    tcase_add_test(tc, test_session_through_proxy);
    tcase_add_test(tc, test_session_pool_cleanup_closes);
    suite_add_tcase(s, tc);

    tc = network_tcase("cancel", 30);
    tcase_add_test(tc, test_cancel_while_waiting_for_answer);
    tcase_add_test(tc, test_cancel_while_dripping);
    tcase_add_test(tc, test_cancel_while_connecting);
    tcase_add_test(tc, test_cancel_before_start);
    tcase_add_test(tc, test_cancel_shared_by_threads);
    tcase_add_test(tc, test_zeroed_opts_never_watch_stdin);
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
