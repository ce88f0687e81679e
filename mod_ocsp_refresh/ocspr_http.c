/* ocspr_http.c: the HTTP transport for OCSP requests: name resolution,
 * connect, send and receive over APR sockets, deadlines on the monotonic
 * clock, cancellation, a proxy, and connections kept in a session. What the
 * bytes of the response mean is ocspr_http_parse.c's business.
 *
 * Sockets are non-blocking: every wait is one poll() over the socket and the
 * cancel descriptor, bounded by the exchange's deadline.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <apr_lib.h>
#include <apr_network_io.h>
#include <apr_portable.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "ocspr_http.h"
#include "ocspr_http_parse.h"
#include "ocspr_request.h"

#define HTTP_DEFAULT_PORT 80
#define OCSP_RESPONSE_TYPE "application/ocsp-response"
#define OCSP_REQUEST_TYPE "application/ocsp-request"
#define DEFAULT_USER_AGENT "mod_ocsp_refresh"

/* Bytes asked of the socket at a time. */
#define RECV_BLOCK 8192

typedef struct {
    int https;             /* scheme was https: the caller decides what that means */
    const char *host;      /* without IPv6 brackets */
    apr_port_t port;
    const char *authority; /* as in a Host header: [v6], ":port" unless 80 */
    const char *host_port; /* [v6] and always the port: for reasons */
    const char *target;    /* path and query, at least "/" */
} http_url_t;

/* One TCP connection. Its pool owns the socket: destroying the pool closes
 * it. Without a session the pool hangs off the call's scratch pool, with one
 * off the session's, so that a kept connection outlives the call. I/O goes
 * straight to the descriptor (send() needs MSG_NOSIGNAL). */
typedef struct {
    apr_pool_t *pool;
    int fd;
    int reused;            /* it came from the session, already used */
} http_conn_t;

struct ocspr_http_session_t {
    apr_pool_t *pool;      /* unmanaged, on its own allocator */
    http_conn_t kept;      /* kept.pool NULL: nothing kept */
    const char *kept_peer; /* "responder host:port" or "proxy host:port", in kept.pool */
};

typedef struct {
    ocspr_http_result_t *res;
    apr_pool_t *p;          /* the caller's: reason, strings and body of res */
    apr_pool_t *scratch;    /* everything else, destroyed when the call ends */
    const ocspr_http_opts_t *opts;
    apr_interval_time_t total_timeout;
    apr_interval_time_t connect_timeout;
    apr_time_t deadline;    /* monotonic */
    int cancel_fd;          /* -1: none */
    ocspr_http_session_t *session;
    const char *server;     /* "responder host:port [via proxy host:port]" */
    /* The connection failed before any byte of the response: on a reused
     * connection that is a responder that closed it while idle. */
    int lost_before_response;
} http_exchange_t;

/* Record why the exchange failed; callers return its result at once. */
#define fail(ex, ...) ocspr_http_fail((ex)->res, (ex)->p, __VA_ARGS__)

void ocspr_http_opts_default(ocspr_http_opts_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->connect_timeout = apr_time_from_sec(5);
    opts->total_timeout = apr_time_from_sec(10);
    opts->max_body = OCSPR_RESPONSE_MAX_SIZE;
    opts->max_headers = OCSPR_HTTP_MAX_HEADERS;
    opts->cancel_fd = -1;
}

static const char *error_text(apr_pool_t *p, apr_status_t rv)
{
    char buf[256];

    return apr_pstrdup(p, apr_strerror(rv, buf, sizeof(buf)));
}

static int is_visible_ascii(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* A decimal port 1..65535 (apr_uri_parse silently truncates larger ones). */
static int parse_port(apr_port_t *port, const char *s)
{
    unsigned long v = 0;

    if (*s == '\0' || strlen(s) > 5) {
        return 0;
    }
    for (; *s; s++) {
        if (!apr_isdigit(*s)) {
            return 0;
        }
        v = v * 10 + (unsigned long)(*s - '0');
    }
    if (v == 0 || v > 65535) {
        return 0;
    }
    *port = (apr_port_t)v;
    return 1;
}

/* Parse an http:// or https:// URL; `what` names it in reasons ("responder
 * URL", "proxy URL"). The URL comes from a certificate: nothing that could
 * split the request line or a header (spaces, controls) gets through. */
static apr_status_t parse_url(http_exchange_t *ex, http_url_t *out, const char *url,
                              const char *what)
{
    apr_uri_t uri;
    const char *shown;

    memset(out, 0, sizeof(*out));
    if (url == NULL || *url == '\0') {
        return fail(ex, OCSPR_OUTCOME_BAD_URL, "no %s given", what);
    }
    shown = ocspr_http_quote(ex->scratch, url, strlen(url));
    if (!is_visible_ascii(url)) {
        return fail(ex, OCSPR_OUTCOME_BAD_URL,
                    "%s \"%s\" contains spaces, control or non-ASCII characters", what, shown);
    }
    if (apr_uri_parse(ex->scratch, url, &uri) != APR_SUCCESS || uri.scheme == NULL) {
        return fail(ex, OCSPR_OUTCOME_BAD_URL, "%s \"%s\" is not an absolute URL", what, shown);
    }
    if (strcasecmp(uri.scheme, "https") == 0) {
        out->https = 1;
        return APR_SUCCESS;
    }
    if (strcasecmp(uri.scheme, "http") != 0) {
        return fail(ex, OCSPR_OUTCOME_BAD_URL,
                    "%s \"%s\" has scheme \"%s\": only http:// is supported", what, shown,
                    uri.scheme);
    }
    if (uri.hostname == NULL || *uri.hostname == '\0') {
        return fail(ex, OCSPR_OUTCOME_BAD_URL, "%s \"%s\" has no host", what, shown);
    }
    if (uri.user != NULL || uri.password != NULL) {
        return fail(ex, OCSPR_OUTCOME_BAD_URL,
                    "%s \"%s\" carries credentials, which are not supported", what, shown);
    }
    out->port = HTTP_DEFAULT_PORT;
    if (uri.port_str != NULL && *uri.port_str != '\0' && !parse_port(&out->port, uri.port_str)) {
        return fail(ex, OCSPR_OUTCOME_BAD_URL, "%s \"%s\" has an invalid port", what, shown);
    }
    out->host = uri.hostname;
    out->authority = strchr(uri.hostname, ':')
                         ? apr_pstrcat(ex->scratch, "[", uri.hostname, "]", NULL)
                         : uri.hostname;
    out->host_port = apr_psprintf(ex->scratch, "%s:%u", out->authority, (unsigned)out->port);
    if (out->port != HTTP_DEFAULT_PORT) {
        out->authority = out->host_port;
    }
    out->target = apr_pstrcat(ex->scratch, (uri.path && *uri.path) ? uri.path : "/",
                              uri.query ? "?" : "", uri.query ? uri.query : "", NULL);
    if (*out->target != '/') {
        return fail(ex, OCSPR_OUTCOME_BAD_URL, "%s \"%s\" has an invalid path", what, shown);
    }
    return APR_SUCCESS;
}

static const char *ms(apr_pool_t *p, apr_interval_time_t t)
{
    return apr_psprintf(p, "%" APR_TIME_T_FMT " ms", apr_time_as_msec(t));
}

static apr_status_t cancelled(http_exchange_t *ex, const char *doing)
{
    return fail(ex, OCSPR_OUTCOME_CANCELLED, "abandoned: the server is stopping (was %s)", doing);
}

/* Wait until fd is ready for `events`, the monotonic time `until` passes or
 * the cancel descriptor becomes readable (or hangs up, or is closed: a fetch
 * must never outlive its cancellation). APR_SUCCESS: ready, or in error (the
 * next operation says which); APR_TIMEUP: the caller words it; OCSPR_EFETCH:
 * cancelled, res says so. fd -1: only the cancel descriptor is watched. */
static apr_status_t wait_ready(http_exchange_t *ex, int fd, short events, apr_time_t until,
                               const char *doing)
{
    for (;;) {
        struct pollfd pfd[2];
        nfds_t n = 0, cancel_slot = 2;
        apr_interval_time_t left = until - ocspr_monotonic_now();
        int timeout_ms, ready;

        if (ex->cancel_fd >= 0) {
            pfd[n].fd = ex->cancel_fd;
            pfd[n].events = POLLIN;
            pfd[n].revents = 0;
            cancel_slot = n++;
        }
        if (fd >= 0) {
            pfd[n].fd = fd;
            pfd[n].events = events;
            pfd[n].revents = 0;
            n++;
        }
        /* Rounded up: poll() takes milliseconds, and would otherwise report
         * a timeout a fraction of a millisecond before the deadline. */
        timeout_ms = left <= 0 ? 0
                     : left >= (apr_interval_time_t)INT_MAX * 1000 ? INT_MAX
                     : (int)((left + 999) / 1000);
        ready = poll(pfd, n, timeout_ms);
        if (ready < 0 && errno != EINTR) {
            return fail(ex, OCSPR_OUTCOME_INTERNAL, "poll() failed while %s: %s", doing,
                        error_text(ex->scratch, APR_FROM_OS_ERROR(errno)));
        }
        if (ready > 0 && cancel_slot < n && pfd[cancel_slot].revents != 0) {
            return cancelled(ex, doing);
        }
        if (ready > 0) {
            return APR_SUCCESS;
        }
        if (ready == 0 && left <= 0) {
            return APR_TIMEUP;
        }
    }
}

/* Cancelled before anything started, or during name resolution. */
static apr_status_t check_cancelled(http_exchange_t *ex, const char *doing)
{
    apr_status_t rv = wait_ready(ex, -1, 0, 0, doing);

    return rv == APR_TIMEUP ? APR_SUCCESS : rv;
}

ocspr_outcome_t ocspr_http_connect_outcome(apr_status_t rv)
{
    if (APR_STATUS_IS_ECONNREFUSED(rv)) {
        return OCSPR_OUTCOME_REFUSED;
    }
    if (APR_STATUS_IS_EACCES(rv) || rv == APR_FROM_OS_ERROR(EPERM)) {
        return OCSPR_OUTCOME_PERMISSION;
    }
    if (APR_STATUS_IS_TIMEUP(rv) || APR_STATUS_IS_ETIMEDOUT(rv)) {
        return OCSPR_OUTCOME_TIMEOUT;
    }
    return OCSPR_OUTCOME_UNREACHABLE;
}

/* When a name has several addresses and all fail, report the failure an
 * admin can act on: a dual-stack name on a host without IPv6 routing fails
 * "unreachable" on its IPv6 addresses, which must not hide the refusal or
 * SELinux denial on the IPv4 one. */
static int connect_outcome_rank(ocspr_outcome_t outcome)
{
    switch (outcome) {
    case OCSPR_OUTCOME_PERMISSION:
        return 4;
    case OCSPR_OUTCOME_REFUSED:
        return 3;
    case OCSPR_OUTCOME_TIMEOUT:
        return 2;
    default:
        return 1;
    }
}

static void conn_close(http_conn_t *conn)
{
    if (conn->pool != NULL) {
        apr_pool_destroy(conn->pool);
    }
    memset(conn, 0, sizeof(*conn));
    conn->fd = -1;
}

/* One non-blocking connect to sa, waiting at most `wait`. APR_SUCCESS with
 * conn open; OCSPR_EFETCH when cancelled; any other status is the connect
 * error (APR_TIMEUP for no answer in time). */
static apr_status_t connect_one(http_exchange_t *ex, http_conn_t *conn, apr_sockaddr_t *sa,
                                apr_interval_time_t wait, const char *doing)
{
    apr_socket_t *sock;
    apr_os_sock_t fd;
    apr_status_t rv;

    rv = apr_pool_create(&conn->pool, ex->session ? ex->session->pool : ex->scratch);
    if (rv != APR_SUCCESS) {
        conn->pool = NULL;
        return rv;
    }
    /* Timeout 0: a non-blocking socket; every wait is wait_ready's. */
    if ((rv = apr_socket_create(&sock, sa->family, SOCK_STREAM, APR_PROTO_TCP, conn->pool))
            != APR_SUCCESS
        || (rv = apr_socket_timeout_set(sock, 0)) != APR_SUCCESS
        || (rv = apr_os_sock_get(&fd, sock)) != APR_SUCCESS) {
        conn_close(conn);
        return rv;
    }
    conn->fd = fd;
    rv = apr_socket_connect(sock, sa);
    if (APR_STATUS_IS_EINPROGRESS(rv)) {
        int err = 0;
        socklen_t len = sizeof(err);

        rv = wait_ready(ex, conn->fd, POLLOUT, ocspr_monotonic_now() + wait, doing);
        if (rv == APR_SUCCESS) {
            rv = getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0
                     ? APR_FROM_OS_ERROR(errno) : APR_FROM_OS_ERROR(err);
        }
    }
    if (rv != APR_SUCCESS) {
        conn_close(conn);
    }
    return rv;
}

/* Connect to some address of the peer, trying each in turn. */
static apr_status_t connect_any(http_exchange_t *ex, http_conn_t *conn, const http_url_t *peer,
                                const char *role)
{
    const char *doing = apr_psprintf(ex->scratch, "connecting to %s %s", role, peer->host_port);
    apr_sockaddr_t *addrs, *sa;
    ocspr_outcome_t reported = OCSPR_OUTCOME_UNREACHABLE;
    const char *attempts = "";
    apr_status_t rv;

    rv = apr_sockaddr_info_get(&addrs, peer->host, APR_UNSPEC, peer->port, 0, ex->scratch);
    if (rv != APR_SUCCESS) {
        return fail(ex, OCSPR_OUTCOME_DNS, "cannot resolve %s host name \"%s\": %s", role,
                    peer->host, error_text(ex->scratch, rv));
    }
    if ((rv = check_cancelled(ex, doing)) != APR_SUCCESS) {
        return rv;
    }
    for (sa = addrs; sa != NULL; sa = sa->next) {
        apr_interval_time_t left = ex->deadline - ocspr_monotonic_now();
        apr_interval_time_t wait = left < ex->connect_timeout ? left : ex->connect_timeout;
        ocspr_outcome_t outcome;
        char *ip = NULL;

        if (left <= 0) {
            return fail(ex, OCSPR_OUTCOME_TIMEOUT,
                        "deadline of %s passed while connecting to %s %s%s%s%s",
                        ms(ex->scratch, ex->total_timeout), role, peer->host_port,
                        *attempts ? " (" : "", attempts, *attempts ? ")" : "");
        }
        apr_sockaddr_ip_get(&ip, sa);
        rv = connect_one(ex, conn, sa, wait, doing);
        if (rv == APR_SUCCESS || rv == OCSPR_EFETCH) {
            return rv;
        }
        outcome = ocspr_http_connect_outcome(rv);
        attempts = apr_psprintf(ex->scratch, "%s%s%s%s%s: %s", attempts, *attempts ? "; " : "",
                                sa->family == APR_INET ? "" : "[", ip,
                                sa->family == APR_INET ? "" : "]",
                                outcome == OCSPR_OUTCOME_TIMEOUT
                                    ? apr_pstrcat(ex->scratch, "no answer within ",
                                                  ms(ex->scratch, wait), NULL)
                                    : error_text(ex->scratch, rv));
        if (connect_outcome_rank(outcome) > connect_outcome_rank(reported)) {
            reported = outcome;
        }
    }
    if (reported == OCSPR_OUTCOME_PERMISSION) {
        return fail(ex, reported,
                    "connect to %s %s not permitted (%s); on SELinux systems allow it with "
                    "`setsebool -P httpd_can_network_connect 1`; otherwise check the firewall "
                    "rules for outgoing connections",
                    role, peer->host_port, attempts);
    }
    return fail(ex, reported, "connect to %s %s failed (%s)", role, peer->host_port, attempts);
}

/* ---- the session ---------------------------------------------------------- */

static apr_status_t session_cleanup(void *data)
{
    ocspr_http_session_t *s = data;

    apr_pool_destroy(s->pool);
    return APR_SUCCESS;
}

apr_status_t ocspr_http_session_create(ocspr_http_session_t **ps, apr_pool_t *p)
{
    ocspr_http_session_t *s = apr_pcalloc(p, sizeof(*s));
    apr_status_t rv;

    *ps = NULL;
    if ((rv = apr_pool_create_unmanaged_ex(&s->pool, NULL, NULL)) != APR_SUCCESS) {
        return rv;
    }
    s->kept.fd = -1;
    apr_pool_cleanup_register(p, s, session_cleanup, apr_pool_cleanup_null);
    *ps = s;
    return APR_SUCCESS;
}

/* The session's connection, when it goes to `peer` and is still quiet: a
 * kept connection that is readable has been closed by the responder (or
 * carries bytes nobody asked for) and is not worth a request. */
static int session_take(http_exchange_t *ex, http_conn_t *conn, const char *peer)
{
    ocspr_http_session_t *s = ex->session;
    struct pollfd pfd;

    if (s == NULL || s->kept.pool == NULL) {
        return 0;
    }
    pfd.fd = s->kept.fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    if (strcmp(s->kept_peer, peer) != 0 || poll(&pfd, 1, 0) != 0) {
        conn_close(&s->kept);
        return 0;
    }
    *conn = s->kept;
    conn->reused = 1;
    memset(&s->kept, 0, sizeof(s->kept));
    s->kept.fd = -1;
    return 1;
}

/* After the exchange: keep the connection in the session, or close it. */
static void conn_release(http_exchange_t *ex, http_conn_t *conn, const char *peer, int keep)
{
    ocspr_http_session_t *s = ex->session;

    if (!keep || s == NULL) {
        conn_close(conn);
        return;
    }
    conn_close(&s->kept);
    s->kept = *conn;
    s->kept_peer = apr_pstrdup(conn->pool, peer);
    memset(conn, 0, sizeof(*conn));
    conn->fd = -1;
}

/* ---- one request on one connection ---------------------------------------- */

static apr_status_t send_all(http_exchange_t *ex, http_conn_t *conn, const char *data,
                             apr_size_t len)
{
    const char *doing = apr_pstrcat(ex->scratch, "sending the request to ", ex->server, NULL);
    apr_size_t done = 0;

    while (done < len) {
        /* MSG_NOSIGNAL: a kept connection the responder has closed must not
         * raise SIGPIPE. */
        ssize_t n = send(conn->fd, data + done, len - done, MSG_NOSIGNAL);
        apr_status_t rv;

        if (n >= 0) {
            done += (apr_size_t)n;
            continue;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            ex->lost_before_response = 1;
            return fail(ex, OCSPR_OUTCOME_TRUNCATED,
                        "connection to %s lost while sending the request: %s", ex->server,
                        error_text(ex->scratch, APR_FROM_OS_ERROR(errno)));
        }
        rv = wait_ready(ex, conn->fd, POLLOUT, ex->deadline, doing);
        if (rv == APR_TIMEUP) {
            return fail(ex, OCSPR_OUTCOME_TIMEOUT,
                        "deadline of %s passed while sending the request (%s)",
                        ms(ex->scratch, ex->total_timeout), ex->server);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

static apr_status_t read_timeout(http_exchange_t *ex, ocspr_http_parser_t *ps)
{
    return fail(ex, OCSPR_OUTCOME_TIMEOUT, "deadline of %s passed while reading the %s (%s)",
                ms(ex->scratch, ex->total_timeout), ocspr_http_parser_expecting(ps), ex->server);
}

/* Receive until the parser has the whole response or gives up. */
static apr_status_t receive(http_exchange_t *ex, http_conn_t *conn, ocspr_http_parser_t *ps)
{
    char *buf = apr_palloc(ex->scratch, RECV_BLOCK);
    apr_size_t received = 0;

    for (;;) {
        ssize_t n;
        apr_status_t rv;

        if (ocspr_monotonic_now() >= ex->deadline) {
            return read_timeout(ex, ps);
        }
        n = recv(conn->fd, buf, RECV_BLOCK, 0);
        if (n > 0) {
            received += (apr_size_t)n;
            rv = ocspr_http_parser_feed(ps, buf, (apr_size_t)n);
            if (rv != APR_INCOMPLETE) {
                return rv;
            }
            continue;
        }
        if (n == 0) {
            ex->lost_before_response = received == 0;
            return ocspr_http_parser_eof(ps);
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            ex->lost_before_response = received == 0;
            return fail(ex, OCSPR_OUTCOME_TRUNCATED,
                        "connection to %s failed while reading the %s: %s", ex->server,
                        ocspr_http_parser_expecting(ps),
                        error_text(ex->scratch, APR_FROM_OS_ERROR(errno)));
        }
        rv = wait_ready(ex, conn->fd, POLLIN, ex->deadline,
                        apr_pstrcat(ex->scratch, "reading the ", ocspr_http_parser_expecting(ps),
                                    " from ", ex->server, NULL));
        if (rv == APR_TIMEUP) {
            return read_timeout(ex, ps);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
}

static const char *build_request(http_exchange_t *ex, const char *method, const char *target,
                                 const http_url_t *responder, apr_size_t body_len)
{
    const char *user_agent = ex->opts->user_agent;
    const char *ua = user_agent ? ocspr_http_quote(ex->scratch, user_agent, strlen(user_agent))
                                : DEFAULT_USER_AGENT;
    const char *content = body_len == 0 ? ""
        : apr_psprintf(ex->scratch, "Content-Type: " OCSP_REQUEST_TYPE "\r\n"
                       "Content-Length: %" APR_SIZE_T_FMT "\r\n", body_len);

    /* HTTP/1.1 connections persist unless one side says otherwise. */
    return apr_psprintf(ex->scratch,
                        "%s %s HTTP/1.1\r\n"
                        "Host: %s\r\n"
                        "User-Agent: %s\r\n"
                        "Accept: " OCSP_RESPONSE_TYPE "\r\n"
                        "%s"
                        "%s"
                        "\r\n",
                        method, target, responder->authority, ua, content,
                        ex->session ? "" : "Connection: close\r\n");
}

/* Send the request on conn and read the answer into ex->res. *reusable says
 * whether conn may carry another request. */
static apr_status_t request_once(http_exchange_t *ex, http_conn_t *conn, const char *head,
                                 const unsigned char *body, apr_size_t body_len, int *reusable)
{
    ocspr_http_parser_t *ps;
    apr_status_t rv;

    *reusable = 0;
    ex->lost_before_response = 0;
    ps = ocspr_http_parser_create(ex->res, ex->p, ex->scratch, ex->opts->max_body,
                                  ex->opts->max_headers, ex->server);
    if ((rv = send_all(ex, conn, head, strlen(head))) != APR_SUCCESS
        || (body_len && (rv = send_all(ex, conn, (const char *)body, body_len)) != APR_SUCCESS)
        || (rv = receive(ex, conn, ps)) != APR_SUCCESS) {
        return rv;
    }
    *reusable = ocspr_http_parser_reusable(ps);
    return APR_SUCCESS;
}

/* The request on a kept connection when the session has one for this peer,
 * else on a new one; once more on a new one when a kept connection turns
 * out to have been closed by the responder. */
static apr_status_t request(http_exchange_t *ex, const http_url_t *peer, const char *role,
                            const char *head, const unsigned char *body, apr_size_t body_len)
{
    const char *peer_key = apr_pstrcat(ex->scratch, role, " ", peer->host_port, NULL);
    apr_status_t rv;

    for (;;) {
        http_conn_t conn;
        int reusable, retry;

        memset(&conn, 0, sizeof(conn));
        conn.fd = -1;
        if (!session_take(ex, &conn, peer_key)
            && (rv = connect_any(ex, &conn, peer, role)) != APR_SUCCESS) {
            return rv;
        }
        rv = request_once(ex, &conn, head, body, body_len, &reusable);
        retry = rv != APR_SUCCESS && conn.reused && ex->lost_before_response;
        conn_release(ex, &conn, peer_key, rv == APR_SUCCESS && reusable);
        if (!retry) {
            return rv;
        }
    }
}

static apr_status_t exchange(http_exchange_t *ex, const char *url, const unsigned char *req_der,
                             apr_size_t req_len)
{
    const ocspr_http_opts_t *opts = ex->opts;
    http_url_t responder, proxy;
    const http_url_t *peer = &responder;
    const char *get_url = NULL, *head, *target;
    apr_status_t rv;

    if ((rv = parse_url(ex, &responder, url, "responder URL")) != APR_SUCCESS) {
        return rv;
    }
    if (responder.https) {
        return fail(ex, OCSPR_OUTCOME_HTTPS,
                    "responder URL %s uses https://, but mod_ocsp_refresh fetches OCSP "
                    "responses over plain HTTP, as RFC 6960 intends (the responses are signed)",
                    ocspr_http_quote(ex->scratch, url, strlen(url)));
    }
    if (req_der == NULL || req_len == 0) {
        return fail(ex, OCSPR_OUTCOME_INTERNAL, "empty OCSP request for %s", url);
    }
    if (opts->use_get) {
        get_url = ocspr_request_get_url(ex->scratch, url, req_der, req_len);
    }
    if (get_url != NULL) {
        ex->res->method = "GET";
        if ((rv = parse_url(ex, &responder, get_url, "GET URL")) != APR_SUCCESS) {
            return rv;
        }
    }
    target = responder.target;
    ex->server = apr_pstrcat(ex->scratch, "responder ", responder.host_port, NULL);
    if (opts->proxy_url != NULL) {
        if ((rv = parse_url(ex, &proxy, opts->proxy_url, "proxy URL")) != APR_SUCCESS) {
            return rv;
        }
        if (proxy.https) {
            return fail(ex, OCSPR_OUTCOME_BAD_URL, "proxy URL %s: only http:// proxies are "
                        "supported", ocspr_http_quote(ex->scratch, opts->proxy_url,
                                                      strlen(opts->proxy_url)));
        }
        peer = &proxy;
        /* A proxy wants the absolute URI (RFC 9112 3.2.2). */
        target = apr_pstrcat(ex->scratch, "http://", responder.authority, responder.target,
                             NULL);
        ex->server = apr_pstrcat(ex->scratch, ex->server, " via proxy ", proxy.host_port, NULL);
    }
    if ((rv = check_cancelled(ex, apr_pstrcat(ex->scratch, "about to ask ", ex->server, NULL)))
        != APR_SUCCESS) {
        return rv;
    }
    head = build_request(ex, ex->res->method, target, &responder, get_url ? 0 : req_len);
    return request(ex, peer, peer == &proxy ? "proxy" : "responder", head,
                   get_url ? NULL : req_der, get_url ? 0 : req_len);
}

apr_status_t ocspr_http_fetch(void *baton, ocspr_http_result_t *res, apr_pool_t *p,
                              const char *url, const unsigned char *req_der,
                              apr_size_t req_len, const ocspr_http_opts_t *opts)
{
    ocspr_http_opts_t defaults;
    http_exchange_t ex;
    apr_time_t start = ocspr_monotonic_now();
    apr_status_t rv;

    memset(res, 0, sizeof(*res));
    res->method = "POST";
    ocspr_http_opts_default(&defaults);
    if (opts == NULL) {
        opts = &defaults;
    }
    memset(&ex, 0, sizeof(ex));
    ex.res = res;
    ex.p = p;
    ex.opts = opts;
    ex.total_timeout = opts->total_timeout > 0 ? opts->total_timeout : defaults.total_timeout;
    ex.connect_timeout = opts->connect_timeout > 0 ? opts->connect_timeout
                                                   : defaults.connect_timeout;
    ex.deadline = start + ex.total_timeout;
    ex.cancel_fd = opts->cancel_fd > 0 ? opts->cancel_fd : -1;
    ex.session = opts->session;
    ex.server = "responder";

    if (apr_pool_create(&ex.scratch, p) != APR_SUCCESS) {
        rv = fail(&ex, OCSPR_OUTCOME_INTERNAL, "cannot create a memory pool");
    }
    else {
        rv = exchange(&ex, url, req_der, req_len);
        apr_pool_destroy(ex.scratch);
    }
    res->latency = ocspr_monotonic_now() - start;
    return rv;
}

const ocspr_http_transport_t ocspr_http_default_transport = { ocspr_http_fetch, NULL };
