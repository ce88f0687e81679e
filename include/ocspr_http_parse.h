/* The HTTP/1.x response parser of the transport, over plain bytes: status
 * line, header fields, a body framed by Content-Length, chunked encoding or
 * the close of the connection, the caps on the header block and the body,
 * and what the answer means for an OCSP fetch (an ocspr_outcome_t with a
 * specific reason).
 *
 * It knows no socket: the transport feeds it bytes as they arrive and tells
 * it when the peer closed; tests and the fuzzer hand it a whole buffer. The
 * result does not depend on how the bytes were cut into pieces. */
#ifndef OCSPR_HTTP_PARSE_H
#define OCSPR_HTTP_PARSE_H

#include "ocspr_http.h"

/* The default cap on a response's header block (and on its trailer). */
#define OCSPR_HTTP_MAX_HEADERS ((apr_size_t)16 * 1024)

typedef struct ocspr_http_parser_t ocspr_http_parser_t;

/* A parser for one response. It owns these fields of res and resets them:
 * outcome, reason, http_status, content_type, location, body, body_len.
 * Reasons, strings and the body are allocated from p; working memory (about
 * max_headers plus the body while it grows) from scratch, which must live as
 * long as the parser. max_body or max_headers 0: OCSPR_RESPONSE_MAX_SIZE and
 * OCSPR_HTTP_MAX_HEADERS. server names the peer in reasons ("responder
 * host:port via proxy host:port"); NULL: "responder". */
ocspr_http_parser_t *ocspr_http_parser_create(ocspr_http_result_t *res, apr_pool_t *p,
                                              apr_pool_t *scratch, apr_size_t max_body,
                                              apr_size_t max_headers, const char *server);

/* Bytes as they arrive. APR_INCOMPLETE: all taken, more wanted.
 * APR_SUCCESS: the response is complete and res->outcome is OK.
 * OCSPR_EFETCH: the response failed; res says why.
 * Once the parser has finished, a call changes nothing but this: bytes past
 * the end of a response make its connection unfit for another request. */
apr_status_t ocspr_http_parser_feed(ocspr_http_parser_t *ps, const void *data, apr_size_t len);

/* The peer closed the connection: that ends a body read to the close, and
 * truncates anything else. APR_SUCCESS or OCSPR_EFETCH, as for feed. */
apr_status_t ocspr_http_parser_eof(ocspr_http_parser_t *ps);

/* What the parser is waiting for, to name it in reasons: "response
 * headers", "response body", "chunk size line", "chunk data", "trailer". */
const char *ocspr_http_parser_expecting(const ocspr_http_parser_t *ps);

/* Non-zero when the connection may carry another request: the response
 * completed OK, says HTTP/1.1, was framed by exactly one of Content-Length
 * and chunked, has no "Connection: close", and nothing came after it. */
int ocspr_http_parser_reusable(const ocspr_http_parser_t *ps);

/* A whole response as received, followed by the close of the connection:
 * what tests and the fuzzer use. Fills res like the parser (method and
 * latency stay zero); reusable (may be NULL) as ocspr_http_parser_reusable.
 * Returns APR_SUCCESS when res->outcome is OK, OCSPR_EFETCH otherwise. */
apr_status_t ocspr_http_parse_response(ocspr_http_result_t *res, int *reusable, apr_pool_t *p,
                                       const void *data, apr_size_t len, apr_size_t max_body,
                                       apr_size_t max_headers);

/* Shared by parser and transport: record a failure in res (the reason is
 * allocated from p) and return OCSPR_EFETCH. */
apr_status_t ocspr_http_fail(ocspr_http_result_t *res, apr_pool_t *p, ocspr_outcome_t outcome,
                             const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* A peer-supplied string made safe to quote in a reason or a log line:
 * printable ASCII only ('?' for the rest), at most 120 bytes, then "...". */
const char *ocspr_http_quote(apr_pool_t *p, const char *s, apr_size_t len);

#endif /* OCSPR_HTTP_PARSE_H */
