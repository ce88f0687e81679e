/* libFuzzer target: the certificate loader (ocspr_chain_load_mem: PEM, DER,
 * PKCS#7) and the accessors that read what a certificate says, all of which
 * see files an administrator names and, at diagnostics, bytes from a CA.
 *
 * Properties asserted:
 * - a load either fails with OCSPR_EINVALID and nothing returned, or returns
 *   at least one certificate and a known format;
 * - every accessor copes with whatever certificate OpenSSL accepted;
 * - every AIA URL handed out is visible ASCII (anything else is refused with
 *   a reason), and names, serials and refusals are each one log line;
 * - a loaded certificate written as PEM loads back as the same certificate
 *   (same id). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "ocspr_cert.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) { \
    fprintf(stderr, "assertion failed: %s (line %d)\n", #cond, __LINE__); abort(); } } while (0)

static apr_pool_t *root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_initialize();
    apr_pool_create(&root, NULL);
    return 0;
}

static void check_one_line(const char *text)
{
    const unsigned char *c;

    if (text == NULL) {
        return;
    }
    for (c = (const unsigned char *)text; *c; c++) {
        FUZZ_ASSERT(*c >= 0x20 && *c != 0x7f);
    }
}

static void check_urls(const apr_array_header_t *urls, const char *refusal)
{
    int i;

    for (i = 0; i < urls->nelts; i++) {
        const unsigned char *c = APR_ARRAY_IDX(urls, i, const unsigned char *);

        FUZZ_ASSERT(*c != '\0');
        for (; *c; c++) {
            FUZZ_ASSERT(*c >= 0x21 && *c <= 0x7e);
        }
    }
    check_one_line(refusal);
}

static void check_cert(apr_pool_t *p, const ocspr_cert_t *cert)
{
    unsigned char id[OCSPR_CERT_ID_LEN];

    FUZZ_ASSERT(ocspr_cert_id(id, cert) == APR_SUCCESS);
    /* Names are printed RFC 2253-escaped: safe for a log line as they are. */
    check_one_line(ocspr_cert_subject(cert, p));
    check_one_line(ocspr_cert_issuer_name(cert, p));
    check_one_line(ocspr_cert_serial(cert, p));
    (void)ocspr_cert_key_type(cert, p);
    (void)ocspr_cert_not_before(cert);
    (void)ocspr_cert_not_after(cert);
    (void)ocspr_cert_subject_key_id(cert, p);
    (void)ocspr_cert_authority_key_id(cert, p);
    (void)ocspr_cert_is_self_signed(cert);
    (void)ocspr_cert_is_ca(cert);
    (void)ocspr_cert_must_staple(cert);
    check_urls(ocspr_cert_ocsp_urls(cert, p), ocspr_cert_ocsp_url_refusal(cert, p));
    check_urls(ocspr_cert_ca_issuers_urls(cert, p), ocspr_cert_ca_issuers_url_refusal(cert, p));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    apr_array_header_t *certs = NULL;
    ocspr_cert_format_t format = OCSPR_FORMAT_UNKNOWN;
    apr_status_t rv;
    int i;

    apr_pool_create(&p, root);
    rv = ocspr_chain_load_mem(&certs, &format, p, data, size);
    if (rv != APR_SUCCESS) {
        FUZZ_ASSERT(rv == OCSPR_EINVALID && certs == NULL && format == OCSPR_FORMAT_UNKNOWN);
    }
    else {
        FUZZ_ASSERT(certs != NULL && certs->nelts >= 1);
        FUZZ_ASSERT(format == OCSPR_FORMAT_PEM || format == OCSPR_FORMAT_DER
                    || format == OCSPR_FORMAT_PKCS7);
        for (i = 0; i < certs->nelts; i++) {
            check_cert(p, APR_ARRAY_IDX(certs, i, const ocspr_cert_t *));
        }
    }
    apr_pool_destroy(p);
    ERR_clear_error();
    return 0;
}
