/* HTTP transport for OCSP requests: APR sockets, http:// only. */
#ifndef OCSPR_HTTP_H
#define OCSPR_HTTP_H

#include "ocspr.h"

typedef struct {
    apr_interval_time_t connect_timeout;  /* per connect() attempt */
    apr_interval_time_t total_timeout;    /* deadline for the whole exchange */
    apr_size_t max_body;                  /* cap on the response body */
    apr_size_t max_headers;               /* cap on the response header block */
    const char *proxy_url;                /* "http://host:port" or NULL */
    int use_get;                          /* use GET when the request is short enough */
    const char *user_agent;               /* NULL: a default */
} ocspr_http_opts_t;

/* Defaults: connect 5 s, total 10 s, body 64 KiB, headers 16 KiB, POST only.
 * ocspr_http_fetch also uses these for any timeout <= 0 or cap == 0 it is
 * given, so an unset field can never mean "wait forever" or "no limit". */
void ocspr_http_opts_default(ocspr_http_opts_t *opts);

typedef struct {
    ocspr_outcome_t outcome;         /* OCSPR_OUTCOME_OK when a 200 body arrived */
    const char *reason;              /* human-readable, specific; never NULL */
    int http_status;                 /* 0 when no status line was read */
    const char *content_type;        /* as sent, or NULL */
    const char *location;            /* Location of a redirect, or NULL */
    const char *method;              /* "GET" or "POST" */
    const unsigned char *body;       /* response body (OK only) */
    apr_size_t body_len;
    apr_interval_time_t latency;     /* wall time of the exchange */
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
 * https:// refused with OCSPR_OUTCOME_HTTPS.
 *
 * Every address the name resolves to is tried in turn. The total deadline
 * bounds connect, send and receive (a server dripping bytes cannot stretch
 * it) but not name resolution, which getaddrinfo does not let us bound.
 * A 200 with an empty body is OCSPR_OUTCOME_TRUNCATED: no OCSP response is
 * empty, and an empty body is what a cut connection usually looks like.
 * No global state: safe to call from several threads at once (with
 * distinct pools). Writing to a peer that has closed raises SIGPIPE, which
 * httpd ignores; other programs using the core must ignore it too. */
apr_status_t ocspr_http_fetch(void *baton, ocspr_http_result_t *res, apr_pool_t *p,
                              const char *url, const unsigned char *req_der,
                              apr_size_t req_len, const ocspr_http_opts_t *opts);

extern const ocspr_http_transport_t ocspr_http_default_transport;

/* How a failed connect() is reported: refused, permission (SELinux or a
 * firewall), timeout, or unreachable for everything else. */
ocspr_outcome_t ocspr_http_connect_outcome(apr_status_t rv);

#endif /* OCSPR_HTTP_H */
