/* libFuzzer target: OCSP response validation (ocspr_response.c), the gate
 * between a responder (or a store file, or a fleet peer) and a staple.
 *
 * The input is validated as a response for good.pem and for revoked.pem
 * (issuer int.pem) from test/fuzz/data, at the fixed time the seeds were made
 * (data/now), and again thirty-one days later (after every seed's nextUpdate)
 * with a maximum age. Properties asserted:
 * - a verdict is total: APR_SUCCESS with a stapleable status and sane times,
 *   or OCSPR_EINVALID with a known reject code and a reason;
 * - an accepted response is within its validity at `now` (skew allowed),
 *   nextUpdate > thisUpdate, producedAt not beyond the skew, revoked carries
 *   a revocation time, and later than nextUpdate the same bytes are refused;
 * - the reason is one log line (no control byte);
 * - OpenSSL's error queue is left empty. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "ocspr_response.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) { \
    fprintf(stderr, "assertion failed: %s (line %d)\n", #cond, __LINE__); abort(); } } while (0)
#define SKEW apr_time_from_sec(300)

static apr_pool_t *root;
static const ocspr_cert_t *issuer;
static const ocspr_cert_t *leaves[2];
static apr_time_t seed_time;
/* Debian's APR allocates pool memory with mmap, which LeakSanitizer does not
 * scan: the certificates are also held here, or they would look leaked. */
static X509 *held[3];

static const ocspr_cert_t *load_cert(const char *name)
{
    apr_array_header_t *certs = NULL;
    const char *path = apr_pstrcat(root, OCSPR_FUZZ_DATA_DIR, "/", name, NULL);

    if (ocspr_chain_load_file(&certs, NULL, root, path) != APR_SUCCESS || certs->nelts < 1) {
        fprintf(stderr, "fuzz_response: cannot load %s\n", path);
        abort();
    }
    return APR_ARRAY_IDX(certs, 0, const ocspr_cert_t *);
}

static const ocspr_cert_t *hold(const ocspr_cert_t *cert, int slot)
{
    held[slot] = ocspr_cert_x509(cert);
    return cert;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *path;
    FILE *f;
    long long now = 0;

    apr_initialize();
    apr_pool_create(&root, NULL);
    issuer = hold(load_cert("int.pem"), 0);
    leaves[0] = hold(load_cert("good.pem"), 1);
    leaves[1] = hold(load_cert("revoked.pem"), 2);
    path = apr_pstrcat(root, OCSPR_FUZZ_DATA_DIR, "/now", NULL);
    f = fopen(path, "r");
    if (f == NULL || fscanf(f, "%lld", &now) != 1 || now <= 0) {
        fprintf(stderr, "fuzz_response: no time in %s\n", path);
        abort();
    }
    fclose(f);
    seed_time = apr_time_from_sec(now) + apr_time_from_sec(60);
    return 0;
}

static void check_reason(const char *reason)
{
    const unsigned char *c;

    FUZZ_ASSERT(reason != NULL && *reason != '\0');
    for (c = (const unsigned char *)reason; *c; c++) {
        FUZZ_ASSERT(*c >= 0x20 && *c != 0x7f);
    }
}

static void check_accepted(const ocspr_response_info_t *info, apr_time_t now)
{
    FUZZ_ASSERT(info->reject == OCSPR_REJECT_NONE && info->reason == NULL);
    FUZZ_ASSERT(info->response_status == 0);
    FUZZ_ASSERT(info->cert_status == OCSPR_CERT_STATUS_GOOD
                || info->cert_status == OCSPR_CERT_STATUS_REVOKED
                || info->cert_status == OCSPR_CERT_STATUS_UNKNOWN);
    FUZZ_ASSERT(info->next_update > info->this_update);
    FUZZ_ASSERT(info->this_update <= now + SKEW && info->next_update > now);
    FUZZ_ASSERT(info->produced_at > 0 && info->produced_at <= now + SKEW);
    FUZZ_ASSERT((info->cert_status == OCSPR_CERT_STATUS_REVOKED) == (info->revoked_at > 0));
    FUZZ_ASSERT(info->responder_id != NULL);
}

static void check_rejected(const ocspr_response_info_t *info, apr_status_t rv)
{
    FUZZ_ASSERT(rv == OCSPR_EINVALID);
    FUZZ_ASSERT(info->reject > OCSPR_REJECT_NONE && info->reject < OCSPR_REJECT_COUNT);
    FUZZ_ASSERT(strcmp(ocspr_reject_name(info->reject), "unknown_reject") != 0);
    check_reason(info->reason);
    FUZZ_ASSERT(info->cert_status == OCSPR_CERT_STATUS_NONE && info->next_update == 0
                && info->responder_id == NULL);
}

static void validate_at(apr_pool_t *p, const uint8_t *data, size_t size,
                        const ocspr_cert_t *leaf, apr_time_t now, apr_interval_time_t max_age)
{
    ocspr_validate_opts_t opts = { .clock_skew = SKEW, .now = now, .max_age = max_age };
    ocspr_response_info_t info, later;
    apr_status_t rv = ocspr_response_validate(&info, p, data, size, leaf, issuer, &opts);

    FUZZ_ASSERT(ERR_peek_error() == 0);
    if (rv != APR_SUCCESS) {
        check_rejected(&info, rv);
        return;
    }
    check_accepted(&info, now);
    /* At nextUpdate the same bytes are expired, whatever else they say. */
    opts.now = info.next_update;
    rv = ocspr_response_validate(&later, p, data, size, leaf, issuer, &opts);
    FUZZ_ASSERT(rv == OCSPR_EINVALID && later.reject != OCSPR_REJECT_NONE);
    FUZZ_ASSERT(ERR_peek_error() == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    int i;

    apr_pool_create(&p, root);
    for (i = 0; i < 2; i++) {
        validate_at(p, data, size, leaves[i], seed_time, 0);
        validate_at(p, data, size, leaves[i], seed_time + apr_time_from_sec(31 * 86400),
                    apr_time_from_sec(3600));
    }
    apr_pool_destroy(p);
    ERR_clear_error();
    return 0;
}
