/* ocspr_http_parse.c: the HTTP/1.x response parser, over bytes in any pieces.
 *
 * Everything the responder sends is hostile: lines, header blocks and bodies
 * are read against caps and lengths are overflow-checked. The parser is a
 * state machine that keeps the line it is assembling, so that the outcome
 * and the reason are the same however the network cut the bytes.
 */
#include <stdarg.h>
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "ocspr_http_parse.h"

#define OCSP_RESPONSE_TYPE "application/ocsp-response"

/* A chunk-size line holds a hex number and an optional extension: no honest
 * server needs 1 KiB for that, and the cap stops an endless line. */
#define CHUNK_LINE_MAX 1024
/* The least the body buffer starts with. */
#define BODY_BLOCK 8192
/* How much of a server-supplied string a reason quotes. */
#define QUOTE_MAX 120

typedef enum {
    PARSE_STATUS_LINE,  /* lines: ... */
    PARSE_HEADERS,
    PARSE_CHUNK_SIZE,
    PARSE_CHUNK_END,    /* the CRLF after a chunk's data */
    PARSE_TRAILER,
    PARSE_BODY_LENGTH,  /* bytes: ... */
    PARSE_CHUNK_DATA,
    PARSE_BODY_CLOSE,
    PARSE_DONE,         /* finished: ps->final says how */
    PARSE_FAILED
} parse_state_t;

struct ocspr_http_parser_t {
    ocspr_http_result_t *res;
    apr_pool_t *p;              /* the caller's: reasons, strings and body of res */
    apr_pool_t *scratch;        /* everything else */
    const char *server;
    apr_size_t max_body;
    apr_size_t max_headers;
    parse_state_t state;
    apr_status_t final;         /* once DONE or FAILED */
    apr_uint64_t received;      /* bytes fed in all */
    int trailing_bytes;         /* bytes came after the end of the response */

    /* the line being assembled: [0, line_len), room for a NUL after it */
    char *line;
    apr_size_t line_len;
    apr_size_t head_used;       /* header-block bytes (interim responses too) */
    apr_size_t trailer_used;

    /* the response head */
    int minor_version;          /* HTTP/1.x */
    int status;
    const char *phrase;
    int chunked;
    int has_length;
    apr_uint64_t length;
    int connection_close;

    /* the body */
    apr_uint64_t remaining;     /* bytes still due: of the Content-Length or the chunk */
    unsigned char *body;
    apr_size_t body_len;
    apr_size_t body_cap;
};

static apr_status_t record_failure(ocspr_http_result_t *res, apr_pool_t *p,
                                   ocspr_outcome_t outcome, const char *fmt, va_list ap)
{
    res->reason = apr_pvsprintf(p, fmt, ap);
    res->outcome = outcome;
    return OCSPR_EFETCH;
}

apr_status_t ocspr_http_fail(ocspr_http_result_t *res, apr_pool_t *p, ocspr_outcome_t outcome,
                             const char *fmt, ...)
{
    va_list ap;
    apr_status_t rv;

    va_start(ap, fmt);
    rv = record_failure(res, p, outcome, fmt, ap);
    va_end(ap);
    return rv;
}

const char *ocspr_http_quote(apr_pool_t *p, const char *s, apr_size_t len)
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

static const char *quote_str(ocspr_http_parser_t *ps, const char *s)
{
    return ocspr_http_quote(ps->scratch, s, strlen(s));
}

static apr_status_t fail(ocspr_http_parser_t *ps, ocspr_outcome_t outcome, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The parser's end in failure; callers return its result at once. */
static apr_status_t fail(ocspr_http_parser_t *ps, ocspr_outcome_t outcome, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    record_failure(ps->res, ps->p, outcome, fmt, ap);
    va_end(ap);
    ps->state = PARSE_FAILED;
    ps->final = OCSPR_EFETCH;
    return OCSPR_EFETCH;
}

ocspr_http_parser_t *ocspr_http_parser_create(ocspr_http_result_t *res, apr_pool_t *p,
                                              apr_pool_t *scratch, apr_size_t max_body,
                                              apr_size_t max_headers, const char *server)
{
    ocspr_http_parser_t *ps = apr_pcalloc(scratch, sizeof(*ps));

    res->outcome = OCSPR_OUTCOME_OK;
    res->reason = NULL;
    res->http_status = 0;
    res->content_type = NULL;
    res->location = NULL;
    res->body = NULL;
    res->body_len = 0;
    ps->res = res;
    ps->p = p;
    ps->scratch = scratch;
    ps->server = server ? server : "responder";
    ps->max_body = max_body ? max_body : OCSPR_RESPONSE_MAX_SIZE;
    ps->max_headers = max_headers ? max_headers : OCSPR_HTTP_MAX_HEADERS;
    ps->state = PARSE_STATUS_LINE;
    ps->line = apr_palloc(scratch, (ps->max_headers > CHUNK_LINE_MAX ? ps->max_headers
                                                                      : CHUNK_LINE_MAX) + 1);
    return ps;
}

static int is_line_state(parse_state_t state)
{
    return state <= PARSE_TRAILER;
}

/* How long the current line may be, its terminator included. */
static apr_size_t line_limit(const ocspr_http_parser_t *ps)
{
    switch (ps->state) {
    case PARSE_CHUNK_SIZE:
        return CHUNK_LINE_MAX;
    case PARSE_CHUNK_END:
        return 2;
    case PARSE_TRAILER:
        return ps->max_headers - ps->trailer_used;
    default:
        return ps->max_headers - ps->head_used;
    }
}

const char *ocspr_http_parser_expecting(const ocspr_http_parser_t *ps)
{
    switch (ps->state) {
    case PARSE_STATUS_LINE:
    case PARSE_HEADERS:
        return "response headers";
    case PARSE_CHUNK_SIZE:
        return "chunk size line";
    case PARSE_CHUNK_END:
        return "chunk data";
    case PARSE_TRAILER:
        return "trailer";
    default:
        return "response body";
    }
}

/* A line longer than its limit: what that means depends on what it is. */
static apr_status_t line_too_long(ocspr_http_parser_t *ps)
{
    switch (ps->state) {
    case PARSE_CHUNK_SIZE:
        return fail(ps, OCSPR_OUTCOME_PROTOCOL, "chunk size line from %s over %d bytes",
                    ps->server, CHUNK_LINE_MAX);
    case PARSE_CHUNK_END:
        return fail(ps, OCSPR_OUTCOME_PROTOCOL, "chunk from %s longer than its declared size",
                    ps->server);
    default:
        return fail(ps, OCSPR_OUTCOME_OVERSIZE, "%s over %" APR_SIZE_T_FMT " bytes (%s)",
                    ocspr_http_parser_expecting(ps), ps->max_headers, ps->server);
    }
}

/* Start reading a line in `state`. A header budget already spent fails at
 * once, whatever comes next. */
static apr_status_t expect_line(ocspr_http_parser_t *ps, parse_state_t state)
{
    ps->state = state;
    ps->line_len = 0;
    return line_limit(ps) == 0 ? line_too_long(ps) : APR_SUCCESS;
}

/* "HTTP/1.x SP 3DIGIT [SP reason]" */
static apr_status_t parse_status_line(ocspr_http_parser_t *ps, const char *line)
{
    const char *s = line;

    if (strncmp(s, "HTTP/1.", 7) != 0 || !apr_isdigit(s[7]) || s[8] != ' '
        || !apr_isdigit(s[9]) || !apr_isdigit(s[10]) || !apr_isdigit(s[11])
        || (s[12] != '\0' && s[12] != ' ') || s[9] < '1' || s[9] > '5') {
        return fail(ps, OCSPR_OUTCOME_PROTOCOL, "malformed status line from %s: \"%s\"",
                    ps->server, quote_str(ps, line));
    }
    ps->minor_version = s[7] - '0';
    ps->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    ps->phrase = s[12] ? quote_str(ps, s + 13) : "";
    ps->res->http_status = ps->status;
    if (ps->status == 101) {
        return fail(ps, OCSPR_OUTCOME_PROTOCOL,
                    "%s switched protocols (HTTP 101) although nobody asked", ps->server);
    }
    return expect_line(ps, PARSE_HEADERS);
}

static int is_token_char(char c)
{
    return apr_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Split "name: value" in place; value without surrounding whitespace. */
static apr_status_t split_field(ocspr_http_parser_t *ps, char **pname, char **pvalue, char *line)
{
    char *colon = line, *end;

    while (is_token_char(*colon)) {
        colon++;
    }
    if (colon == line || *colon != ':') {
        return fail(ps, OCSPR_OUTCOME_PROTOCOL, "malformed line in the %s from %s: \"%s\"",
                    ocspr_http_parser_expecting(ps), ps->server, quote_str(ps, line));
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
static apr_status_t set_single(ocspr_http_parser_t *ps, const char **slot, const char *name,
                               const char *value)
{
    if (*slot != NULL) {
        return fail(ps, OCSPR_OUTCOME_PROTOCOL, "%s sent %s twice", ps->server, name);
    }
    *slot = apr_pstrdup(ps->p, value);
    return APR_SUCCESS;
}

/* Connection is a comma-separated list of options (RFC 9110 7.6.1). */
static int lists_close(const char *value)
{
    const char *s = value;

    while (*s) {
        apr_size_t n;

        while (*s == ' ' || *s == '\t' || *s == ',') {
            s++;
        }
        n = strcspn(s, " \t,");
        if (n == 5 && strncasecmp(s, "close", 5) == 0) {
            return 1;
        }
        s += n;
    }
    return 0;
}

static apr_status_t apply_field(ocspr_http_parser_t *ps, const char *name, const char *value)
{
    if (strcasecmp(name, "Content-Length") == 0) {
        apr_uint64_t length;

        if (!parse_decimal(&length, value)) {
            return fail(ps, OCSPR_OUTCOME_PROTOCOL, "invalid Content-Length from %s: \"%s\"",
                        ps->server, quote_str(ps, value));
        }
        /* Identical repeats are allowed (RFC 9110 8.6); different ones are
         * how responses get smuggled. */
        if (ps->has_length && ps->length != length) {
            return fail(ps, OCSPR_OUTCOME_PROTOCOL, "conflicting Content-Length headers from %s",
                        ps->server);
        }
        ps->has_length = 1;
        ps->length = length;
    }
    else if (strcasecmp(name, "Transfer-Encoding") == 0) {
        if (strcasecmp(value, "chunked") != 0 || ps->chunked) {
            return fail(ps, OCSPR_OUTCOME_PROTOCOL,
                        "unsupported Transfer-Encoding from %s: \"%s\"", ps->server,
                        quote_str(ps, value));
        }
        ps->chunked = 1;
    }
    else if (strcasecmp(name, "Content-Type") == 0) {
        return set_single(ps, &ps->res->content_type, "Content-Type", value);
    }
    else if (strcasecmp(name, "Location") == 0) {
        return set_single(ps, &ps->res->location, "Location", value);
    }
    else if (strcasecmp(name, "Connection") == 0 && lists_close(value)) {
        ps->connection_close = 1;
    }
    return APR_SUCCESS;
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
static apr_status_t check_head(ocspr_http_parser_t *ps)
{
    ocspr_http_result_t *res = ps->res;

    if (ps->status >= 300 && ps->status < 400) {
        return fail(ps, OCSPR_OUTCOME_REDIRECT,
                    "%s redirected (HTTP %d) to %s; redirects are not followed: use the new "
                    "location as the responder URL if it is trustworthy", ps->server,
                    ps->status,
                    res->location ? quote_str(ps, res->location)
                                  : "nowhere (no Location header)");
    }
    if (ps->status != 200) {
        return fail(ps, OCSPR_OUTCOME_HTTP_STATUS, "%s answered HTTP %d %s", ps->server,
                    ps->status, ps->phrase);
    }
    if (res->content_type == NULL || !is_ocsp_response_type(res->content_type)) {
        return fail(ps, OCSPR_OUTCOME_CONTENT_TYPE,
                    "%s answered with Content-Type %s instead of " OCSP_RESPONSE_TYPE,
                    ps->server,
                    res->content_type
                        ? apr_pstrcat(ps->scratch, "\"", quote_str(ps, res->content_type), "\"",
                                      NULL)
                        : "(none)");
    }
    return APR_SUCCESS;
}

static apr_status_t body_oversize(ocspr_http_parser_t *ps)
{
    return fail(ps, OCSPR_OUTCOME_OVERSIZE, "response body from %s over %" APR_SIZE_T_FMT
                " bytes", ps->server, ps->max_body);
}

/* Room for `more` bytes in the body, within max_body. Doubling keeps the
 * copies linear; scratch only grows to a small multiple of the cap. */
static apr_status_t body_reserve(ocspr_http_parser_t *ps, apr_uint64_t more)
{
    apr_size_t want;

    if (more > ps->max_body - ps->body_len) {
        return body_oversize(ps);
    }
    want = ps->body_len + (apr_size_t)more;
    if (want > ps->body_cap) {
        apr_size_t cap = ps->body_cap ? ps->body_cap : BODY_BLOCK;
        unsigned char *data;

        while (cap < want) {
            cap = cap > ps->max_body / 2 ? ps->max_body : cap * 2;
        }
        data = apr_palloc(ps->scratch, cap);
        if (ps->body_len) {
            memcpy(data, ps->body, ps->body_len);
        }
        ps->body = data;
        ps->body_cap = cap;
    }
    return APR_SUCCESS;
}

/* The response is complete: an OCSP response is never empty, and an empty
 * body is what a cut connection usually looks like. */
static apr_status_t finish(ocspr_http_parser_t *ps)
{
    ocspr_http_result_t *res = ps->res;

    if (ps->body_len == 0) {
        return fail(ps, OCSPR_OUTCOME_TRUNCATED, "HTTP 200 from %s with an empty body",
                    ps->server);
    }
    res->body = apr_pmemdup(ps->p, ps->body, ps->body_len);
    res->body_len = ps->body_len;
    res->outcome = OCSPR_OUTCOME_OK;
    res->reason = apr_psprintf(ps->p, "HTTP 200, %" APR_SIZE_T_FMT " bytes from %s",
                               ps->body_len, ps->server);
    ps->state = PARSE_DONE;
    ps->final = APR_SUCCESS;
    return APR_SUCCESS;
}

/* The blank line after the header fields: skip an interim 1xx response, or
 * judge the head and choose how the body is framed. */
static apr_status_t end_of_head(ocspr_http_parser_t *ps)
{
    apr_status_t rv;

    if (ps->status < 200) {
        ps->status = 0;
        ps->chunked = ps->has_length = ps->connection_close = 0;
        ps->length = 0;
        ps->res->content_type = NULL;
        ps->res->location = NULL;
        return expect_line(ps, PARSE_STATUS_LINE);
    }
    if ((rv = check_head(ps)) != APR_SUCCESS) {
        return rv;
    }
    if (ps->chunked) {
        return expect_line(ps, PARSE_CHUNK_SIZE);
    }
    if (!ps->has_length) {
        ps->state = PARSE_BODY_CLOSE;
        return APR_SUCCESS;
    }
    if (ps->length > ps->max_body) {
        return fail(ps, OCSPR_OUTCOME_OVERSIZE,
                    "response body from %s declared as %" APR_UINT64_T_FMT " bytes, over the %"
                    APR_SIZE_T_FMT " bytes allowed", ps->server, ps->length, ps->max_body);
    }
    if (ps->length == 0) {
        return finish(ps);
    }
    if ((rv = body_reserve(ps, ps->length)) != APR_SUCCESS) {
        return rv;
    }
    ps->remaining = ps->length;
    ps->state = PARSE_BODY_LENGTH;
    return APR_SUCCESS;
}

/* chunk-size [ BWS ";" extension ] -- the extension is ignored. */
static apr_status_t parse_chunk_size(ocspr_http_parser_t *ps, const char *line)
{
    const char *s = line;
    apr_uint64_t v = 0;
    apr_status_t rv;

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
        return fail(ps, OCSPR_OUTCOME_PROTOCOL, "malformed chunk size from %s: \"%s\"",
                    ps->server, quote_str(ps, line));
    }
    if (v == 0) {
        return expect_line(ps, PARSE_TRAILER);
    }
    if ((rv = body_reserve(ps, v)) != APR_SUCCESS) {
        return rv;
    }
    ps->remaining = v;
    ps->state = PARSE_CHUNK_DATA;
    return APR_SUCCESS;
}

/* A complete line (terminator stripped) in the current state. */
static apr_status_t take_line(ocspr_http_parser_t *ps, char *line)
{
    char *name, *value;
    apr_status_t rv;

    switch (ps->state) {
    case PARSE_STATUS_LINE:
        return parse_status_line(ps, line);
    case PARSE_HEADERS:
        if (*line == '\0') {
            return end_of_head(ps);
        }
        if ((rv = split_field(ps, &name, &value, line)) != APR_SUCCESS
            || (rv = apply_field(ps, name, value)) != APR_SUCCESS) {
            return rv;
        }
        return expect_line(ps, PARSE_HEADERS);
    case PARSE_CHUNK_SIZE:
        return parse_chunk_size(ps, line);
    case PARSE_CHUNK_END:
        /* Anything but the CRLF means the chunk size lied. */
        return *line != '\0' ? line_too_long(ps) : expect_line(ps, PARSE_CHUNK_SIZE);
    default: /* PARSE_TRAILER: fields are checked, then ignored */
        if (*line == '\0') {
            return finish(ps);
        }
        if ((rv = split_field(ps, &name, &value, line)) != APR_SUCCESS) {
            return rv;
        }
        return expect_line(ps, PARSE_TRAILER);
    }
}

/* Take line bytes from data, at most to the end of the line. A line (CRLF or
 * bare LF) must end within line_limit bytes, terminator included. */
static apr_status_t feed_line(ocspr_http_parser_t *ps, const char *data, apr_size_t len,
                              apr_size_t *used)
{
    apr_size_t room = line_limit(ps) - ps->line_len;
    apr_size_t n = len < room ? len : room;
    const char *nl = memchr(data, '\n', n);
    char *end, *c;

    if (nl == NULL) {
        memcpy(ps->line + ps->line_len, data, n);
        ps->line_len += n;
        *used = n;
        return n == room ? line_too_long(ps) : APR_INCOMPLETE;
    }
    n = (apr_size_t)(nl - data) + 1;
    memcpy(ps->line + ps->line_len, data, n);
    ps->line_len += n;
    *used = n;
    if (ps->state == PARSE_STATUS_LINE || ps->state == PARSE_HEADERS) {
        ps->head_used += ps->line_len;
    }
    else if (ps->state == PARSE_TRAILER) {
        ps->trailer_used += ps->line_len;
    }
    end = ps->line + ps->line_len - 1;
    if (end > ps->line && end[-1] == '\r') {
        end--;
    }
    *end = '\0';
    for (c = ps->line; c < end; c++) {
        if (apr_iscntrl(*c) && *c != '\t') {
            return fail(ps, OCSPR_OUTCOME_PROTOCOL, "control character in the %s from %s: \"%s\"",
                        ocspr_http_parser_expecting(ps), ps->server,
                        ocspr_http_quote(ps->scratch, ps->line, (apr_size_t)(end - ps->line)));
        }
    }
    return take_line(ps, ps->line);
}

/* Take body bytes from data: up to what is still due, or all of them when
 * the body ends with the connection. */
static apr_status_t feed_body(ocspr_http_parser_t *ps, const char *data, apr_size_t len,
                              apr_size_t *used)
{
    apr_size_t n = len;
    apr_status_t rv;

    if (ps->state != PARSE_BODY_CLOSE && ps->remaining < n) {
        n = (apr_size_t)ps->remaining;
    }
    if ((rv = body_reserve(ps, n)) != APR_SUCCESS) {
        return rv;
    }
    memcpy(ps->body + ps->body_len, data, n);
    ps->body_len += n;
    *used = n;
    if (ps->state == PARSE_BODY_CLOSE) {
        return APR_INCOMPLETE;
    }
    ps->remaining -= n;
    if (ps->remaining > 0) {
        return APR_INCOMPLETE;
    }
    return ps->state == PARSE_BODY_LENGTH ? finish(ps) : expect_line(ps, PARSE_CHUNK_END);
}

apr_status_t ocspr_http_parser_feed(ocspr_http_parser_t *ps, const void *data, apr_size_t len)
{
    const char *bytes = data;

    if (ps->state == PARSE_DONE || ps->state == PARSE_FAILED) {
        ps->trailing_bytes |= len > 0;
        return ps->final;
    }
    ps->received += len;
    while (len > 0) {
        apr_size_t used = 0;
        apr_status_t rv = is_line_state(ps->state) ? feed_line(ps, bytes, len, &used)
                                                   : feed_body(ps, bytes, len, &used);

        bytes += used;
        len -= used;
        if (ps->state == PARSE_DONE || ps->state == PARSE_FAILED) {
            ps->trailing_bytes |= len > 0;
            return ps->final;
        }
        if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
            return rv;
        }
    }
    return APR_INCOMPLETE;
}

apr_status_t ocspr_http_parser_eof(ocspr_http_parser_t *ps)
{
    switch (ps->state) {
    case PARSE_DONE:
    case PARSE_FAILED:
        return ps->final;
    case PARSE_BODY_CLOSE:
        return finish(ps);
    case PARSE_BODY_LENGTH:
        return fail(ps, OCSPR_OUTCOME_TRUNCATED,
                    "%s closed the connection after %" APR_SIZE_T_FMT " of %" APR_UINT64_T_FMT
                    " body bytes", ps->server, ps->body_len, ps->length);
    case PARSE_CHUNK_DATA:
        return fail(ps, OCSPR_OUTCOME_TRUNCATED,
                    "%s closed the connection inside a chunk, after %" APR_SIZE_T_FMT
                    " body bytes", ps->server, ps->body_len);
    default:
        if (ps->received == 0) {
            return fail(ps, OCSPR_OUTCOME_TRUNCATED,
                        "%s closed the connection without sending a response", ps->server);
        }
        return fail(ps, OCSPR_OUTCOME_TRUNCATED, "%s closed the connection in the %s",
                    ps->server, ocspr_http_parser_expecting(ps));
    }
}

int ocspr_http_parser_reusable(const ocspr_http_parser_t *ps)
{
    return ps->state == PARSE_DONE && ps->minor_version >= 1 && !ps->connection_close
           && ps->chunked != ps->has_length && !ps->trailing_bytes;
}

apr_status_t ocspr_http_parse_response(ocspr_http_result_t *res, int *reusable, apr_pool_t *p,
                                       const void *data, apr_size_t len, apr_size_t max_body,
                                       apr_size_t max_headers)
{
    ocspr_http_parser_t *ps;
    apr_pool_t *scratch;
    apr_status_t rv;

    memset(res, 0, sizeof(*res));
    if (reusable != NULL) {
        *reusable = 0;
    }
    if (apr_pool_create(&scratch, p) != APR_SUCCESS) {
        return ocspr_http_fail(res, p, OCSPR_OUTCOME_INTERNAL, "cannot create a memory pool");
    }
    ps = ocspr_http_parser_create(res, p, scratch, max_body, max_headers, NULL);
    rv = ocspr_http_parser_feed(ps, data, len);
    if (rv == APR_INCOMPLETE) {
        rv = ocspr_http_parser_eof(ps);
    }
    if (reusable != NULL) {
        *reusable = ocspr_http_parser_reusable(ps);
    }
    apr_pool_destroy(scratch);
    return rv;
}
