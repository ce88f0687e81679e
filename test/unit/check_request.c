/* Tests for ocspr_request.c: the DER is parsed back with OpenSSL and fed to
 * `openssl ocsp`, the GET URL is decoded back to the DER. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include "check_support.h"
#include "ocspr_request.h"

#define RESPONDER_URL "http://127.0.0.1:18080/ocsp"

static void build_ok(unsigned char **pder, apr_size_t *plen, const char *leaf, int with_nonce)
{
    apr_status_t rv = ocspr_request_build(pder, plen, ocspr_test_pool,
                                          ocspr_test_cert(ocspr_test_pool, leaf),
                                          ocspr_test_cert(ocspr_test_pool, "int"), with_nonce);

    ck_assert_int_eq(rv, APR_SUCCESS);
    ck_assert_ptr_nonnull(*pder);
    ck_assert_uint_gt(*plen, 0);
}

/* Parse the whole DER back; trailing bytes would be a broken encoding. */
static OCSP_REQUEST *parse_request(const unsigned char *der, apr_size_t len)
{
    const unsigned char *cursor = der;
    OCSP_REQUEST *req = d2i_OCSP_REQUEST(NULL, &cursor, (long)len);

    ck_assert_ptr_nonnull(req);
    ck_assert_ptr_eq(cursor, der + len);
    return req;
}

static int has_nonce(OCSP_REQUEST *req)
{
    return OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1) >= 0;
}

/* The request carries exactly one CertID: SHA-1 over (leaf, int). */
static void assert_single_certid(OCSP_REQUEST *req, const char *leaf)
{
    X509 *subject = ocspr_cert_x509(ocspr_test_cert(ocspr_test_pool, leaf));
    X509 *issuer = ocspr_cert_x509(ocspr_test_cert(ocspr_test_pool, "int"));
    X509 *same_name = ocspr_cert_x509(ocspr_test_cert(ocspr_test_pool, "int-otherkey"));
    OCSP_CERTID *expected = OCSP_cert_to_id(EVP_sha1(), subject, issuer);
    OCSP_CERTID *other_key = OCSP_cert_to_id(EVP_sha1(), subject, same_name);
    OCSP_CERTID *got;
    ASN1_OBJECT *hash_alg = NULL;

    ck_assert_ptr_nonnull(expected);
    ck_assert_ptr_nonnull(other_key);
    ck_assert_int_eq(OCSP_request_onereq_count(req), 1);
    got = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0));
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(OCSP_id_get0_info(NULL, &hash_alg, NULL, NULL, got), 1);
    ck_assert_int_eq(OBJ_obj2nid(hash_alg), NID_sha1);
    ck_assert_int_eq(OCSP_id_cmp(got, expected), 0);
    /* The comparison can fail: the same serial under another issuer key differs. */
    ck_assert_int_ne(OCSP_id_cmp(got, other_key), 0);
    OCSP_CERTID_free(expected);
    OCSP_CERTID_free(other_key);
}

START_TEST(test_build_without_nonce)
{
    unsigned char *der;
    apr_size_t len;
    OCSP_REQUEST *req;

    build_ok(&der, &len, "good", 0);
    req = parse_request(der, len);
    assert_single_certid(req, "good");
    ck_assert(!has_nonce(req));
    ck_assert_int_eq(OCSP_REQUEST_get_ext_count(req), 0);
    ck_assert_int_eq(OCSP_request_is_signed(req), 0);
    OCSP_REQUEST_free(req);
}
END_TEST

START_TEST(test_build_is_deterministic_without_nonce)
{
    unsigned char *first, *second;
    apr_size_t first_len, second_len;

    /* What lets responders and CDNs cache (RFC 5019). */
    build_ok(&first, &first_len, "good", 0);
    build_ok(&second, &second_len, "good", 0);
    ck_assert_uint_eq(first_len, second_len);
    ck_assert_int_eq(memcmp(first, second, first_len), 0);
}
END_TEST

START_TEST(test_build_with_nonce)
{
    unsigned char *der, *again;
    apr_size_t len, again_len;
    OCSP_REQUEST *req;

    build_ok(&der, &len, "good-ec", 1);
    req = parse_request(der, len);
    assert_single_certid(req, "good-ec");
    ck_assert(has_nonce(req));
    OCSP_REQUEST_free(req);

    /* A nonce is random: two requests differ. */
    build_ok(&again, &again_len, "good-ec", 1);
    ck_assert(again_len != len || memcmp(der, again, len) != 0);
}
END_TEST

START_TEST(test_build_rejects_missing_certs)
{
    unsigned char *der = (unsigned char *)"x";
    apr_size_t len = 1;
    const ocspr_cert_t *good = ocspr_test_cert(ocspr_test_pool, "good");

    ck_assert_int_eq(ocspr_request_build(&der, &len, ocspr_test_pool, good, NULL, 0), APR_EINVAL);
    ck_assert_ptr_null(der);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(ocspr_request_build(&der, &len, ocspr_test_pool, NULL, good, 0), APR_EINVAL);
}
END_TEST

/* Run a shell command; its whole output (bounded) and exit status. */
static const char *command_output(int *pstatus, const char *cmd)
{
    char buf[16384];
    FILE *f = popen(cmd, "r");
    size_t n;

    ck_assert_msg(f != NULL, "popen %s", cmd);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    *pstatus = pclose(f);
    buf[n] = '\0';
    return apr_pstrdup(ocspr_test_pool, buf);
}

START_TEST(test_openssl_accepts_request)
{
    char *path = apr_pstrdup(ocspr_test_pool, "/tmp/ocspr-req-XXXXXX");
    const char *serial_line, *request_text, *response_text;
    int request_status, response_status;
    apr_file_t *f;
    apr_size_t written;
    unsigned char *der;
    apr_size_t len;
    X509 *good = ocspr_cert_x509(ocspr_test_cert(ocspr_test_pool, "good"));
    BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(good), NULL);
    char *serial_hex = BN_bn2hex(serial);

    ck_assert_ptr_nonnull(serial_hex);
    serial_line = apr_pstrcat(ocspr_test_pool, "Serial Number: ", serial_hex, NULL);
    OPENSSL_free(serial_hex);
    BN_free(serial);

    build_ok(&der, &len, "good", 0);
    /* Explicit flags: the default ones delete the file on close. */
    ck_assert_int_eq(apr_file_mktemp(&f, path, APR_FOPEN_CREATE | APR_FOPEN_WRITE | APR_FOPEN_EXCL
                                     | APR_FOPEN_BINARY, ocspr_test_pool), APR_SUCCESS);
    ck_assert_int_eq(apr_file_write_full(f, der, len, &written), APR_SUCCESS);
    apr_file_close(f);
    request_text = command_output(&request_status, apr_psprintf(ocspr_test_pool,
                                  "openssl ocsp -reqin '%s' -req_text 2>&1", path));
    /* OpenSSL's responder must find the certificate the request names. */
    response_text = command_output(&response_status, apr_psprintf(ocspr_test_pool,
                        "cd '%s' && openssl ocsp -index index.txt -CA int.pem -rsigner ocsp.pem"
                        " -rkey ocsp.key -reqin '%s' -respout /dev/stdout 2>/dev/null"
                        " | openssl ocsp -respin /dev/stdin -resp_text -noverify 2>&1",
                        ocspr_test_pki_dir(), path));
    apr_file_remove(path, ocspr_test_pool);

    ck_assert_msg(request_status == 0, "openssl ocsp -req_text failed:\n%s", request_text);
    ck_assert_msg(strstr(request_text, "Hash Algorithm: sha1") != NULL, "%s", request_text);
    ck_assert_msg(strstr(request_text, serial_line) != NULL, "no '%s' in:\n%s",
                  serial_line, request_text);
    ck_assert_msg(strstr(request_text, "Nonce") == NULL, "unexpected nonce:\n%s", request_text);
    ck_assert_msg(response_status == 0 && strstr(response_text, "Cert Status: good") != NULL,
                  "responder answer:\n%s", response_text);
}
END_TEST

START_TEST(test_same_bytes_as_openssl_cli)
{
    char *path = apr_pstrdup(ocspr_test_pool, "/tmp/ocspr-req-XXXXXX");
    unsigned char *ours, *theirs = NULL;
    apr_size_t ours_len, theirs_len = 0;
    apr_file_t *f;
    int status;

    build_ok(&ours, &ours_len, "good", 0);
    ck_assert_int_eq(apr_file_mktemp(&f, path, APR_FOPEN_CREATE | APR_FOPEN_WRITE | APR_FOPEN_EXCL,
                                     ocspr_test_pool), APR_SUCCESS);
    apr_file_close(f);
    command_output(&status, apr_psprintf(ocspr_test_pool,
                   "cd '%s' && openssl ocsp -issuer int.pem -cert good.pem -no_nonce -reqout '%s'"
                   " 2>&1", ocspr_test_pki_dir(), path));
    if (status == 0) {
        ocspr_test_read_file(&theirs, &theirs_len, ocspr_test_pool, path);
    }
    apr_file_remove(path, ocspr_test_pool);
    ck_assert_int_eq(status, 0);
    ck_assert_uint_eq(ours_len, theirs_len);
    ck_assert_int_eq(memcmp(ours, theirs, ours_len), 0);
}
END_TEST

/* Undo the GET encoding: %XX escapes, then base64. */
static void decode_get_suffix(unsigned char **pder, apr_size_t *plen, const char *suffix)
{
    char *b64 = apr_palloc(ocspr_test_pool, strlen(suffix) + 1), *w = b64;
    size_t b64_len, padding = 0;
    int decoded;

    for (; *suffix; suffix++) {
        ck_assert_msg(strchr("+/=", *suffix) == NULL, "unescaped '%c' in URL", *suffix);
        if (*suffix == '%') {
            unsigned int c;

            ck_assert_int_eq(sscanf(suffix + 1, "%2x", &c), 1);
            *w++ = (char)c;
            suffix += 2;
        }
        else {
            *w++ = *suffix;
        }
    }
    *w = '\0';
    b64_len = strlen(b64);
    ck_assert_uint_eq(b64_len % 4, 0);
    while (padding < b64_len && b64[b64_len - 1 - padding] == '=') {
        padding++;
    }
    *pder = apr_palloc(ocspr_test_pool, b64_len);
    decoded = EVP_DecodeBlock(*pder, (unsigned char *)b64, (int)b64_len);
    ck_assert_int_ge(decoded, (int)padding);
    *plen = (apr_size_t)decoded - padding;
}

START_TEST(test_get_url_decodes_to_request)
{
    unsigned char *der, *decoded;
    apr_size_t len, decoded_len;
    const char *url, *url_slash;

    build_ok(&der, &len, "good", 0);
    url = ocspr_request_get_url(ocspr_test_pool, RESPONDER_URL, der, len);
    ck_assert_ptr_nonnull(url);
    ck_assert_int_eq(strncmp(url, RESPONDER_URL "/", strlen(RESPONDER_URL) + 1), 0);
    ck_assert_uint_le(strlen(url), 255);
    decode_get_suffix(&decoded, &decoded_len, url + strlen(RESPONDER_URL) + 1);
    ck_assert_uint_eq(decoded_len, len);
    ck_assert_int_eq(memcmp(decoded, der, len), 0);

    /* One separator whether or not the base URL ends with '/'. */
    url_slash = ocspr_request_get_url(ocspr_test_pool, RESPONDER_URL "/", der, len);
    ck_assert_ptr_nonnull(url_slash);
    ck_assert_str_eq(url_slash, url);
    ck_assert_str_eq(ocspr_request_get_url(ocspr_test_pool, RESPONDER_URL "//", der, len), url);
}
END_TEST

START_TEST(test_get_url_escapes_base64)
{
    static const unsigned char all_specials[] = { 0xfb, 0xff };   /* base64 "+/8=" */
    static const unsigned char plain[] = { 'a', 'b', 'c' };       /* base64 "YWJj" */

    ck_assert_str_eq(ocspr_request_get_url(ocspr_test_pool, "http://x", all_specials, 2),
                     "http://x/%2B%2F8%3D");
    ck_assert_str_eq(ocspr_request_get_url(ocspr_test_pool, "http://x/", plain, 3),
                     "http://x/YWJj");
    ck_assert_str_eq(ocspr_request_get_url(ocspr_test_pool, "http://x", plain, 1),
                     "http://x/YQ%3D%3D");
}
END_TEST

START_TEST(test_get_url_length_limit)
{
    static const unsigned char too_big[200];
    unsigned char *der;
    apr_size_t len, suffix_len;
    const char *url;
    char *base;

    build_ok(&der, &len, "good", 0);
    url = ocspr_request_get_url(ocspr_test_pool, "http://h", der, len);
    ck_assert_ptr_nonnull(url);
    suffix_len = strlen(url) - strlen("http://h");   /* "/" + encoded request */
    ck_assert_uint_lt(suffix_len, 250);

    /* A base URL that makes the total exactly 255 bytes still works... */
    base = apr_palloc(ocspr_test_pool, 256);
    memcpy(base, "http://", 7);
    memset(base + 7, 'h', 255 - suffix_len - 7);
    base[255 - suffix_len] = '\0';
    url = ocspr_request_get_url(ocspr_test_pool, base, der, len);
    ck_assert_ptr_nonnull(url);
    ck_assert_uint_eq(strlen(url), 255);

    /* ...one byte more and RFC 5019 says POST. */
    base[255 - suffix_len] = 'h';
    base[256 - suffix_len] = '\0';
    ck_assert_ptr_null(ocspr_request_get_url(ocspr_test_pool, base, der, len));

    /* A request too big for any GET, and missing input. */
    ck_assert_ptr_null(ocspr_request_get_url(ocspr_test_pool, "http://h", too_big,
                                             sizeof(too_big)));
    ck_assert_ptr_null(ocspr_request_get_url(ocspr_test_pool, "http://h", der, 0));
    ck_assert_ptr_null(ocspr_request_get_url(ocspr_test_pool, "http://h", NULL, len));
    ck_assert_ptr_null(ocspr_request_get_url(ocspr_test_pool, NULL, der, len));
}
END_TEST

Suite *ocspr_suite_request(void)
{
    Suite *s = suite_create("request");
    TCase *build = tcase_create("build");
    TCase *get = tcase_create("get_url");

    /* Runs `openssl ocsp` as a subprocess. */
    tcase_set_timeout(build, 30);
    ocspr_tc_add_pool_fixture(build);
    ocspr_tc_add_pool_fixture(get);

    tcase_add_test(build, test_build_without_nonce);
    tcase_add_test(build, test_build_is_deterministic_without_nonce);
    tcase_add_test(build, test_build_with_nonce);
    tcase_add_test(build, test_build_rejects_missing_certs);
    tcase_add_test(build, test_openssl_accepts_request);
    tcase_add_test(build, test_same_bytes_as_openssl_cli);

    tcase_add_test(get, test_get_url_decodes_to_request);
    tcase_add_test(get, test_get_url_escapes_base64);
    tcase_add_test(get, test_get_url_length_limit);

    suite_add_tcase(s, build);
    suite_add_tcase(s, get);
    return s;
}
