/* HTTP transport for OCSP requests: APR sockets, http:// only. The response
 * parser it feeds is in ocspr_http_parse.h. */
#ifndef OCSPR_HTTP_H
#define OCSPR_HTTP_H

#include "ocspr.h"

/* Connections kept open to a responder (or a proxy) between requests.
 * Opaque; made by ocspr_http_session_create. */
typedef struct ocspr_http_session_t ocspr_http_session_t;

typedef struct {
    apr_interval_time_t connect_timeout;  /* per connect() attempt */
    apr_interval_time_t total_timeout;    /* deadline for the whole exchange */
    apr_size_t max_body;                  /* cap on the response body */
    apr_size_t max_headers;               /* cap on the response header block */
    const char *proxy_url;                /* "http://host:port" or NULL */
    int use_get;                          /* use GET when the request is short enough */
    const char *user_agent;               /* NULL: a default */
    /* A descriptor that becomes readable when the exchange must be abandoned
     * (the read end of a stop pipe, an eventfd). Every wait watches it; it is
     * never read, so any number of fetches may watch the same one. Values
     * <= 0 mean none: 0 is stdin, which a zeroed struct must never watch. */
    int cancel_fd;
    /* NULL: one connection per request, with "Connection: close". */
    ocspr_http_session_t *session;
} ocspr_http_opts_t;

/* Defaults: connect 5 s, total 10 s, body 64 KiB, headers 16 KiB, POST only,
 * no cancel_fd (-1), no session. ocspr_http_fetch also uses these for any
 * timeout <= 0 or cap == 0 it is given, so an unset field can never mean
 * "wait forever" or "no limit". */
void ocspr_http_opts_default(ocspr_http_opts_t *opts);

/* A session keeps the connection of a request for the next one to the same
 * host:port (or through the same proxy): HTTP/1.1 keep-alive, when the
 * response allows it (HTTP/1.1, framed by Content-Length or chunked, no
 * "Connection: close") and it was a 200 with a complete body; any other
 * ending closes the connection. It holds at most one connection. A request
 * on a kept connection that fails before any byte of the response arrives
 * (the responder closed it while it was idle) is sent once more on a fresh
 * connection.
 * A session is used by one thread at a time (give each worker its own); it
 * allocates from its own allocator, so that thread need not own p. The
 * connection is closed when p is cleared or destroyed. */
apr_status_t ocspr_http_session_create(ocspr_http_session_t **ps, apr_pool_t *p);

typedef struct {
    ocspr_outcome_t outcome;         /* OCSPR_OUTCOME_OK when a 200 body arrived */
    const char *reason;              /* human-readable, specific; never NULL */
    int http_status;                 /* 0 when no status line was read */
    const char *content_type;        /* as sent, or NULL */
    const char *location;            /* Location of a redirect, or NULL */
    const char *method;              /* "GET" or "POST" */
    const unsigned char *body;       /* response body (OK only) */
    apr_size_t body_len;
    apr_interval_time_t latency;     /* time the exchange took (monotonic clock) */
} ocspr_http_result_t;

/* One exchange: send an OCSP request to url, fill res. Returns APR_SUCCESS
 * when res->outcome is OK, OCSPR_EFETCH otherwise (res says why). Strings and
 * the body are allocated from p; opts may be NULL for the defaults. */
typedef apr_status_t ocspr_http_fetch_fn(void *baton, ocspr_http_result_t *res, apr_pool_t *p,
                                         const char *url, const unsigned char *req_der,
                                         apr_size_t req_len, const ocspr_http_opts_t *opts);

/* The transport the engine uses; tests substitute their own. */
typedef struct {
    ocspr_http_fetch_fn *fetch;
    void *baton;
} ocspr_http_transport_t;

/* The real transport over APR sockets: IPv4/IPv6, Host header, connect
 * timeout and total deadline, Content-Length and chunked bodies, body read
 * to close when neither, size caps, HTTP proxy, no redirects followed,
 * https:// refused with OCSPR_OUTCOME_HTTPS, keep-alive with a session.
 *
 * Every address the name resolves to is tried in turn. The total deadline
 * (monotonic clock) bounds connect, send and receive (a server dripping
 * bytes cannot stretch it) but not name resolution, which getaddrinfo does
 * not let us bound. Cancellation cannot interrupt name resolution either: a
 * cancel_fd that becomes readable meanwhile ends the fetch (outcome
 * CANCELLED) as soon as the resolver returns; every other wait ends within
 * milliseconds of it.
 * A 200 with an empty body is OCSPR_OUTCOME_TRUNCATED: no OCSP response is
 * empty, and an empty body is what a cut connection usually looks like.
 * No global state: safe to call from several threads at once (with
 * distinct pools and sessions). Sends never raise SIGPIPE. */
apr_status_t ocspr_http_fetch(void *baton, ocspr_http_result_t *res, apr_pool_t *p,
                              const char *url, const unsigned char *req_der,
                              apr_size_t req_len, const ocspr_http_opts_t *opts);

extern const ocspr_http_transport_t ocspr_http_default_transport;

/* How a failed connect() is reported: refused, permission (SELinux or a
 * firewall), timeout, or unreachable for everything else. */
ocspr_outcome_t ocspr_http_connect_outcome(apr_status_t rv);

#endif /* OCSPR_HTTP_H */
