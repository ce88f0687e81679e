/* Tests for ocspr_cert.c: loading every file format, identity, extensions,
 * issuer search. Expected values come from the openssl command line or from
 * OpenSSL calls independent of the code under test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "check_support.h"

/* ---- helpers ----------------------------------------------------------- */

static apr_array_header_t *load_ok(const char *path, ocspr_cert_format_t expected_format)
{
    apr_array_header_t *certs = NULL;
    ocspr_cert_format_t format = OCSPR_FORMAT_UNKNOWN;
    apr_status_t rv = ocspr_chain_load_file(&certs, &format, ocspr_test_pool, path);

    ck_assert_msg(rv == APR_SUCCESS, "loading %s: %d", path, rv);
    ck_assert_ptr_nonnull(certs);
    ck_assert_int_eq(format, expected_format);
    return certs;
}

static const ocspr_cert_t *nth(const apr_array_header_t *certs, int i)
{
    ck_assert_int_lt(i, certs->nelts);
    return APR_ARRAY_IDX(certs, i, const ocspr_cert_t *);
}

static int same_cert(const ocspr_cert_t *a, const ocspr_cert_t *b)
{
    return X509_cmp(ocspr_cert_x509(a), ocspr_cert_x509(b)) == 0;
}

static void assert_load_mem_fails(const void *data, apr_size_t len, const char *what)
{
    apr_array_header_t sentinel;
    apr_array_header_t *certs = &sentinel;  /* must be reset to NULL */
    ocspr_cert_format_t format = OCSPR_FORMAT_DER;
    apr_status_t rv = ocspr_chain_load_mem(&certs, &format, ocspr_test_pool, data, len);

    ck_assert_msg(rv == OCSPR_EINVALID, "%s (%lu bytes): expected OCSPR_EINVALID, got %d",
                  what, (unsigned long)len, rv);
    ck_assert_ptr_null(certs);
    ck_assert_int_eq(format, OCSPR_FORMAT_UNKNOWN);
}

static apr_array_header_t *load_mem_ok(const void *data, apr_size_t len,
                                       ocspr_cert_format_t expected_format)
{
    apr_array_header_t *certs = NULL;
    ocspr_cert_format_t format = OCSPR_FORMAT_UNKNOWN;
    apr_status_t rv = ocspr_chain_load_mem(&certs, &format, ocspr_test_pool, data, len);

    ck_assert_msg(rv == APR_SUCCESS, "load_mem of %lu bytes: %d", (unsigned long)len, rv);
    ck_assert_int_eq(format, expected_format);
    return certs;
}

static void read_pki(unsigned char **pdata, apr_size_t *plen, const char *file)
{
    ocspr_test_read_file(pdata, plen, ocspr_test_pool, ocspr_test_pki_path(ocspr_test_pool, file));
}

/* First line of a shell command's output, without the newline. */
static const char *command_line(const char *cmd)
{
    char line[1024];
    FILE *f = popen(cmd, "r");
    char *got;
    int rc;

    ck_assert_msg(f != NULL, "popen %s", cmd);
    got = fgets(line, sizeof(line), f);
    rc = pclose(f);
    ck_assert_msg(got != NULL && rc == 0, "command failed (%d): %s", rc, cmd);
    line[strcspn(line, "\r\n")] = '\0';
    return apr_pstrdup(ocspr_test_pool, line);
}

static ocspr_cert_t *pki_cert(const char *name)
{
    return ocspr_test_cert(ocspr_test_pool, name);
}

static const char *pki(const char *file)
{
    return ocspr_test_pki_path(ocspr_test_pool, file);
}

static const char *strip_colons(const char *s)
{
    char *out = apr_pstrdup(ocspr_test_pool, s), *w = out;

    for (; *s; s++) {
        if (*s != ':' && *s != ' ') {
            *w++ = *s;
        }
    }
    *w = '\0';
    return out;
}

static char *make_tmpdir(void)
{
    char *dir = apr_pstrdup(ocspr_test_pool, "/tmp/ocspr-cert-XXXXXX");

    ck_assert_ptr_nonnull(mkdtemp(dir));
    return dir;
}

static void remove_tmpdir(const char *dir)
{
    ck_assert_int_eq(system(apr_psprintf(ocspr_test_pool, "rm -rf '%s'", dir)), 0);
}

static void write_file(const char *path, const void *data, apr_size_t len)
{
    apr_file_t *f;
    apr_size_t written;

    ck_assert_int_eq(apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_TRUNCATE
                                   | APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT, ocspr_test_pool),
                     APR_SUCCESS);
    ck_assert_int_eq(apr_file_write_full(f, data, len, &written), APR_SUCCESS);
    ck_assert_int_eq(apr_file_close(f), APR_SUCCESS);
}

/* Grow (sparsely, with zero bytes) or shrink a file to `size` bytes. */
static void resize_file(const char *path, apr_off_t size)
{
    apr_file_t *f;

    ck_assert_int_eq(apr_file_open(&f, path, APR_FOPEN_WRITE, APR_FPROT_OS_DEFAULT,
                                   ocspr_test_pool), APR_SUCCESS);
    ck_assert_int_eq(apr_file_trunc(f, size), APR_SUCCESS);
    ck_assert_int_eq(apr_file_close(f), APR_SUCCESS);
}

static BIO *new_mem_bio(void)
{
    BIO *bio = BIO_new(BIO_s_mem());

    ck_assert_ptr_nonnull(bio);
    return bio;
}

/* What was written to a memory BIO, as a pool string; frees the BIO. */
static const char *mem_bio_text(BIO *bio)
{
    char *text;
    long n = BIO_get_mem_data(bio, &text);
    const char *result = apr_pstrmemdup(ocspr_test_pool, text, (apr_size_t)n);

    BIO_free(bio);
    return result;
}

/* One PEM block with a chosen label around DER bytes. */
static const char *pem_block(const char *label, const unsigned char *der, apr_size_t len)
{
    BIO *bio = new_mem_bio();

    ck_assert_int_gt(PEM_write_bio(bio, label, "", der, (long)len), 0);
    return mem_bio_text(bio);
}

/* A self-signed certificate made here, for properties the PKI lacks: other key
 * types, unusual serials, no key identifier extensions, chosen TLS features. */
static ocspr_cert_t *make_self_signed(EVP_PKEY *key, long serial, const char *tls_feature)
{
    X509 *x = X509_new();
    X509_NAME *name;

    ck_assert_ptr_nonnull(key);
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
    ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
    ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
    ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
    ck_assert_int_eq(X509_set_pubkey(x, key), 1);
    name = X509_get_subject_name(x);
    ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)"made.test", -1, -1, 0), 1);
    ck_assert_int_eq(X509_set_issuer_name(x, name), 1);
    if (tls_feature != NULL) {
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_tlsfeature, tls_feature);

        ck_assert_ptr_nonnull(ext);
        ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
        X509_EXTENSION_free(ext);
    }
    /* EdDSA signs without a separate digest. */
    ck_assert_int_gt(X509_sign(x, key, EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519
                                       ? NULL : EVP_sha256()), 0);
    EVP_PKEY_free(key);
    return ocspr_cert_wrap(ocspr_test_pool, x);
}

static ocspr_cert_t *make_ed25519(long serial, const char *tls_feature)
{
    return make_self_signed(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), serial, tls_feature);
}

/* ---- loading ----------------------------------------------------------- */

START_TEST(test_load_pem_chain_keeps_order)
{
    apr_array_header_t *certs = load_ok(pki("good.chain.pem"),
                                        OCSPR_FORMAT_PEM);

    ck_assert_int_eq(certs->nelts, 2);
    ck_assert(same_cert(nth(certs, 0), pki_cert("good")));
    ck_assert(same_cert(nth(certs, 1), pki_cert("int")));

    certs = load_ok(pki("ca-chain.pem"), OCSPR_FORMAT_PEM);
    ck_assert_int_eq(certs->nelts, 2);
    ck_assert(same_cert(nth(certs, 0), pki_cert("int")));
    ck_assert(same_cert(nth(certs, 1), pki_cert("root")));
}
END_TEST

START_TEST(test_load_der)
{
    apr_array_header_t *certs = load_ok(pki("int.der"),
                                        OCSPR_FORMAT_DER);

    ck_assert_int_eq(certs->nelts, 1);
    ck_assert(same_cert(nth(certs, 0), pki_cert("int")));
}
END_TEST

START_TEST(test_load_pkcs7_files)
{
    const char *dir = make_tmpdir();
    const char *pki = ocspr_test_pki_dir();
    const char *der_path = apr_pstrcat(ocspr_test_pool, dir, "/chain.p7b", NULL);
    const char *pem_path = apr_pstrcat(ocspr_test_pool, dir, "/chain.p7c", NULL);
    const char *labelled_path = apr_pstrcat(ocspr_test_pool, dir, "/chain.crt", NULL);
    const char *outputs[] = { der_path, pem_path, labelled_path };
    const char *labelled;
    unsigned char *der;
    apr_size_t der_len;
    int rc, i;

    rc = system(apr_psprintf(ocspr_test_pool,
                "openssl crl2pkcs7 -nocrl -certfile '%s/good.pem' -certfile '%s/int.pem'"
                " -outform DER -out '%s' && "
                "openssl crl2pkcs7 -nocrl -certfile '%s/good.pem' -certfile '%s/int.pem'"
                " -outform PEM -out '%s'", pki, pki, der_path, pki, pki, pem_path));
    ck_assert_int_eq(rc, 0);
    /* Some CAs ship the PKCS#7 DER under a CERTIFICATE label. */
    ocspr_test_read_file(&der, &der_len, ocspr_test_pool, der_path);
    labelled = pem_block("CERTIFICATE", der, der_len);
    write_file(labelled_path, labelled, strlen(labelled));

    for (i = 0; i < 3; i++) {
        apr_array_header_t *certs = load_ok(outputs[i], OCSPR_FORMAT_PKCS7);

        ck_assert_int_eq(certs->nelts, 2);
        ck_assert(same_cert(nth(certs, 0), pki_cert("good")));
        ck_assert(same_cert(nth(certs, 1), pki_cert("int")));
    }
    remove_tmpdir(dir);
}
END_TEST

START_TEST(test_load_pkcs7_without_certs)
{
    /* A signed-data bundle carrying no certificate (a CRL-only .p7b) is not a
     * chain, in DER or PEM. */
    PKCS7 *p7 = PKCS7_new();
    unsigned char *der = NULL;
    int len;
    const char *pem;

    ck_assert_ptr_nonnull(p7);
    ck_assert_int_eq(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
    ck_assert_int_eq(PKCS7_content_new(p7, NID_pkcs7_data), 1);
    len = i2d_PKCS7(p7, &der);
    PKCS7_free(p7);
    ck_assert_int_gt(len, 0);
    pem = pem_block("PKCS7", der, (apr_size_t)len);
    assert_load_mem_fails(der, (apr_size_t)len, "PKCS#7 DER without certificates");
    assert_load_mem_fails(pem, strlen(pem), "PKCS#7 PEM without certificates");
    OPENSSL_free(der);
}
END_TEST

/* A PKI file as a string. */
static const char *pki_text(const char *file)
{
    unsigned char *data;
    apr_size_t len;

    read_pki(&data, &len, file);
    return apr_pstrmemdup(ocspr_test_pool, (const char *)data, len);
}

/* A legacy encrypted key block, with Proc-Type/DEK-Info headers. */
static const char *encrypted_key_pem(void)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    BIO *bio = new_mem_bio();
    const char *pem;

    ck_assert_ptr_nonnull(key);
    ck_assert_int_eq(PEM_write_bio_PrivateKey_traditional(bio, key, EVP_aes_128_cbc(),
                                                          (unsigned char *)"secret", 6,
                                                          NULL, NULL), 1);
    EVP_PKEY_free(key);
    pem = mem_bio_text(bio);
    ck_assert_ptr_nonnull(strstr(pem, "Proc-Type: 4,ENCRYPTED"));
    return pem;
}

START_TEST(test_load_pem_skips_keys_and_text)
{
    const char *dir = make_tmpdir();
    const char *path = apr_pstrcat(ocspr_test_pool, dir, "/mixed.pem", NULL);
    const char *mixed;
    apr_array_header_t *certs;

    /* What admins really do: a comment, the key, the cert, another (encrypted)
     * key, the chain, some words. */
    mixed = apr_pstrcat(ocspr_test_pool, "# server.example\nsubject=whatever\n",
                        pki_text("good.key"), pki_text("good.pem"), encrypted_key_pem(),
                        pki_text("good-ec.key"), "\n\n", pki_text("int.pem"),
                        "trailing words\n", NULL);
    certs = load_mem_ok(mixed, strlen(mixed), OCSPR_FORMAT_PEM);
    ck_assert_int_eq(certs->nelts, 2);
    ck_assert(same_cert(nth(certs, 0), pki_cert("good")));
    ck_assert(same_cert(nth(certs, 1), pki_cert("int")));

    write_file(path, mixed, strlen(mixed));
    certs = load_ok(path, OCSPR_FORMAT_PEM);
    ck_assert_int_eq(certs->nelts, 2);
    ck_assert(same_cert(nth(certs, 1), pki_cert("int")));
    remove_tmpdir(dir);
}
END_TEST

START_TEST(test_load_trusted_certificate_block)
{
    X509 *x = X509_dup(ocspr_cert_x509(pki_cert("root")));
    BIO *bio = new_mem_bio();
    const char *pem;
    apr_array_header_t *certs;

    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(X509_add1_trust_object(x, OBJ_nid2obj(NID_server_auth)), 1);
    ck_assert_int_eq(PEM_write_bio_X509_AUX(bio, x), 1);
    X509_free(x);
    pem = mem_bio_text(bio);
    ck_assert_ptr_nonnull(strstr(pem, "BEGIN TRUSTED CERTIFICATE"));
    certs = load_mem_ok(pem, strlen(pem), OCSPR_FORMAT_PEM);
    ck_assert_int_eq(certs->nelts, 1);
    ck_assert(same_cert(nth(certs, 0), pki_cert("root")));
}
END_TEST

START_TEST(test_load_rejects_garbage)
{
    static const unsigned char sequence_junk[] = { 0x30, 0x82, 0xff, 0xff, 0x01, 0x02 };
    static const char not_base64[] =
        "-----BEGIN CERTIFICATE-----\n!!!! not base64 !!!!\n-----END CERTIFICATE-----\n";
    const char *key = pki_text("good.key"), *good = pki_text("good.pem");
    const char *der_in_pem;
    unsigned char *der, *der_trailing;
    char *oversize;
    apr_size_t der_len;

    assert_load_mem_fails("hello world\n", 12, "text");
    assert_load_mem_fails(sequence_junk, sizeof(sequence_junk), "DER-looking junk");
    assert_load_mem_fails("", 0, "empty input");
    assert_load_mem_fails(NULL, 0, "NULL input");
    assert_load_mem_fails(not_base64, strlen(not_base64), "bad base64");

    assert_load_mem_fails(key, strlen(key), "key-only PEM");

    /* A CERTIFICATE block around something that is not a certificate. */
    der_in_pem = pem_block("CERTIFICATE", sequence_junk, sizeof(sequence_junk));
    assert_load_mem_fails(der_in_pem, strlen(der_in_pem), "junk CERTIFICATE block");

    /* DER with trailing bytes is not one certificate. */
    read_pki(&der, &der_len, "int.der");
    der_trailing = apr_palloc(ocspr_test_pool, der_len + 2);
    memcpy(der_trailing, der, der_len);
    memcpy(der_trailing + der_len, "XY", 2);
    assert_load_mem_fails(der_trailing, der_len + 2, "DER with trailing bytes");

    /* Over the cap even though it starts with a good certificate. */
    oversize = apr_pcalloc(ocspr_test_pool, OCSPR_CERT_FILE_MAX + 1);
    memcpy(oversize, good, strlen(good));
    assert_load_mem_fails(oversize, OCSPR_CERT_FILE_MAX + 1, "oversize input");
    ck_assert_int_eq(load_mem_ok(oversize, OCSPR_CERT_FILE_MAX, OCSPR_FORMAT_PEM)->nelts, 1);
}
END_TEST

START_TEST(test_load_truncated_der_every_prefix)
{
    unsigned char *der;
    apr_size_t len, prefix;

    read_pki(&der, &len, "int.der");
    ck_assert_uint_gt(len, 100);
    for (prefix = 0; prefix < len; prefix++) {
        assert_load_mem_fails(der, prefix, "truncated DER");
    }
    ck_assert_int_eq(load_mem_ok(der, len, OCSPR_FORMAT_DER)->nelts, 1);
}
END_TEST

START_TEST(test_load_truncated_pem_every_prefix)
{
    static const char end_marker[] = "-----END CERTIFICATE-----";
    unsigned char *pem;
    apr_size_t len, prefix, complete;
    const char *end;

    read_pki(&pem, &len, "good.chain.pem");
    pem[len] = '\0';
    end = strstr((char *)pem, end_marker);
    ck_assert_ptr_nonnull(end);
    /* Until the first END line is complete there is no certificate at all. */
    complete = (apr_size_t)(end - (char *)pem) + strlen(end_marker);
    for (prefix = 0; prefix < complete; prefix++) {
        assert_load_mem_fails(pem, prefix, "truncated PEM");
    }
    /* A second block cut anywhere after its BEGIN line fails the whole load
     * instead of silently dropping the intermediate. */
    end = strstr(end, "-----BEGIN CERTIFICATE-----\n");
    ck_assert_ptr_nonnull(end);
    for (prefix = (apr_size_t)(end - (char *)pem) + 28; prefix < len - 27; prefix += 7) {
        assert_load_mem_fails(pem, prefix, "truncated second PEM block");
    }
    ck_assert_int_eq(load_mem_ok(pem, complete, OCSPR_FORMAT_PEM)->nelts, 1);
    ck_assert_int_eq(load_mem_ok(pem, len, OCSPR_FORMAT_PEM)->nelts, 2);
}
END_TEST

START_TEST(test_load_file_errors)
{
    apr_array_header_t *certs = NULL;
    ocspr_cert_format_t format = OCSPR_FORMAT_PEM;
    const char *dir = make_tmpdir();
    const char *empty = apr_pstrcat(ocspr_test_pool, dir, "/empty.pem", NULL);
    const char *huge = apr_pstrcat(ocspr_test_pool, dir, "/huge.pem", NULL);
    const char *unreadable = apr_pstrcat(ocspr_test_pool, dir, "/unreadable.pem", NULL);
    apr_status_t rv;

    rv = ocspr_chain_load_file(&certs, &format, ocspr_test_pool,
                               pki("no-such-file.pem"));
    ck_assert_msg(APR_STATUS_IS_ENOENT(rv), "nonexistent file: %d", rv);
    ck_assert_ptr_null(certs);
    ck_assert_int_eq(format, OCSPR_FORMAT_UNKNOWN);

    write_file(empty, "", 0);
    ck_assert_int_eq(ocspr_chain_load_file(&certs, NULL, ocspr_test_pool, empty), OCSPR_EINVALID);

    /* A sparse file one byte over the cap, with a certificate at its start. */
    ck_assert_int_eq(apr_file_copy(pki("good.pem"), huge,
                                   APR_FPROT_FILE_SOURCE_PERMS, ocspr_test_pool), APR_SUCCESS);
    resize_file(huge, OCSPR_CERT_FILE_MAX + 1);
    ck_assert_int_eq(ocspr_chain_load_file(&certs, NULL, ocspr_test_pool, huge), OCSPR_EINVALID);
    ck_assert_ptr_null(certs);
    /* At exactly the cap it still loads: the padding is ignored text. */
    resize_file(huge, OCSPR_CERT_FILE_MAX);
    ck_assert_int_eq(ocspr_chain_load_file(&certs, NULL, ocspr_test_pool, huge), APR_SUCCESS);
    ck_assert_int_eq(certs->nelts, 1);

    /* A device that never ends must hit the cap, not exhaust memory. */
    ck_assert_int_eq(ocspr_chain_load_file(&certs, NULL, ocspr_test_pool, "/dev/zero"),
                     OCSPR_EINVALID);

    /* A directory: the read error, not success. */
    rv = ocspr_chain_load_file(&certs, NULL, ocspr_test_pool, dir);
    ck_assert_int_ne(rv, APR_SUCCESS);
    ck_assert_ptr_null(certs);

    /* Permissions do not stop root, so only check EACCES as another user. */
    if (geteuid() != 0) {
        ck_assert_int_eq(apr_file_copy(pki("good.pem"), unreadable,
                                       0, ocspr_test_pool), APR_SUCCESS);
        rv = ocspr_chain_load_file(&certs, NULL, ocspr_test_pool, unreadable);
        ck_assert_msg(APR_STATUS_IS_EACCES(rv), "unreadable file: %d", rv);
    }
    remove_tmpdir(dir);
}
END_TEST

/* ---- identity and descriptions ---------------------------------------- */

START_TEST(test_cert_id_is_sha1_of_der)
{
    unsigned char id[OCSPR_CERT_ID_LEN];
    const char *expected = command_line(apr_psprintf(ocspr_test_pool,
                                        "openssl x509 -in '%s' -outform DER | sha1sum",
                                        pki("good.pem")));

    ck_assert_int_eq(ocspr_cert_id(id, pki_cert("good")), APR_SUCCESS);
    ck_assert_str_eq(ocspr_hex(ocspr_test_pool, id, sizeof(id)),
                     apr_pstrndup(ocspr_test_pool, expected, 2 * OCSPR_CERT_ID_LEN));
}
END_TEST

START_TEST(test_names)
{
    const ocspr_cert_t *good = pki_cert("good");

    ck_assert_str_eq(ocspr_cert_subject(good, ocspr_test_pool), "CN=good.test,O=ocspr test");
    ck_assert_str_eq(ocspr_cert_issuer_name(good, ocspr_test_pool),
                     "CN=Test Intermediate CA,O=ocspr test");
    ck_assert_str_eq(ocspr_cert_subject(pki_cert("root"), ocspr_test_pool),
                     "CN=Test Root CA,O=ocspr test");
}
END_TEST

START_TEST(test_serial_matches_openssl)
{
    static const long serials[] = { 0, 1, 127, 128, 65535, -5 };
    const char *expected = command_line(apr_psprintf(ocspr_test_pool,
                                        "openssl x509 -in '%s' -noout -serial", pki("good.pem")));
    size_t i;

    ck_assert_str_eq(apr_pstrcat(ocspr_test_pool, "serial=",
                                 ocspr_cert_serial(pki_cert("good"),
                                                   ocspr_test_pool), NULL),
                     expected);
    /* Edge values against i2a_ASN1_INTEGER, which `openssl x509 -serial` uses. */
    for (i = 0; i < sizeof(serials) / sizeof(serials[0]); i++) {
        const ocspr_cert_t *cert = make_ed25519(serials[i], NULL);
        BIO *bio = new_mem_bio();

        ck_assert_int_gt(i2a_ASN1_INTEGER(bio, X509_get0_serialNumber(ocspr_cert_x509(cert))), 0);
        ck_assert_str_eq(ocspr_cert_serial(cert, ocspr_test_pool), mem_bio_text(bio));
    }
    ck_assert_str_eq(ocspr_cert_serial(make_ed25519(255, NULL), ocspr_test_pool), "FF");
    ck_assert_str_eq(ocspr_cert_serial(make_ed25519(-5, NULL), ocspr_test_pool), "-05");
}
END_TEST

START_TEST(test_key_types)
{
    ck_assert_str_eq(ocspr_cert_key_type(pki_cert("good"), ocspr_test_pool),
                     "RSA-2048");
    ck_assert_str_eq(ocspr_cert_key_type(pki_cert("good-ec"), ocspr_test_pool),
                     "EC-prime256v1");
    ck_assert_str_eq(ocspr_cert_key_type(make_ed25519(1, NULL), ocspr_test_pool), "Ed25519");
    ck_assert_str_eq(ocspr_cert_key_type(make_self_signed(EVP_PKEY_Q_keygen(NULL, NULL, "EC",
                                                                            "secp384r1"), 1, NULL),
                                         ocspr_test_pool),
                     "EC-secp384r1");
}
END_TEST

/* The converted time is the exact second OpenSSL holds. */
static void assert_time_is(apr_time_t t, const ASN1_TIME *expected)
{
    ck_assert_int_gt(t, 0);
    ck_assert_int_eq(t % APR_USEC_PER_SEC, 0);
    ck_assert_int_eq(ASN1_TIME_cmp_time_t(expected, (time_t)apr_time_sec(t)), 0);
    ck_assert_int_eq(ASN1_TIME_cmp_time_t(expected, (time_t)apr_time_sec(t) - 1), 1);
}

START_TEST(test_validity_times)
{
    const ocspr_cert_t *good = pki_cert("good");
    const ocspr_cert_t *expired = pki_cert("expired");
    apr_time_t now = apr_time_now();

    assert_time_is(ocspr_cert_not_before(good), X509_get0_notBefore(ocspr_cert_x509(good)));
    assert_time_is(ocspr_cert_not_after(good), X509_get0_notAfter(ocspr_cert_x509(good)));
    ck_assert_int_lt(ocspr_cert_not_before(good), now);
    ck_assert_int_gt(ocspr_cert_not_after(good), now);
    /* Made to expire a day before the PKI was created. */
    assert_time_is(ocspr_cert_not_after(expired), X509_get0_notAfter(ocspr_cert_x509(expired)));
    ck_assert_int_lt(ocspr_cert_not_after(expired), now);
    ck_assert_int_lt(ocspr_cert_not_before(expired), ocspr_cert_not_after(expired));
}
END_TEST

START_TEST(test_key_identifiers)
{
    const ocspr_cert_t *good = pki_cert("good");
    const ocspr_cert_t *intermediate = pki_cert("int");
    const ocspr_cert_t *made = make_ed25519(7, NULL);
    const ASN1_BIT_STRING *key_bits;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len;
    const char *expected, *skid;

    expected = command_line(apr_psprintf(ocspr_test_pool,
                            "openssl x509 -in '%s' -noout -ext subjectKeyIdentifier | tail -1",
                            pki("good.pem")));
    ck_assert_str_eq(ocspr_cert_subject_key_id(good, ocspr_test_pool), strip_colons(expected));
    expected = command_line(apr_psprintf(ocspr_test_pool,
                            "openssl x509 -in '%s' -noout -ext authorityKeyIdentifier | tail -1",
                            pki("good.pem")));
    ck_assert_str_eq(ocspr_cert_authority_key_id(good, ocspr_test_pool), strip_colons(expected));
    ck_assert_str_eq(ocspr_cert_authority_key_id(good, ocspr_test_pool),
                     ocspr_cert_subject_key_id(intermediate, ocspr_test_pool));
    ck_assert_str_ne(ocspr_cert_subject_key_id(intermediate, ocspr_test_pool),
                     ocspr_cert_subject_key_id(pki_cert("int-otherkey"), ocspr_test_pool));

    /* No extensions: no AKID, SKID falls back to SHA-1 of the key bits. */
    ck_assert_ptr_null(ocspr_cert_authority_key_id(made, ocspr_test_pool));
    key_bits = X509_get0_pubkey_bitstr(ocspr_cert_x509(made));
    ck_assert_ptr_nonnull(key_bits);
    ck_assert_int_eq(EVP_Digest(ASN1_STRING_get0_data(key_bits),
                                (size_t)ASN1_STRING_length(key_bits), md, &md_len, EVP_sha1(),
                                NULL), 1);
    skid = ocspr_cert_subject_key_id(made, ocspr_test_pool);
    ck_assert_ptr_nonnull(skid);
    ck_assert_int_eq(strcasecmp(skid, ocspr_hex(ocspr_test_pool, md, md_len)), 0);
    ck_assert_uint_eq(strspn(skid, "0123456789ABCDEF"), 2 * md_len);
}
END_TEST

START_TEST(test_self_signed_and_ca)
{
    ck_assert(ocspr_cert_is_self_signed(pki_cert("root")));
    ck_assert(ocspr_cert_is_self_signed(pki_cert("other-root")));
    ck_assert(ocspr_cert_is_self_signed(make_ed25519(3, NULL)));
    ck_assert(!ocspr_cert_is_self_signed(pki_cert("int")));
    ck_assert(!ocspr_cert_is_self_signed(pki_cert("good")));

    ck_assert(ocspr_cert_is_ca(pki_cert("root")));
    ck_assert(ocspr_cert_is_ca(pki_cert("int")));
    ck_assert(!ocspr_cert_is_ca(pki_cert("good")));
    ck_assert(!ocspr_cert_is_ca(pki_cert("ocsp")));
}
END_TEST

/* ---- extensions --------------------------------------------------------- */

static void assert_urls(const apr_array_header_t *urls, const char *expected)
{
    ck_assert_ptr_nonnull(urls);
    if (expected == NULL) {
        ck_assert_int_eq(urls->nelts, 0);
        return;
    }
    ck_assert_int_eq(urls->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(urls, 0, const char *), expected);
}

START_TEST(test_aia_urls)
{
    const char *port = command_line(apr_psprintf(ocspr_test_pool, "cat '%s'", pki("ports")));
    const char *base = apr_pstrcat(ocspr_test_pool, "http://127.0.0.1:", port, NULL);
    const ocspr_cert_t *good = pki_cert("good");
    const ocspr_cert_t *noocsp = pki_cert("noocsp");
    const ocspr_cert_t *httpsocsp = pki_cert("httpsocsp");
    const ocspr_cert_t *intermediate = pki_cert("int");

    assert_urls(ocspr_cert_ocsp_urls(good, ocspr_test_pool),
                apr_pstrcat(ocspr_test_pool, base, "/ocsp", NULL));
    assert_urls(ocspr_cert_ca_issuers_urls(good, ocspr_test_pool),
                apr_pstrcat(ocspr_test_pool, base, "/int.cer", NULL));
    assert_urls(ocspr_cert_ocsp_urls(noocsp, ocspr_test_pool), NULL);
    assert_urls(ocspr_cert_ca_issuers_urls(noocsp, ocspr_test_pool), NULL);
    assert_urls(ocspr_cert_ocsp_urls(httpsocsp, ocspr_test_pool),
                apr_pstrcat(ocspr_test_pool, "https://127.0.0.1:", port, "/ocsp", NULL));
    assert_urls(ocspr_cert_ocsp_urls(intermediate, ocspr_test_pool), NULL);
    assert_urls(ocspr_cert_ca_issuers_urls(intermediate, ocspr_test_pool),
                apr_pstrcat(ocspr_test_pool, base, "/root.cer", NULL));
}
END_TEST

/* PKI certificate `name` with its AIA replaced by one OCSP and one
 * caIssuers URI of the given raw bytes (unsigned: only the extension is read). */
static const ocspr_cert_t *with_aia(const char *name, const void *ocsp, apr_size_t ocsp_len,
                                    const void *ca_issuers, apr_size_t ca_issuers_len)
{
    static const int methods[] = { NID_ad_OCSP, NID_ad_ca_issuers };
    const void *values[] = { ocsp, ca_issuers };
    const apr_size_t lens[] = { ocsp_len, ca_issuers_len };
    X509 *x = X509_dup(ocspr_cert_x509(pki_cert(name)));
    AUTHORITY_INFO_ACCESS *aia = AUTHORITY_INFO_ACCESS_new();
    int i;

    ck_assert(x != NULL && aia != NULL);
    X509_EXTENSION_free(X509_delete_ext(x, X509_get_ext_by_NID(x, NID_info_access, -1)));
    for (i = 0; i < 2; i++) {
        ACCESS_DESCRIPTION *ad = ACCESS_DESCRIPTION_new();
        ASN1_IA5STRING *uri = ASN1_IA5STRING_new();

        ck_assert(ad != NULL && uri != NULL);
        ck_assert(ASN1_STRING_set(uri, values[i], (int)lens[i]));
        ASN1_OBJECT_free(ad->method);
        ad->method = OBJ_nid2obj(methods[i]);
        GENERAL_NAME_set0_value(ad->location, GEN_URI, uri);
        ck_assert(sk_ACCESS_DESCRIPTION_push(aia, ad));
    }
    ck_assert(X509_add1_ext_i2d(x, NID_info_access, aia, 0, X509V3_ADD_APPEND) == 1);
    AUTHORITY_INFO_ACCESS_free(aia);
    return ocspr_cert_wrap(ocspr_test_pool, x);
}

/* A URL a CA (or an attacker with a certificate) filled with bytes that would
 * forge log lines or HTTP requests is refused, and the reason says which
 * byte, where, and shows the URL escaped. */
START_TEST(test_aia_urls_refuse_invisible_bytes)
{
    static const struct {
        const char *url;
        apr_size_t len;
        const char *reason;
    } cases[] = {
        { "http://127.0.0.1/\nForged: yes", 29, "responder URL \"http://127.0.0.1/\\x0aForged: yes\""
          " contains a control character (0x0a) at offset 17" },
        { "http://a/\r", 10, "contains a control character (0x0d) at offset 9" },
        { "http://a/\0b", 11, "\"http://a/\\x00b\" contains a control character (0x00) at offset 9" },
        { "http://a/ b", 11, "contains a space (0x20) at offset 9" },
        { "http://a/\x7f", 10, "contains a control character (0x7f) at offset 9" },
        { "http://\xc3\xa9.test/", 15, "\"http://\\xc3\\xa9.test/\" contains a non-ASCII byte (0xc3)"
          " at offset 7" },
        { "", 0, "responder URL is empty" },
    };
    static const char good_url[] = "http://127.0.0.1:1/ocsp?x=%0A";
    const char *refusal;
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const ocspr_cert_t *bad_ocsp = with_aia("good", cases[i].url, cases[i].len,
                                                good_url, sizeof(good_url) - 1);
        const ocspr_cert_t *bad_issuers = with_aia("good", good_url, sizeof(good_url) - 1,
                                                   cases[i].url, cases[i].len);

        refusal = ocspr_cert_ocsp_url_refusal(bad_ocsp, ocspr_test_pool);
        assert_urls(ocspr_cert_ocsp_urls(bad_ocsp, ocspr_test_pool), NULL);
        assert_urls(ocspr_cert_ca_issuers_urls(bad_ocsp, ocspr_test_pool), good_url);
        ck_assert_msg(refusal != NULL && strstr(refusal, cases[i].reason) != NULL,
                      "case %lu: \"%s\"", (unsigned long)i, refusal ? refusal : "(null)");
        ck_assert_ptr_null(strchr(refusal, '\n'));
        ck_assert_ptr_null(ocspr_cert_ca_issuers_url_refusal(bad_ocsp, ocspr_test_pool));

        assert_urls(ocspr_cert_ocsp_urls(bad_issuers, ocspr_test_pool), good_url);
        assert_urls(ocspr_cert_ca_issuers_urls(bad_issuers, ocspr_test_pool), NULL);
        ck_assert_ptr_null(ocspr_cert_ocsp_url_refusal(bad_issuers, ocspr_test_pool));
        refusal = ocspr_cert_ca_issuers_url_refusal(bad_issuers, ocspr_test_pool);
        ck_assert_ptr_nonnull(refusal);
        ck_assert_msg(strncmp(refusal, "caIssuers URL ", 14) == 0, "%s", refusal);
    }
    /* The test PKI's certificate made by `openssl x509` with such a URL. */
    refusal = ocspr_cert_ocsp_url_refusal(pki_cert("aianewline"), ocspr_test_pool);
    ck_assert_ptr_nonnull(refusal);
    ck_assert_msg(strstr(refusal, "/ocsp\\x0a[error] forged log line\" contains a control"
                         " character (0x0a) at offset ") != NULL, "%s", refusal);
    assert_urls(ocspr_cert_ocsp_urls(pki_cert("aianewline"), ocspr_test_pool), NULL);
    /* Certificates without AIA, or with usable URLs, have nothing refused. */
    ck_assert_ptr_null(ocspr_cert_ocsp_url_refusal(pki_cert("good"), ocspr_test_pool));
    ck_assert_ptr_null(ocspr_cert_ocsp_url_refusal(pki_cert("noocsp"), ocspr_test_pool));
    ck_assert_ptr_null(ocspr_cert_ca_issuers_url_refusal(pki_cert("root"), ocspr_test_pool));
}
END_TEST

START_TEST(test_url_refusal_rule)
{
    static const char visible[] = "!\"#$%&'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~";
    unsigned int c;

    ck_assert_ptr_null(ocspr_url_refusal(ocspr_test_pool, "URL", visible, sizeof(visible) - 1));
    for (c = 0; c < 256; c++) {
        char url[4] = { 'h', (char)c, 'x', '\0' };
        const char *refusal = ocspr_url_refusal(ocspr_test_pool, "URL", url, 3);

        ck_assert_msg((refusal == NULL) == (c >= 0x21 && c <= 0x7e), "byte 0x%02x", c);
        if (refusal != NULL) {
            ck_assert(strstr(refusal, apr_psprintf(ocspr_test_pool, "(0x%02x) at offset 1", c)));
        }
    }
}
END_TEST

START_TEST(test_must_staple)
{
    static const char *const plain[] = { "good", "good-ec", "noocsp", "int", "root", "expired" };
    size_t i;

    ck_assert(ocspr_cert_must_staple(pki_cert("mustaple")));
    for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        ck_assert_msg(!ocspr_cert_must_staple(pki_cert(plain[i])),
                      "%s is not Must-Staple", plain[i]);
    }
    /* The extension alone is not enough: it must list status_request (5). */
    ck_assert(!ocspr_cert_must_staple(make_ed25519(1, "status_request_v2")));
    ck_assert(ocspr_cert_must_staple(make_ed25519(1, "status_request_v2,status_request")));
}
END_TEST

/* ---- issuers ------------------------------------------------------------- */

START_TEST(test_issued_by)
{
    const ocspr_cert_t *good = pki_cert("good");
    const ocspr_cert_t *intermediate = pki_cert("int");
    const ocspr_cert_t *otherkey = pki_cert("int-otherkey");
    const ocspr_cert_t *root = pki_cert("root");

    ck_assert(ocspr_cert_issued_by(good, intermediate));
    ck_assert(ocspr_cert_issued_by(pki_cert("good-ec"), intermediate));
    ck_assert(ocspr_cert_issued_by(intermediate, root));
    ck_assert(ocspr_cert_issued_by(otherkey, root));
    ck_assert(ocspr_cert_issued_by(root, root));
    /* Same subject name as the issuer, another key. */
    ck_assert(!ocspr_cert_issued_by(good, otherkey));
    ck_assert(!ocspr_cert_issued_by(good, root));
    ck_assert(!ocspr_cert_issued_by(good, good));
    ck_assert(!ocspr_cert_issued_by(intermediate, good));
    ck_assert(!ocspr_cert_issued_by(intermediate, pki_cert("other-root")));
}
END_TEST

START_TEST(test_issued_by_checks_signature_without_akid)
{
    /* Self-signed certificates without key identifiers and the same subject:
     * only the signature can tell them apart. */
    const ocspr_cert_t *first = make_ed25519(1, NULL);
    const ocspr_cert_t *second = make_ed25519(1, NULL);

    ck_assert(ocspr_cert_issued_by(first, first));
    ck_assert(!ocspr_cert_issued_by(first, second));
    ck_assert(!ocspr_cert_issued_by(second, first));
}
END_TEST

START_TEST(asn1_time_conversion)
{
    ASN1_TIME *t = ASN1_TIME_new();
    apr_time_t at = 1;

    ck_assert_ptr_nonnull(t);
    ck_assert(ASN1_TIME_set_string(t, "20261121054125Z"));
    ck_assert_int_eq(ocspr_asn1_time_get(&at, t), APR_SUCCESS);
    ck_assert_int_eq(at, apr_time_from_sec(1795239685));
    ck_assert(ASN1_TIME_set_string(t, "19691231235959Z"));
    ck_assert_int_eq(ocspr_asn1_time_get(&at, t), OCSPR_EINVALID);
    ck_assert_int_eq(ocspr_asn1_time_get(&at, NULL), OCSPR_EINVALID);
    ck_assert_int_eq(ERR_peek_error(), 0);
    ASN1_TIME_free(t);
}
END_TEST

Suite *ocspr_suite_cert(void)
{
    Suite *s = suite_create("cert");
    TCase *load = tcase_create("load");
    TCase *identity = tcase_create("identity");
    TCase *extensions = tcase_create("extensions");
    TCase *issuers = tcase_create("issuers");

    /* Loading runs openssl subprocesses and reads /dev/zero up to the cap. */
    tcase_set_timeout(load, 60);
    tcase_set_timeout(identity, 30);
    ocspr_tc_add_pool_fixture(load);
    ocspr_tc_add_pool_fixture(identity);
    ocspr_tc_add_pool_fixture(extensions);
    ocspr_tc_add_pool_fixture(issuers);

    tcase_add_test(load, test_load_pem_chain_keeps_order);
    tcase_add_test(load, test_load_der);
    tcase_add_test(load, test_load_pkcs7_files);
    tcase_add_test(load, test_load_pkcs7_without_certs);
    tcase_add_test(load, test_load_pem_skips_keys_and_text);
    tcase_add_test(load, test_load_trusted_certificate_block);
    tcase_add_test(load, test_load_rejects_garbage);
    tcase_add_test(load, test_load_truncated_der_every_prefix);
    tcase_add_test(load, test_load_truncated_pem_every_prefix);
    tcase_add_test(load, test_load_file_errors);

    tcase_add_test(identity, test_cert_id_is_sha1_of_der);
    tcase_add_test(identity, test_names);
    tcase_add_test(identity, test_serial_matches_openssl);
    tcase_add_test(identity, test_key_types);
    tcase_add_test(identity, test_validity_times);
    tcase_add_test(identity, test_key_identifiers);
    tcase_add_test(identity, test_self_signed_and_ca);

    tcase_add_test(extensions, test_aia_urls);
    tcase_add_test(extensions, test_aia_urls_refuse_invisible_bytes);
    tcase_add_test(extensions, test_url_refusal_rule);
    tcase_add_test(extensions, test_must_staple);

    tcase_add_test(issuers, test_issued_by);
    tcase_add_test(issuers, test_issued_by_checks_signature_without_akid);
    tcase_add_test(identity, asn1_time_conversion);

    suite_add_tcase(s, load);
    suite_add_tcase(s, identity);
    suite_add_tcase(s, extensions);
    suite_add_tcase(s, issuers);
    return s;
}
