/* libFuzzer target: the HTTP response parser (ocspr_http_parse.c), which
 * reads whatever a responder, a proxy or the network sends.
 *
 * Each input is a response as received, followed by the close. It is parsed
 * with the default caps and with small ones, whole, cut in two at a point
 * the input chooses, and (when short) one byte at a time.
 *
 * Properties asserted:
 * - the result is one the parser may give: OK, redirect, HTTP status,
 *   content type, oversize, truncated or protocol, with APR_SUCCESS exactly
 *   when it is OK;
 * - the reason is never NULL or empty, and is printable ASCII of bounded
 *   length (it goes into logs: no responder byte may inject a line);
 * - OK means HTTP 200, an application/ocsp-response Content-Type and a body
 *   of 1..max_body bytes, never more than was received; anything else has no
 *   body; a status is 0 or 100..599;
 * - a connection is reusable only after an OK response;
 * - the result does not depend on how the bytes were cut into pieces. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ocspr_http_parse.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) { abort(); } } while (0)

/* Inputs up to this size are also fed one byte at a time. */
#define BYTEWISE_MAX 4096
/* Longest reason: our words plus a few quotes of at most 123 bytes each. */
#define REASON_MAX 1024

static apr_pool_t *root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    apr_initialize();
    apr_pool_create(&root, NULL);
    return 0;
}

typedef struct {
    apr_status_t rv;
    ocspr_http_result_t res;
    int reusable;
} parsed_t;

static int may_come_from_parser(ocspr_outcome_t outcome)
{
    switch (outcome) {
    case OCSPR_OUTCOME_OK:
    case OCSPR_OUTCOME_REDIRECT:
    case OCSPR_OUTCOME_HTTP_STATUS:
    case OCSPR_OUTCOME_CONTENT_TYPE:
    case OCSPR_OUTCOME_OVERSIZE:
    case OCSPR_OUTCOME_TRUNCATED:
    case OCSPR_OUTCOME_PROTOCOL:
        return 1;
    default:
        return 0;
    }
}

static void check_result(const parsed_t *r, size_t size, apr_size_t max_body)
{
    const ocspr_http_result_t *res = &r->res;
    const char *c;

    FUZZ_ASSERT(res->outcome < OCSPR_OUTCOME_COUNT && may_come_from_parser(res->outcome));
    FUZZ_ASSERT((r->rv == APR_SUCCESS) == (res->outcome == OCSPR_OUTCOME_OK));
    FUZZ_ASSERT(r->rv == APR_SUCCESS || r->rv == OCSPR_EFETCH);
    FUZZ_ASSERT(res->reason != NULL && res->reason[0] != '\0');
    for (c = res->reason; *c; c++) {
        FUZZ_ASSERT((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);
    }
    FUZZ_ASSERT(c - res->reason < REASON_MAX);
    FUZZ_ASSERT(res->http_status == 0 || (res->http_status >= 100 && res->http_status <= 599));
    if (res->outcome == OCSPR_OUTCOME_OK) {
        FUZZ_ASSERT(res->http_status == 200);
        FUZZ_ASSERT(res->content_type != NULL
                    && strncasecmp(res->content_type, "application/ocsp-response", 25) == 0);
        FUZZ_ASSERT(res->body != NULL && res->body_len >= 1);
        FUZZ_ASSERT(res->body_len <= max_body && res->body_len <= size);
    }
    else {
        FUZZ_ASSERT(res->body == NULL && res->body_len == 0);
        FUZZ_ASSERT(!r->reusable);
    }
}

static int same_string(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void check_same(const parsed_t *a, const parsed_t *b)
{
    FUZZ_ASSERT(a->rv == b->rv && a->reusable == b->reusable);
    FUZZ_ASSERT(a->res.outcome == b->res.outcome && a->res.http_status == b->res.http_status);
    FUZZ_ASSERT(strcmp(a->res.reason, b->res.reason) == 0);
    FUZZ_ASSERT(same_string(a->res.content_type, b->res.content_type));
    FUZZ_ASSERT(same_string(a->res.location, b->res.location));
    FUZZ_ASSERT(a->res.body_len == b->res.body_len);
    FUZZ_ASSERT(a->res.body_len == 0 || memcmp(a->res.body, b->res.body, a->res.body_len) == 0);
}

/* Feed data in pieces of at most `piece` bytes, the first one `first` bytes
 * long, then the close. */
static void parse_in_pieces(parsed_t *out, apr_pool_t *p, const uint8_t *data, size_t size,
                            size_t first, size_t piece, apr_size_t max_body,
                            apr_size_t max_headers)
{
    ocspr_http_parser_t *ps;
    size_t at = 0, n = first;

    memset(out, 0, sizeof(*out));
    ps = ocspr_http_parser_create(&out->res, p, p, max_body, max_headers, NULL);
    out->rv = APR_INCOMPLETE;
    while (at < size && out->rv == APR_INCOMPLETE) {
        if (n > size - at) {
            n = size - at;
        }
        out->rv = ocspr_http_parser_feed(ps, data + at, n);
        at += n;
        n = piece;
    }
    if (out->rv == APR_INCOMPLETE) {
        out->rv = ocspr_http_parser_eof(ps);
    }
    /* Whatever was not fed follows the response: the whole-buffer parse
     * saw it too. */
    if (at < size) {
        FUZZ_ASSERT(ocspr_http_parser_feed(ps, data + at, size - at) == out->rv);
    }
    out->reusable = ocspr_http_parser_reusable(ps);
}

static void parse_every_way(apr_pool_t *p, const uint8_t *data, size_t size,
                            apr_size_t max_body, apr_size_t max_headers)
{
    parsed_t whole, cut;
    size_t at = 0, i;

    memset(&whole, 0, sizeof(whole));
    whole.rv = ocspr_http_parse_response(&whole.res, &whole.reusable, p, data, size, max_body,
                                         max_headers);
    check_result(&whole, size, max_body ? max_body : OCSPR_RESPONSE_MAX_SIZE);

    for (i = 0; i < size; i++) {
        at = at * 31 + data[i];
    }
    at = size ? at % (size + 1) : 0;
    parse_in_pieces(&cut, p, data, size, at, size, max_body, max_headers);
    check_same(&whole, &cut);
    if (size <= BYTEWISE_MAX) {
        parse_in_pieces(&cut, p, data, size, 1, 1, max_body, max_headers);
        check_same(&whole, &cut);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;

    apr_pool_create(&p, root);
    parse_every_way(p, data, size, 0, 0);
    apr_pool_clear(p);
    parse_every_way(p, data, size, 64, 256);
    apr_pool_destroy(p);
    return 0;
}
