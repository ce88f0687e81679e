/* ocspr_http.c: the HTTP transport for OCSP requests over APR sockets.
 *
 * Everything the responder (or the network) sends is hostile: lines, header
 * blocks and bodies are read against caps, lengths are overflow-checked, and
 * every socket operation waits at most until the exchange's deadline.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <apr_lib.h>
#include <apr_network_io.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "ocspr_http.h"
#include "ocspr_request.h"

#define HTTP_DEFAULT_PORT 80
#define OCSP_RESPONSE_TYPE "application/ocsp-response"
#define OCSP_REQUEST_TYPE "application/ocsp-request"
#define DEFAULT_USER_AGENT "mod_ocsp_refresh"

/* A chunk-size line holds a hex number and an optional extension: no honest
 * server needs 1 KiB for that, and the cap stops an endless line. */
#define CHUNK_LINE_MAX 1024
/* Bytes asked of the socket at a time (also the least receive buffer). */
#define RECV_BLOCK 8192
/* How much of a server-supplied string a reason quotes. */
#define QUOTE_MAX 120

typedef struct {
    int https;             /* scheme was https: the caller decides what that means */
    const char *host;      /* without IPv6 brackets */
    apr_port_t port;
    const char *authority; /* as in a Host header: [v6], ":port" unless 80 */
    const char *host_port; /* [v6] and always the port: for reasons */
    const char *target;    /* path and query, at least "/" */
} http_url_t;

typedef struct {
    int status;
    const char *phrase;
    int chunked;
    int has_length;
    apr_uint64_t length;
} http_head_t;

typedef struct {
    unsigned char *data;
    apr_size_t len;
    apr_size_t cap;
} body_buf_t;

typedef struct {
    ocspr_http_result_t *res;
    apr_pool_t *p;          /* the caller's: reason, strings and body of res */
    apr_pool_t *scratch;    /* everything else, destroyed when the call ends */
    apr_interval_time_t total_timeout;
    apr_interval_time_t connect_timeout;
    apr_size_t max_body;
    apr_size_t max_headers;
    apr_time_t deadline;
    apr_socket_t *sock;
    const char *server;     /* "responder host:port [via proxy host:port]" */
    char *buf;              /* receive buffer: [start, end) not yet consumed */
    apr_size_t buf_cap;
    apr_size_t start;
    apr_size_t end;
    apr_size_t received;    /* bytes received in all */
} http_exchange_t;

void ocspr_http_opts_default(ocspr_http_opts_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->connect_timeout = apr_time_from_sec(5);
    opts->total_timeout = apr_time_from_sec(10);
    opts->max_body = OCSPR_RESPONSE_MAX_SIZE;
    opts->max_headers = 16 * 1024;
}

static apr_status_t fail(http_exchange_t *ex, ocspr_outcome_t outcome, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Record why the exchange failed; callers return its result at once. */
static apr_status_t fail(http_exchange_t *ex, ocspr_outcome_t outcome, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ex->res->reason = apr_pvsprintf(ex->p, fmt, ap);
    va_end(ap);
    ex->res->outcome = outcome;
    return OCSPR_EFETCH;
}

/* A server-supplied string made safe to quote in a log line: printable ASCII
 * only, and not too long. */
static const char *quote(apr_pool_t *p, const char *s, apr_size_t len)
{
    apr_size_t n = len > QUOTE_MAX ? QUOTE_MAX : len;
    char *out = apr_palloc(p, n + 4);
    apr_size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    strcpy(out + n, len > n ? "..." : "");
    return out;
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
    shown = quote(ex->scratch, url, strlen(url));
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

/* Time left before the deadline, 0 when it has passed. Rounded up to whole
 * milliseconds: APR's poll truncates to milliseconds, and would otherwise
 * report a timeout a fraction of a millisecond before the deadline. */
static apr_interval_time_t time_left(const http_exchange_t *ex)
{
    apr_interval_time_t left = ex->deadline - apr_time_now();

    return left <= 0 ? 0 : (left + 999) / 1000 * 1000;
}

static const char *ms(apr_pool_t *p, apr_interval_time_t t)
{
    return apr_psprintf(p, "%" APR_TIME_T_FMT " ms", apr_time_as_msec(t));
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

/* Connect ex->sock to some address of the peer, trying each in turn. */
static apr_status_t connect_any(http_exchange_t *ex, const http_url_t *peer, const char *role)
{
    apr_sockaddr_t *addrs, *sa;
    ocspr_outcome_t reported = OCSPR_OUTCOME_UNREACHABLE;
    const char *attempts = "";
    apr_status_t rv;

    rv = apr_sockaddr_info_get(&addrs, peer->host, APR_UNSPEC, peer->port, 0, ex->scratch);
    if (rv != APR_SUCCESS) {
        return fail(ex, OCSPR_OUTCOME_DNS, "cannot resolve %s host name \"%s\": %s", role,
                    peer->host, error_text(ex->scratch, rv));
    }
    for (sa = addrs; sa != NULL; sa = sa->next) {
        apr_interval_time_t left = time_left(ex);
        apr_interval_time_t wait = left < ex->connect_timeout ? left : ex->connect_timeout;
        ocspr_outcome_t outcome;
        apr_socket_t *s;
        char *ip = NULL;

        if (left == 0) {
            return fail(ex, OCSPR_OUTCOME_TIMEOUT,
                        "deadline of %s passed while connecting to %s %s%s%s%s",
                        ms(ex->scratch, ex->total_timeout), role, peer->host_port,
                        *attempts ? " (" : "", attempts, *attempts ? ")" : "");
        }
        apr_sockaddr_ip_get(&ip, sa);
        rv = apr_socket_create(&s, sa->family, SOCK_STREAM, APR_PROTO_TCP, ex->scratch);
        if (rv == APR_SUCCESS) {
            /* A positive timeout makes APR connect non-blocking and poll. */
            apr_socket_timeout_set(s, wait);
            rv = apr_socket_connect(s, sa);
            if (rv == APR_SUCCESS) {
                ex->sock = s;
                return APR_SUCCESS;
            }
            apr_socket_close(s);
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

/* Arm the socket for one operation: it may wait only until the deadline. */
static apr_status_t arm(http_exchange_t *ex, const char *doing, const char *what)
{
    apr_interval_time_t left = time_left(ex);

    if (left == 0) {
        return fail(ex, OCSPR_OUTCOME_TIMEOUT, "deadline of %s passed while %s %s (%s)",
                    ms(ex->scratch, ex->total_timeout), doing, what, ex->server);
    }
    apr_socket_timeout_set(ex->sock, left);
    return APR_SUCCESS;
}

static apr_status_t send_all(http_exchange_t *ex, const char *data, apr_size_t len)
{
    apr_size_t done = 0;

    while (done < len) {
        apr_size_t n = len - done;
        apr_status_t rv = arm(ex, "sending", "the request");

        if (rv != APR_SUCCESS) {
            return rv;
        }
        rv = apr_socket_send(ex->sock, data + done, &n);
        done += n;
        if (APR_STATUS_IS_TIMEUP(rv)) {
            continue; /* arm() reports the deadline */
        }
        if (rv != APR_SUCCESS) {
            return fail(ex, OCSPR_OUTCOME_TRUNCATED,
                        "connection to %s lost while sending the request: %s", ex->server,
                        error_text(ex->scratch, rv));
        }
    }
    return APR_SUCCESS;
}

/* Receive more bytes into the buffer. APR_EOF (not a failure yet: the caller
 * knows whether a close was expected) when the peer has closed. */
static apr_status_t fill(http_exchange_t *ex, const char *reading)
{
    for (;;) {
        apr_size_t n;
        apr_status_t rv;

        if (ex->end == ex->buf_cap) {
            memmove(ex->buf, ex->buf + ex->start, ex->end - ex->start);
            ex->end -= ex->start;
            ex->start = 0;
        }
        rv = arm(ex, "reading the", reading);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        n = ex->buf_cap - ex->end;
        rv = apr_socket_recv(ex->sock, ex->buf + ex->end, &n);
        ex->end += n;
        ex->received += n;
        if (n > 0) {
            return APR_SUCCESS;
        }
        if (rv == APR_EOF) {
            return APR_EOF;
        }
        if (!APR_STATUS_IS_TIMEUP(rv)) {
            return fail(ex, OCSPR_OUTCOME_TRUNCATED,
                        "connection to %s failed while reading the %s: %s", ex->server, reading,
                        error_text(ex->scratch, rv));
        }
    }
}

static apr_status_t closed_early(http_exchange_t *ex, const char *reading)
{
    if (ex->received == 0) {
        return fail(ex, OCSPR_OUTCOME_TRUNCATED,
                    "%s closed the connection without sending a response", ex->server);
    }
    return fail(ex, OCSPR_OUTCOME_TRUNCATED, "%s closed the connection in the %s",
                ex->server, reading);
}

/* The next line (CRLF or bare LF stripped), at most `limit` bytes with its
 * terminator, counted in *consumed. The line stays valid until the next
 * read. APR_ENOSPC when it is longer: what that means depends on the caller. */
static apr_status_t read_line(http_exchange_t *ex, char **pline, apr_size_t *consumed,
                              apr_size_t limit, const char *reading)
{
    for (;;) {
        char *line = ex->buf + ex->start;
        apr_size_t avail = ex->end - ex->start;
        char *nl = memchr(line, '\n', avail < limit ? avail : limit);
        apr_status_t rv;

        if (nl != NULL) {
            char *c;

            *consumed = (apr_size_t)(nl - line) + 1;
            ex->start += *consumed;
            if (nl > line && nl[-1] == '\r') {
                nl--;
            }
            *nl = '\0';
            for (c = line; c < nl; c++) {
                if (apr_iscntrl(*c) && *c != '\t') {
                    return fail(ex, OCSPR_OUTCOME_PROTOCOL,
                                "control character in the %s from %s: \"%s\"", reading,
                                ex->server, quote(ex->scratch, line, (apr_size_t)(nl - line)));
                }
            }
            *pline = line;
            return APR_SUCCESS;
        }
        if (avail >= limit) {
            return APR_ENOSPC;
        }
        rv = fill(ex, reading);
        if (rv == APR_EOF) {
            return closed_early(ex, reading);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
}

/* A line of the header block (or of the trailer), charged to *used against
 * the max_headers budget. */
static apr_status_t read_header_line(http_exchange_t *ex, char **pline, apr_size_t *used,
                                     const char *block)
{
    apr_size_t consumed = 0;
    apr_status_t rv;

    rv = read_line(ex, pline, &consumed, ex->max_headers - *used, block);
    if (rv == APR_ENOSPC) {
        return fail(ex, OCSPR_OUTCOME_OVERSIZE, "%s over %" APR_SIZE_T_FMT " bytes (%s)",
                    block, ex->max_headers, ex->server);
    }
    *used += consumed;
    return rv;
}

/* "HTTP/1.x SP 3DIGIT [SP reason]" */
static apr_status_t parse_status_line(http_exchange_t *ex, http_head_t *head, const char *line)
{
    const char *s = line;

    if (strncmp(s, "HTTP/1.", 7) != 0 || !apr_isdigit(s[7]) || s[8] != ' '
        || !apr_isdigit(s[9]) || !apr_isdigit(s[10]) || !apr_isdigit(s[11])
        || (s[12] != '\0' && s[12] != ' ') || s[9] < '1' || s[9] > '5') {
        return fail(ex, OCSPR_OUTCOME_PROTOCOL, "malformed status line from %s: \"%s\"",
                    ex->server, quote(ex->scratch, line, strlen(line)));
    }
    head->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    head->phrase = s[12] ? quote(ex->scratch, s + 13, strlen(s + 13)) : "";
    return APR_SUCCESS;
}

static int is_token_char(char c)
{
    return apr_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Split "name: value" in place; value without surrounding whitespace. */
static apr_status_t split_field(http_exchange_t *ex, char **pname, char **pvalue, char *line,
                                const char *block)
{
    char *colon = line, *end;

    while (is_token_char(*colon)) {
        colon++;
    }
    if (colon == line || *colon != ':') {
        return fail(ex, OCSPR_OUTCOME_PROTOCOL, "malformed line in the %s from %s: \"%s\"",
                    block, ex->server, quote(ex->scratch, line, strlen(line)));
    }
    *colon++ = '\0';
    while (*colon == ' ' || *colon == '\t') {
        colon++;
    }
    end = colon + strlen(colon);
    while (end > colon && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    *end = '\0';
    *pname = line;
    *pvalue = colon;
    return APR_SUCCESS;
}

static int parse_decimal(apr_uint64_t *out, const char *s)
{
    apr_uint64_t v = 0;

    if (*s == '\0') {
        return 0;
    }
    for (; *s; s++) {
        if (!apr_isdigit(*s) || v > (APR_UINT64_MAX - 9) / 10) {
            return 0;
        }
        v = v * 10 + (apr_uint64_t)(*s - '0');
    }
    *out = v;
    return 1;
}

/* Only one of each: two Content-Types or Locations leave us guessing which
 * one the responder meant. */
static apr_status_t set_single(http_exchange_t *ex, const char **slot, const char *name,
                               const char *value)
{
    if (*slot != NULL) {
        return fail(ex, OCSPR_OUTCOME_PROTOCOL, "%s sent %s twice", ex->server, name);
    }
    *slot = apr_pstrdup(ex->p, value);
    return APR_SUCCESS;
}

static apr_status_t apply_field(http_exchange_t *ex, http_head_t *head, const char *name,
                                const char *value)
{
    if (strcasecmp(name, "Content-Length") == 0) {
        apr_uint64_t length;

        if (!parse_decimal(&length, value)) {
            return fail(ex, OCSPR_OUTCOME_PROTOCOL, "invalid Content-Length from %s: \"%s\"",
                        ex->server, quote(ex->scratch, value, strlen(value)));
        }
        /* Identical repeats are allowed (RFC 9110 8.6); different ones are
         * how responses get smuggled. */
        if (head->has_length && head->length != length) {
            return fail(ex, OCSPR_OUTCOME_PROTOCOL, "conflicting Content-Length headers from %s",
                        ex->server);
        }
        head->has_length = 1;
        head->length = length;
    }
    else if (strcasecmp(name, "Transfer-Encoding") == 0) {
        if (strcasecmp(value, "chunked") != 0 || head->chunked) {
            return fail(ex, OCSPR_OUTCOME_PROTOCOL,
                        "unsupported Transfer-Encoding from %s: \"%s\"", ex->server,
                        quote(ex->scratch, value, strlen(value)));
        }
        head->chunked = 1;
    }
    else if (strcasecmp(name, "Content-Type") == 0) {
        return set_single(ex, &ex->res->content_type, "Content-Type", value);
    }
    else if (strcasecmp(name, "Location") == 0) {
        return set_single(ex, &ex->res->location, "Location", value);
    }
    return APR_SUCCESS;
}

/* Status line and header fields, skipping interim 1xx responses; the whole
 * lot is held to max_headers. */
static apr_status_t read_head(http_exchange_t *ex, http_head_t *head)
{
    apr_size_t used = 0;
    char *line, *name, *value;
    apr_status_t rv;

    do {
        memset(head, 0, sizeof(*head));
        ex->res->content_type = NULL;
        ex->res->location = NULL;
        if ((rv = read_header_line(ex, &line, &used, "response headers")) != APR_SUCCESS
            || (rv = parse_status_line(ex, head, line)) != APR_SUCCESS) {
            return rv;
        }
        ex->res->http_status = head->status;
        if (head->status == 101) {
            return fail(ex, OCSPR_OUTCOME_PROTOCOL,
                        "%s switched protocols (HTTP 101) although nobody asked", ex->server);
        }
        for (;;) {
            if ((rv = read_header_line(ex, &line, &used, "response headers")) != APR_SUCCESS) {
                return rv;
            }
            if (*line == '\0') {
                break;
            }
            if ((rv = split_field(ex, &name, &value, line, "response headers")) != APR_SUCCESS
                || (rv = apply_field(ex, head, name, value)) != APR_SUCCESS) {
                return rv;
            }
        }
    } while (head->status < 200);
    return APR_SUCCESS;
}

static apr_status_t body_oversize(http_exchange_t *ex)
{
    return fail(ex, OCSPR_OUTCOME_OVERSIZE, "response body from %s over %" APR_SIZE_T_FMT
                " bytes", ex->server, ex->max_body);
}

/* Room for `more` bytes in the body, within max_body. Doubling keeps the
 * copies linear; the pool only grows to a small multiple of the cap. */
static apr_status_t body_reserve(http_exchange_t *ex, body_buf_t *body, apr_uint64_t more)
{
    apr_size_t want;

    if (more > ex->max_body - body->len) {
        return body_oversize(ex);
    }
    want = body->len + (apr_size_t)more;
    if (want > body->cap) {
        apr_size_t cap = body->cap ? body->cap : RECV_BLOCK;
        unsigned char *data;

        while (cap < want) {
            cap = cap > ex->max_body / 2 ? ex->max_body : cap * 2;
        }
        data = apr_palloc(ex->scratch, cap);
        if (body->len) {
            memcpy(data, body->data, body->len);
        }
        body->data = data;
        body->cap = cap;
    }
    return APR_SUCCESS;
}

/* Move up to `want` buffered bytes into the body; receives when the buffer
 * is empty. Returns APR_EOF when the peer closed first. */
static apr_status_t take_bytes(http_exchange_t *ex, body_buf_t *body, apr_size_t want,
                               apr_size_t *taken)
{
    apr_size_t n;
    apr_status_t rv;

    *taken = 0;
    if (ex->start == ex->end) {
        ex->start = ex->end = 0;
        if ((rv = fill(ex, "response body")) != APR_SUCCESS) {
            return rv;
        }
    }
    n = ex->end - ex->start;
    if (n > want) {
        n = want;
    }
    if ((rv = body_reserve(ex, body, n)) != APR_SUCCESS) {
        return rv;
    }
    memcpy(body->data + body->len, ex->buf + ex->start, n);
    body->len += n;
    ex->start += n;
    *taken = n;
    return APR_SUCCESS;
}

/* Exactly `len` more body bytes; APR_EOF when the connection ends first. */
static apr_status_t read_exact(http_exchange_t *ex, body_buf_t *body, apr_uint64_t len)
{
    apr_status_t rv;

    if ((rv = body_reserve(ex, body, len)) != APR_SUCCESS) {
        return rv;
    }
    while (len > 0) {
        apr_size_t taken;

        if ((rv = take_bytes(ex, body, (apr_size_t)len, &taken)) != APR_SUCCESS) {
            return rv;
        }
        len -= taken;
    }
    return APR_SUCCESS;
}

static apr_status_t read_to_close(http_exchange_t *ex, body_buf_t *body)
{
    apr_status_t rv;

    do {
        apr_size_t taken;

        rv = take_bytes(ex, body, ex->buf_cap, &taken);
    } while (rv == APR_SUCCESS);
    return rv == APR_EOF ? APR_SUCCESS : rv;
}

/* chunk-size [ BWS ";" extension ] -- the extension is ignored. */
static apr_status_t parse_chunk_size(http_exchange_t *ex, apr_uint64_t *size, const char *line)
{
    const char *s = line;
    apr_uint64_t v = 0;

    for (; apr_isxdigit(*s); s++) {
        if (v > (APR_UINT64_MAX >> 4)) {
            break;
        }
        v = (v << 4) | (apr_uint64_t)(apr_isdigit(*s) ? *s - '0' : apr_tolower(*s) - 'a' + 10);
    }
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    if (s == line || !apr_isxdigit(*line) || (*s != '\0' && *s != ';')) {
        return fail(ex, OCSPR_OUTCOME_PROTOCOL, "malformed chunk size from %s: \"%s\"",
                    ex->server, quote(ex->scratch, line, strlen(line)));
    }
    *size = v;
    return APR_SUCCESS;
}

static apr_status_t read_chunked(http_exchange_t *ex, body_buf_t *body)
{
    apr_size_t consumed, trailer_used = 0;
    apr_uint64_t size = 0;
    char *line, *name, *value;
    apr_status_t rv;

    for (;;) {
        rv = read_line(ex, &line, &consumed, CHUNK_LINE_MAX, "chunk size line");
        if (rv == APR_ENOSPC) {
            return fail(ex, OCSPR_OUTCOME_PROTOCOL, "chunk size line from %s over %d bytes",
                        ex->server, CHUNK_LINE_MAX);
        }
        if (rv != APR_SUCCESS || (rv = parse_chunk_size(ex, &size, line)) != APR_SUCCESS) {
            return rv;
        }
        if (size == 0) {
            break;
        }
        rv = read_exact(ex, body, size);
        if (rv == APR_EOF) {
            return fail(ex, OCSPR_OUTCOME_TRUNCATED,
                        "%s closed the connection inside a chunk, after %" APR_SIZE_T_FMT
                        " body bytes", ex->server, body->len);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
        /* The chunk's CRLF: anything else means the size lied. */
        rv = read_line(ex, &line, &consumed, 2, "chunk data");
        if (rv == APR_ENOSPC || (rv == APR_SUCCESS && *line != '\0')) {
            return fail(ex, OCSPR_OUTCOME_PROTOCOL,
                        "chunk from %s longer than its declared size", ex->server);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    for (;;) {
        if ((rv = read_header_line(ex, &line, &trailer_used, "trailer")) != APR_SUCCESS) {
            return rv;
        }
        if (*line == '\0') {
            return APR_SUCCESS;
        }
        if ((rv = split_field(ex, &name, &value, line, "trailer")) != APR_SUCCESS) {
            return rv;
        }
    }
}

static apr_status_t read_body(http_exchange_t *ex, const http_head_t *head, body_buf_t *body)
{
    apr_status_t rv;

    if (head->chunked) {
        return read_chunked(ex, body);
    }
    if (!head->has_length) {
        return read_to_close(ex, body);
    }
    if (head->length > ex->max_body) {
        return fail(ex, OCSPR_OUTCOME_OVERSIZE,
                    "response body from %s declared as %" APR_UINT64_T_FMT " bytes, over the %"
                    APR_SIZE_T_FMT " bytes allowed", ex->server, head->length, ex->max_body);
    }
    rv = read_exact(ex, body, head->length);
    if (rv == APR_EOF) {
        return fail(ex, OCSPR_OUTCOME_TRUNCATED,
                    "%s closed the connection after %" APR_SIZE_T_FMT " of %" APR_UINT64_T_FMT
                    " body bytes", ex->server, body->len, head->length);
    }
    return rv;
}

/* "application/ocsp-response", in any case, with or without parameters. */
static int is_ocsp_response_type(const char *type)
{
    apr_size_t n = strlen(OCSP_RESPONSE_TYPE);
    const char *rest = type + n;

    if (strncasecmp(type, OCSP_RESPONSE_TYPE, n) != 0) {
        return 0;
    }
    while (*rest == ' ' || *rest == '\t') {
        rest++;
    }
    return *rest == '\0' || *rest == ';';
}

/* What the status line and headers say about the answer, before any body. */
static apr_status_t check_head(http_exchange_t *ex, const http_head_t *head)
{
    ocspr_http_result_t *res = ex->res;

    if (head->status >= 300 && head->status < 400) {
        return fail(ex, OCSPR_OUTCOME_REDIRECT,
                    "%s redirected (HTTP %d) to %s; redirects are not followed: use the new "
                    "location as the responder URL if it is trustworthy", ex->server,
                    head->status,
                    res->location ? quote(ex->scratch, res->location, strlen(res->location))
                                  : "nowhere (no Location header)");
    }
    if (head->status != 200) {
        return fail(ex, OCSPR_OUTCOME_HTTP_STATUS, "%s answered HTTP %d %s", ex->server,
                    head->status, head->phrase);
    }
    if (res->content_type == NULL || !is_ocsp_response_type(res->content_type)) {
        return fail(ex, OCSPR_OUTCOME_CONTENT_TYPE,
                    "%s answered with Content-Type %s instead of " OCSP_RESPONSE_TYPE,
                    ex->server,
                    res->content_type
                        ? apr_pstrcat(ex->scratch, "\"",
                                      quote(ex->scratch, res->content_type,
                                            strlen(res->content_type)), "\"", NULL)
                        : "(none)");
    }
    return APR_SUCCESS;
}

static const char *build_request(http_exchange_t *ex, const char *method, const char *target,
                                 const http_url_t *responder, const char *user_agent,
                                 apr_size_t body_len)
{
    const char *ua = user_agent ? quote(ex->scratch, user_agent, strlen(user_agent))
                                : DEFAULT_USER_AGENT;
    const char *content = body_len == 0 ? ""
        : apr_psprintf(ex->scratch, "Content-Type: " OCSP_REQUEST_TYPE "\r\n"
                       "Content-Length: %" APR_SIZE_T_FMT "\r\n", body_len);

    return apr_psprintf(ex->scratch,
                        "%s %s HTTP/1.1\r\n"
                        "Host: %s\r\n"
                        "User-Agent: %s\r\n"
                        "Accept: " OCSP_RESPONSE_TYPE "\r\n"
                        "%s"
                        "Connection: close\r\n"
                        "\r\n",
                        method, target, responder->authority, ua, content);
}

static apr_status_t exchange(http_exchange_t *ex, const char *url, const unsigned char *req_der,
                             apr_size_t req_len, const ocspr_http_opts_t *opts)
{
    http_url_t responder, proxy;
    const http_url_t *peer = &responder;
    const char *get_url = NULL, *request, *target;
    http_head_t head;
    body_buf_t body = { NULL, 0, 0 };
    apr_status_t rv;

    if ((rv = parse_url(ex, &responder, url, "responder URL")) != APR_SUCCESS) {
        return rv;
    }
    if (responder.https) {
        return fail(ex, OCSPR_OUTCOME_HTTPS,
                    "responder URL %s uses https://, but mod_ocsp_refresh fetches OCSP "
                    "responses over plain HTTP, as RFC 6960 intends (the responses are signed)",
                    quote(ex->scratch, url, strlen(url)));
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
                        "supported", quote(ex->scratch, opts->proxy_url,
                                           strlen(opts->proxy_url)));
        }
        peer = &proxy;
        /* A proxy wants the absolute URI (RFC 9112 3.2.2). */
        target = apr_pstrcat(ex->scratch, "http://", responder.authority, responder.target,
                             NULL);
        ex->server = apr_pstrcat(ex->scratch, ex->server, " via proxy ", proxy.host_port, NULL);
    }

    if ((rv = connect_any(ex, peer, peer == &proxy ? "proxy" : "responder")) != APR_SUCCESS) {
        return rv;
    }
    request = build_request(ex, ex->res->method, target, &responder, opts->user_agent,
                            get_url ? 0 : req_len);
    if ((rv = send_all(ex, request, strlen(request))) != APR_SUCCESS
        || (!get_url && (rv = send_all(ex, (const char *)req_der, req_len)) != APR_SUCCESS)
        || (rv = read_head(ex, &head)) != APR_SUCCESS
        || (rv = check_head(ex, &head)) != APR_SUCCESS
        || (rv = read_body(ex, &head, &body)) != APR_SUCCESS) {
        return rv;
    }
    if (body.len == 0) {
        return fail(ex, OCSPR_OUTCOME_TRUNCATED, "HTTP 200 from %s with an empty body",
                    ex->server);
    }
    ex->res->body = apr_pmemdup(ex->p, body.data, body.len);
    ex->res->body_len = body.len;
    ex->res->outcome = OCSPR_OUTCOME_OK;
    ex->res->reason = apr_psprintf(ex->p, "HTTP 200, %" APR_SIZE_T_FMT " bytes from %s",
                                   body.len, ex->server);
    return APR_SUCCESS;
}

apr_status_t ocspr_http_fetch(void *baton, ocspr_http_result_t *res, apr_pool_t *p,
                              const char *url, const unsigned char *req_der,
                              apr_size_t req_len, const ocspr_http_opts_t *opts)
{
    ocspr_http_opts_t defaults;
    http_exchange_t ex;
    apr_time_t start = apr_time_now();
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
    ex.total_timeout = opts->total_timeout > 0 ? opts->total_timeout : defaults.total_timeout;
    ex.connect_timeout = opts->connect_timeout > 0 ? opts->connect_timeout
                                                   : defaults.connect_timeout;
    ex.max_body = opts->max_body ? opts->max_body : defaults.max_body;
    ex.max_headers = opts->max_headers ? opts->max_headers : defaults.max_headers;
    ex.deadline = start + ex.total_timeout;
    ex.server = "responder";

    if (apr_pool_create(&ex.scratch, p) != APR_SUCCESS) {
        rv = fail(&ex, OCSPR_OUTCOME_INTERNAL, "cannot create a memory pool");
        goto cleanup;
    }
    /* Room for the longest line any caller reads, so that read_line can
     * always tell "too long" from "not received yet". */
    ex.buf_cap = ex.max_headers > RECV_BLOCK ? ex.max_headers : RECV_BLOCK;
    ex.buf = apr_palloc(ex.scratch, ex.buf_cap);
    rv = exchange(&ex, url, req_der, req_len, opts);

cleanup:
    if (ex.sock != NULL) {
        apr_socket_close(ex.sock);
    }
    if (ex.scratch != NULL) {
        apr_pool_destroy(ex.scratch);
    }
    res->latency = apr_time_now() - start;
    return rv;
}

const ocspr_http_transport_t ocspr_http_default_transport = { ocspr_http_fetch, NULL };
