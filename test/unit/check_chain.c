/* Tests for ocspr_chain.c: each broken setup is built from the test PKI in a
 * private directory, analysed, and the finding's code and key facts checked. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include "check_support.h"
#include "ocspr_chain.h"

#define CONF "/etc/apache2/sites-enabled/test.conf"

static char workdir[64];

static void workdir_setup(void)
{
    strcpy(workdir, "/tmp/ocspr-chain-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(workdir));
}

static void workdir_teardown(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", workdir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Write the concatenation of PKI files (NULL-terminated) to workdir/name. */
static const char *compose(const char *name, ...)
{
    apr_pool_t *p = ocspr_test_pool;
    const char *path = apr_pstrcat(p, workdir, "/", name, NULL);
    apr_file_t *out;
    const char *part;
    va_list ap;

    ck_assert_int_eq(apr_file_open(&out, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                                   | APR_FOPEN_TRUNCATE | APR_FOPEN_BINARY,
                                   APR_FPROT_OS_DEFAULT, p), APR_SUCCESS);
    va_start(ap, name);
    while ((part = va_arg(ap, const char *)) != NULL) {
        unsigned char *data;
        apr_size_t len;

        ocspr_test_read_file(&data, &len, p, ocspr_test_pki_path(p, part));
        ck_assert_int_eq(apr_file_write_full(out, data, len, NULL), APR_SUCCESS);
    }
    va_end(ap);
    apr_file_close(out);
    return path;
}

static void set(ocspr_chain_setting_t *s, const char *value, int line, int global)
{
    s->value = value;
    s->file = CONF;
    s->line = line;
    s->global = global;
}

/* A vhost with stapling by mod_ssl on and a cache, as most setups have. */
static ocspr_chain_vhost_t *vhost(void)
{
    ocspr_chain_vhost_t *vh = apr_pcalloc(ocspr_test_pool, sizeof(*vh));

    vh->name = "good.test:443";
    vh->file = CONF;
    vh->line = 10;
    vh->cert_files = apr_array_make(ocspr_test_pool, 2, sizeof(ocspr_chain_setting_t));
    set(&vh->use_stapling, "On", 11, 0);
    vh->stapling_cache = 1;
    return vh;
}

static void add_cert_file(ocspr_chain_vhost_t *vh, const char *path, int line)
{
    set(apr_array_push(vh->cert_files), path, line, 0);
}

/* The totals of the last analysis. */
static ocspr_chain_totals_t totals;

/* Every command in backquotes that writes a file (> or >>) writes one the
 * fix's words name outside the backquotes: text and command agree. */
static void assert_fix_agrees(const ocspr_chain_finding_t *f)
{
    apr_pool_t *p = ocspr_test_pool;
    const char *text = "", *cursor = f->fix;
    apr_array_header_t *targets = apr_array_make(p, 2, sizeof(const char *));
    int i;

    ck_assert_msg(f->fix != NULL && *f->fix != '\0', "no fix: %s", f->message);
    while (*cursor != '\0') {
        const char *open = strchr(cursor, '`'), *close, *w;

        if (open == NULL || (close = strchr(open + 1, '`')) == NULL) {
            text = apr_pstrcat(p, text, cursor, NULL);
            break;
        }
        text = apr_pstrcat(p, text, apr_pstrndup(p, cursor, (apr_size_t)(open - cursor)), NULL);
        for (w = open + 1; w < close; w++) {
            if (*w == '>' && w[-1] != '2') {
                const char *start = w + (w[1] == '>' ? 2 : 1);
                apr_size_t len;

                while (*start == ' ') {
                    start++;
                }
                len = strcspn(start, " `;&|");
                APR_ARRAY_PUSH(targets, const char *) = apr_pstrndup(p, start, len);
                w = start;
            }
        }
        cursor = close + 1;
    }
    for (i = 0; i < targets->nelts; i++) {
        const char *target = APR_ARRAY_IDX(targets, i, const char *);
        apr_size_t len = strlen(target);

        /* "X.new && mv X.new X" writes X through a temporary name. */
        if (len > 4 && strcmp(target + len - 4, ".new") == 0) {
            target = apr_pstrndup(p, target, len - 4);
        }
        ck_assert_msg(strstr(text, target) != NULL, "a command writes %s, the text does not "
                      "name it: %s", target, f->fix);
    }
}

static void settle_and_check(ocspr_chain_run_t *run, apr_array_header_t *reports)
{
    int i, j;

    ocspr_chain_run_finish(run, &totals);
    for (i = 0; i < reports->nelts; i++) {
        const ocspr_chain_report_t *r = APR_ARRAY_IDX(reports, i, ocspr_chain_report_t *);

        for (j = 0; j < r->findings->nelts; j++) {
            const ocspr_chain_finding_t *f = &APR_ARRAY_IDX(r->findings, j, ocspr_chain_finding_t);

            ck_assert_str_ne(f->name, "unknown");
            ck_assert(strncmp(f->tag, "OCSPR04", 7) == 0);
            assert_fix_agrees(f);
        }
    }
}

/* Analyse several vhosts in one run (NULL-terminated); returns the reports
 * in order. */
static apr_array_header_t *analyse_all(apr_time_t now, ...)
{
    ocspr_chain_run_t *run;
    apr_array_header_t *reports = apr_array_make(ocspr_test_pool, 2, sizeof(ocspr_chain_report_t *));
    const ocspr_chain_vhost_t *vh;
    va_list ap;

    ck_assert_int_eq(ocspr_chain_run_create(&run, ocspr_test_pool, now), APR_SUCCESS);
    va_start(ap, now);
    while ((vh = va_arg(ap, const ocspr_chain_vhost_t *)) != NULL) {
        ck_assert_int_eq(ocspr_chain_run_add(apr_array_push(reports), run, vh), APR_SUCCESS);
    }
    va_end(ap);
    settle_and_check(run, reports);
    return reports;
}

static ocspr_chain_report_t *analyse_at(const ocspr_chain_vhost_t *vh, apr_time_t now)
{
    return APR_ARRAY_IDX(analyse_all(now, vh, NULL), 0, ocspr_chain_report_t *);
}

static ocspr_chain_report_t *analyse(const ocspr_chain_vhost_t *vh)
{
    return analyse_at(vh, apr_time_now());
}

static int count(const ocspr_chain_report_t *r, ocspr_chain_code_t code)
{
    int i, n = 0;

    for (i = 0; i < r->findings->nelts; i++) {
        n += APR_ARRAY_IDX(r->findings, i, ocspr_chain_finding_t).code == code;
    }
    return n;
}

static const char *dump(const ocspr_chain_report_t *r)
{
    const char *text = "";
    int i;

    for (i = 0; i < r->findings->nelts; i++) {
        const ocspr_chain_finding_t *f = &APR_ARRAY_IDX(r->findings, i, ocspr_chain_finding_t);

        text = apr_psprintf(ocspr_test_pool, "%s\n  %s %s: %s", text, f->tag, f->name, f->message);
    }
    return text;
}

/* The only finding must have `code`; returns it. */
static const ocspr_chain_finding_t *only(const ocspr_chain_report_t *r, ocspr_chain_code_t code)
{
    ck_assert_msg(r->findings->nelts == 1 && count(r, code) == 1,
                  "expected exactly finding %d, got:%s", (int)code, dump(r));
    return &APR_ARRAY_IDX(r->findings, 0, ocspr_chain_finding_t);
}

static void assert_has(const ocspr_chain_finding_t *f, const char *text)
{
    ck_assert_msg(strstr(f->message, text) != NULL, "'%s' not in: %s", text, f->message);
}

static const char *akid(const char *pki_name)
{
    return ocspr_cert_authority_key_id(ocspr_test_cert(ocspr_test_pool, pki_name), ocspr_test_pool);
}

static const char *skid(const char *pki_name)
{
    return ocspr_cert_subject_key_id(ocspr_test_cert(ocspr_test_pool, pki_name), ocspr_test_pool);
}

static const ocspr_chain_cert_t *cert_entry(const ocspr_chain_report_t *r, int i)
{
    ck_assert_int_gt(r->certs->nelts, i);
    return &APR_ARRAY_IDX(r->certs, i, ocspr_chain_cert_t);
}

/* ---- healthy setups ------------------------------------------------------ */

START_TEST(healthy_chain_in_cert_file)
{
    ocspr_chain_vhost_t *vh = vhost();
    ocspr_chain_report_t *r;

    add_cert_file(vh, compose("good.pem", "good.pem", "int.pem", NULL), 12);
    r = analyse(vh);
    ck_assert_msg(r->findings->nelts == 0, "findings:%s", dump(r));
    ck_assert(cert_entry(r, 0)->issuer_found);
    ck_assert_int_eq(totals.ready, 1);
    ck_assert_int_eq(totals.breaking, 0);
}
END_TEST

/* PKI file name rewritten into workdir/as: base64 lines of width
 * characters, every line ending in eol. */
static const char *rewrap(const char *name, const char *as, int width, const char *eol)
{
    unsigned char *data;
    apr_size_t len, i;
    const char *out = "", *b64 = "";
    char *copy;
    char *line, *last;
    apr_file_t *f;
    const char *path = apr_pstrcat(ocspr_test_pool, workdir, "/", as, NULL);

    ocspr_test_read_file(&data, &len, ocspr_test_pool, ocspr_test_pki_path(ocspr_test_pool, name));
    copy = apr_pstrmemdup(ocspr_test_pool, (const char *)data, len);
    for (line = apr_strtok(copy, "\r\n", &last); line; line = apr_strtok(NULL, "\r\n", &last)) {
        if (strncmp(line, "-----END", 8) == 0) {
            for (i = 0; i < strlen(b64); i += (apr_size_t)width) {
                out = apr_pstrcat(ocspr_test_pool, out,
                                  apr_pstrndup(ocspr_test_pool, b64 + i, (apr_size_t)width), eol,
                                  NULL);
            }
            b64 = "";
        }
        if (strncmp(line, "-----", 5) == 0) {
            out = apr_pstrcat(ocspr_test_pool, out, line, eol, NULL);
        }
        else {
            b64 = apr_pstrcat(ocspr_test_pool, b64, line, NULL);
        }
    }
    ck_assert_int_eq(apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                                   | APR_FOPEN_TRUNCATE, APR_FPROT_OS_DEFAULT, ocspr_test_pool),
                     APR_SUCCESS);
    ck_assert_int_eq(apr_file_write_full(f, out, strlen(out), NULL), APR_SUCCESS);
    apr_file_close(f);
    return path;
}

START_TEST(pem_line_forms_read_as_the_canonical_file)
{
    /* OpenSSL's own form (64 characters, LF), CRLF, and forms that take
     * PEM_read_bio_ex's path (76 characters, a short line inside): the
     * same certificates, found the same way. */
    static const struct { int width; const char *eol; } forms[] = {
        { 64, "\n" }, { 64, "\r\n" }, { 76, "\n" }, { 48, "\r\n" },
    };
    unsigned char id[OCSPR_CERT_ID_LEN];
    size_t i;

    ck_assert_int_eq(ocspr_cert_id(id, ocspr_test_cert(ocspr_test_pool, "good")), APR_SUCCESS);
    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        ocspr_chain_vhost_t *vh = vhost();
        ocspr_chain_report_t *r;

        add_cert_file(vh, rewrap("good.chain.pem", apr_psprintf(ocspr_test_pool, "f%d.pem",
                                                                (int)i),
                                 forms[i].width, forms[i].eol), 12);
        r = analyse(vh);
        ck_assert_msg(r->findings->nelts == 0, "form %d findings:%s", (int)i, dump(r));
        ck_assert(cert_entry(r, 0)->issuer_found);
        ck_assert(memcmp(cert_entry(r, 0)->id, id, sizeof(id)) == 0);
    }
}
END_TEST

START_TEST(healthy_rsa_ecdsa_with_shared_chain_file)
{
    ocspr_chain_vhost_t *vh = vhost();
    ocspr_chain_report_t *r;

    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "good.pem"), 12);
    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "good-ec.pem"), 13);
    set(&vh->chain_file, compose("chain.pem", "int.pem", "root.pem", NULL), 14, 0);
    r = analyse(vh);
    ck_assert_msg(r->findings->nelts == 0, "findings:%s", dump(r));
    ck_assert_int_eq(totals.ready, 2);
}
END_TEST

START_TEST(healthy_issuer_in_ca_file)
{
    ocspr_chain_vhost_t *vh = vhost();
    ocspr_chain_report_t *r;

    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "good.pem"), 12);
    set(&vh->ca_file, ocspr_test_pki_path(ocspr_test_pool, "ca-chain.pem"), 15, 1);
    r = analyse(vh);
    ck_assert_msg(r->findings->nelts == 0, "findings:%s", dump(r));
    ck_assert_int_eq(totals.ready, 1);
}
END_TEST

START_TEST(healthy_without_stapling_is_silent_and_not_ready)
{
    ocspr_chain_vhost_t *vh = vhost();
    ocspr_chain_report_t *r;

    vh->use_stapling.value = NULL;
    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "noocsp.chain.pem"), 12);
    r = analyse(vh);
    ck_assert_msg(r->findings->nelts == 0, "findings:%s", dump(r));
    ck_assert(cert_entry(r, 0)->issuer_found);
    ck_assert_int_eq(totals.ready, 0);
    ck_assert_int_eq(totals.certs, 0);
}
END_TEST

/* ---- the findings -------------------------------------------------------- */

START_TEST(leaf_only_names_issuer_key_id_url_and_file)
{
    ocspr_chain_vhost_t *vh = vhost();
    const char *path = compose("leaf.pem", "good.pem", "good.key", NULL);
    const ocspr_chain_finding_t *f;

    add_cert_file(vh, path, 12);
    f = only(analyse(vh), OCSPR_CHAIN_ISSUER_MISSING);
    ck_assert_str_eq(f->tag, "OCSPR0402");
    ck_assert_str_eq(f->name, "issuer-missing");
    ck_assert_int_eq(f->level, OCSPR_LOG_ERR);
    ck_assert(f->breaks_stapling);
    assert_has(f, "good.test:443 (" CONF ":10)");
    assert_has(f, "SSLCertificateFile at " CONF ":12");
    assert_has(f, "CN=Test Intermediate CA,O=ocspr test");
    assert_has(f, akid("good"));
    assert_has(f, "http://127.0.0.1:18080/int.cer");
    assert_has(f, apr_pstrcat(ocspr_test_pool, ">> ", path, NULL));
    assert_has(f, ocspr_cert_serial(ocspr_test_cert(ocspr_test_pool, "good"), ocspr_test_pool));
}
END_TEST

START_TEST(leaf_only_without_stapling_is_a_client_chain_warning)
{
    ocspr_chain_vhost_t *vh = vhost();
    const ocspr_chain_finding_t *f;

    vh->use_stapling.value = NULL;
    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "good.pem"), 12);
    f = only(analyse(vh), OCSPR_CHAIN_CLIENT_CHAIN);
    ck_assert_str_eq(f->tag, "OCSPR0418");
    ck_assert_str_eq(f->name, "client-chain");
    assert_has(f, "its issuer \"CN=Test Intermediate CA,O=ocspr test\"");
    assert_has(f, "Clients of this vhost cannot build the chain");
    ck_assert_int_eq(f->level, OCSPR_LOG_WARNING);
    ck_assert(!f->breaks_stapling);
}
END_TEST

START_TEST(chain_file_hides_issuer_in_cert_file)
{
    ocspr_chain_vhost_t *vh = vhost();
    const ocspr_chain_finding_t *f;

    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "good.chain.pem"), 12);
    set(&vh->chain_file, ocspr_test_pki_path(ocspr_test_pool, "root.pem"), 3, 1);
    f = only(analyse(vh), OCSPR_CHAIN_CHAIN_FILE_OVERRIDES);
    assert_has(f, "SSLCertificateChainFile");
    assert_has(f, CONF ":3 in the global scope");
    assert_has(f, "CN=Test Intermediate CA");
    assert_has(f, apr_pstrcat(ocspr_test_pool, "`SSLCertificateChainFile ",
                              ocspr_test_pki_path(ocspr_test_pool, "good.chain.pem"), "`", NULL));
    ck_assert(!cert_entry(analyse(vh), 0)->issuer_found);
}
END_TEST

START_TEST(chain_file_equal_to_cert_file_skips_leaf)
{
    ocspr_chain_vhost_t *vh = vhost();
    const char *path = ocspr_test_pki_path(ocspr_test_pool, "good.chain.pem");
    ocspr_chain_report_t *r;

    add_cert_file(vh, path, 12);
    set(&vh->chain_file, path, 13, 0);
    r = analyse(vh);
    ck_assert_msg(r->findings->nelts == 0, "findings:%s", dump(r));
}
END_TEST

START_TEST(issuer_with_other_key_prints_both_key_ids)
{
    ocspr_chain_vhost_t *vh = vhost();
    const ocspr_chain_finding_t *f;

    add_cert_file(vh, compose("otherkey.pem", "good.pem", "int-otherkey.pem", NULL), 12);
    f = only(analyse(vh), OCSPR_CHAIN_ISSUER_OTHER_KEY);
    ck_assert_str_eq(f->tag, "OCSPR0404");
    assert_has(f, akid("good"));
    assert_has(f, skid("int-otherkey"));
    ck_assert_str_ne(akid("good"), skid("int-otherkey"));
}
END_TEST

START_TEST(intermediate_of_another_chain_is_listed_against_the_needed_one)
{
    ocspr_chain_vhost_t *vh = vhost();
    const ocspr_chain_finding_t *f;

    add_cert_file(vh, compose("foreign.pem", "good.pem", "other-root.pem", NULL), 12);
    f = only(analyse(vh), OCSPR_CHAIN_FOREIGN_INTERMEDIATE);
    ck_assert(f->breaks_stapling);
    assert_has(f, "CN=Other Root CA");
    assert_has(f, skid("other-root"));
    assert_has(f, "needs its issuer \"CN=Test Intermediate CA,O=ocspr test\"");
}
END_TEST

START_TEST(extra_foreign_certificate_with_working_chain_is_a_warning)
{
    ocspr_chain_vhost_t *vh = vhost();
    const ocspr_chain_finding_t *f;
    ocspr_chain_report_t *r;

    add_cert_file(vh, compose("extra.pem", "good.pem", "int.pem", "root.pem", "other-root.pem",
                              NULL), 12);
    r = analyse(vh);
    f = only(r, OCSPR_CHAIN_FOREIGN_INTERMEDIATE);
    ck_assert_int_eq(f->level, OCSPR_LOG_WARNING);
    ck_assert(!f->breaks_stapling);
    assert_has(f, "CN=Other Root CA");
    ck_assert_int_eq(totals.ready, 1);
}
END_TEST

START_TEST(der_chain_file_gives_conversion_command)
{
    ocspr_chain_vhost_t *vh = vhost();
    const char *der = ocspr_test_pki_path(ocspr_test_pool, "int.der");
    const ocspr_chain_finding_t *f;
    ocspr_chain_report_t *r;

    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "good.pem"), 12);
    set(&vh->chain_file, der, 13, 0);
    r = analyse(vh);
    f = only(r, OCSPR_CHAIN_NOT_PEM);
    assert_has(f, "is DER");
    assert_has(f, apr_psprintf(ocspr_test_pool, "openssl x509 -inform DER -in %s -out %s.pem",
                               der, der));
    ck_assert(f->breaks_stapling);
    ck_assert_int_eq(totals.ready, 0);
}
END_TEST

START_TEST(pkcs7_cert_file_gives_pkcs7_command)
{
    ocspr_chain_vhost_t *vh = vhost();
    const char *p7 = apr_pstrcat(ocspr_test_pool, workdir, "/good.p7b", NULL);
    const ocspr_chain_finding_t *f;
    ocspr_chain_report_t *r;

    ck_assert_int_eq(system(apr_psprintf(ocspr_test_pool,
        "openssl crl2pkcs7 -nocrl -certfile '%s' -outform DER -out '%s'",
        ocspr_test_pki_path(ocspr_test_pool, "good.chain.pem"), p7)), 0);
    add_cert_file(vh, p7, 12);
    r = analyse(vh);
    f = only(r, OCSPR_CHAIN_NOT_PEM);
    assert_has(f, "is PKCS#7");
    assert_has(f, "openssl pkcs7");
    assert_has(f, "refuses to start");
}
END_TEST

START_TEST(intermediate_before_leaf_is_wrong_order)
{
    ocspr_chain_vhost_t *vh = vhost();
    const ocspr_chain_finding_t *f;

    add_cert_file(vh, compose("reversed.pem", "int.pem", "good.pem", NULL), 12);
    f = only(analyse(vh), OCSPR_CHAIN_WRONG_ORDER);
    assert_has(f, "\"CN=Test Intermediate CA,O=ocspr test\"");
    assert_has(f, "position 2");
    assert_has(f, "the server certificate \"CN=good.test,O=ocspr test\" first");
}
END_TEST

START_TEST(self_signed_with_stapling_and_without)
{
    ocspr_chain_vhost_t *vh = vhost();
    const ocspr_chain_finding_t *f;

    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "other-root.pem"), 12);
    f = only(analyse(vh), OCSPR_CHAIN_SELF_SIGNED);
    assert_has(f, "set `SSLUseStapling Off` at " CONF ":11");
    vh->use_stapling.value = "Off";
    ck_assert_int_eq(analyse(vh)->findings->nelts, 0);
}
END_TEST

START_TEST(expired_leaf_with_its_chain_is_primed_and_ready)
{
    ocspr_chain_vhost_t *vh = vhost();
    const ocspr_chain_finding_t *f;

    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "expired.chain.pem"), 12);
    f = only(analyse(vh), OCSPR_CHAIN_EXPIRED);
    assert_has(f, "subject \"O=ocspr test,CN=expired.test\"");
    assert_has(f, ": the certificate expired on");
    ck_assert_int_eq(f->level, OCSPR_LOG_ERR);
    /* mod_ssl's issuer search ignores validity: it primes and staples it. */
    ck_assert(!f->breaks_stapling);
    ck_assert_int_eq(totals.ready, 1);
}
END_TEST

START_TEST(expired_intermediate)
{
    ocspr_chain_vhost_t *vh = vhost();
    ocspr_cert_t *in = ocspr_test_cert(ocspr_test_pool, "int");
    ocspr_chain_report_t *r;

    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "good.chain.pem"), 12);
    /* A day after the intermediate's end: leaf and intermediate both expired. */
    r = analyse_at(vh, ocspr_cert_not_after(in) + apr_time_from_sec(86400));
    ck_assert_msg(count(r, OCSPR_CHAIN_EXPIRED) == 2 && r->findings->nelts == 2, "%s", dump(r));
    assert_has(&APR_ARRAY_IDX(r->findings, 1, ocspr_chain_finding_t),
               "the issuer subject \"CN=Test Intermediate CA");
}
END_TEST

START_TEST(no_ocsp_url_is_a_notice_with_the_way_off)
{
    ocspr_chain_vhost_t *vh = vhost();
    const ocspr_chain_finding_t *f;
    ocspr_chain_report_t *r;

    set(&vh->use_stapling, "On", 2, 1);
    set(&vh->refresh, "on", 16, 0);
    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "noocsp.chain.pem"), 12);
    r = analyse(vh);
    f = only(r, OCSPR_CHAIN_NO_OCSP_URL);
    ck_assert_int_eq(f->level, OCSPR_LOG_NOTICE);
    ck_assert(!f->breaks_stapling);
    assert_has(f, "add `SSLUseStapling Off` inside this vhost (" CONF ":10)");
    assert_has(f, "set `OCSPRefresh Off` at " CONF ":16");
    ck_assert_int_eq(totals.ready, 0);
    ck_assert_int_eq(totals.breaking, 0);
}
END_TEST

START_TEST(responder_override_supplies_the_url)
{
    ocspr_chain_vhost_t *vh = vhost();
    ocspr_chain_report_t *r;

    set(&vh->refresh, "On", 16, 0);
    set(&vh->responder, "http://127.0.0.1:18080/ocsp", 17, 0);
    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "noocsp.chain.pem"), 12);
    r = analyse(vh);
    ck_assert_msg(r->findings->nelts == 0, "%s", dump(r));
    ck_assert_int_eq(totals.ready, 1);
}
END_TEST

START_TEST(https_responder)
{
    ocspr_chain_vhost_t *vh = vhost();
    const ocspr_chain_finding_t *f;

    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "httpsocsp.chain.pem"), 12);
    f = only(analyse(vh), OCSPR_CHAIN_HTTPS_RESPONDER);
    ck_assert(f->breaks_stapling);
    assert_has(f, "https://127.0.0.1:18080/ocsp");
    assert_has(f, "`SSLStaplingForceURL http://127.0.0.1:18080/ocsp`");
}
END_TEST

START_TEST(must_staple_raises_notice_to_error)
{
    ocspr_chain_vhost_t *vh = vhost();
    const ocspr_chain_finding_t *f;

    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "mustaple.pem"), 12);
    vh->use_stapling.value = NULL;
    /* Must-Staple without stapling, and without its issuer. */
    {
        ocspr_chain_report_t *r = analyse(vh);

        ck_assert_msg(count(r, OCSPR_CHAIN_MUST_STAPLE_OFF) == 1
                      && count(r, OCSPR_CHAIN_CLIENT_CHAIN) == 1, "%s", dump(r));
        f = &APR_ARRAY_IDX(r->findings, 1, ocspr_chain_finding_t);
        ck_assert_int_eq(f->level, OCSPR_LOG_ERR);
        assert_has(f, "Must-Staple");
        ck_assert_int_eq(totals.breaking, 1);
    }
}
END_TEST

START_TEST(stapling_without_cache)
{
    ocspr_chain_vhost_t *vh = vhost();
    const ocspr_chain_finding_t *f;

    vh->stapling_cache = 0;
    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "good.chain.pem"), 12);
    f = only(analyse(vh), OCSPR_CHAIN_NO_STAPLING_CACHE);
    assert_has(f, "SSLUseStapling On (at " CONF ":11)");
    assert_has(f, "SSLStaplingCache");
}
END_TEST

START_TEST(unreadable_and_garbage_files)
{
    ocspr_chain_vhost_t *vh = vhost();
    const char *garbage = apr_pstrcat(ocspr_test_pool, workdir, "/garbage.pem", NULL);
    apr_file_t *f;
    ocspr_chain_report_t *r;

    ck_assert_int_eq(apr_file_open(&f, garbage, APR_FOPEN_WRITE | APR_FOPEN_CREATE,
                                   APR_FPROT_OS_DEFAULT, ocspr_test_pool), APR_SUCCESS);
    apr_file_puts("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", f);
    apr_file_close(f);
    add_cert_file(vh, "/nonexistent/cert.pem", 12);
    add_cert_file(vh, garbage, 13);
    r = analyse(vh);
    ck_assert_msg(count(r, OCSPR_CHAIN_UNREADABLE) == 2 && r->findings->nelts == 2, "%s", dump(r));
    assert_has(&APR_ARRAY_IDX(r->findings, 0, ocspr_chain_finding_t), "/nonexistent/cert.pem");
    assert_has(&APR_ARRAY_IDX(r->findings, 0, ocspr_chain_finding_t), "cannot be read");
    assert_has(&APR_ARRAY_IDX(r->findings, 1, ocspr_chain_finding_t), "no certificate");
    ck_assert(cert_entry(r, 0)->cert == NULL);
}
END_TEST

START_TEST(ca_path_without_hash_links)
{
    ocspr_chain_vhost_t *vh = vhost();
    const char *dir = apr_pstrcat(ocspr_test_pool, workdir, "/capath", NULL);
    const ocspr_chain_finding_t *f;
    ocspr_chain_report_t *r;

    ck_assert_int_eq(apr_dir_make(dir, APR_FPROT_OS_DEFAULT, ocspr_test_pool), APR_SUCCESS);
    compose("capath/intermediate.pem", "int.pem", NULL);
    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "good.pem"), 12);
    set(&vh->ca_path, dir, 14, 0);
    f = only(analyse(vh), OCSPR_CHAIN_CA_PATH_NOT_HASHED);
    assert_has(f, apr_psprintf(ocspr_test_pool, "openssl rehash %s", dir));
    assert_has(f, "intermediate.pem");
    ck_assert_int_eq(system(apr_psprintf(ocspr_test_pool, "openssl rehash '%s' 2>/dev/null",
                                         dir)), 0);
    r = analyse(vh);
    ck_assert_msg(r->findings->nelts == 0, "after rehash:%s", dump(r));
}
END_TEST

START_TEST(fallback_when_no_certificate)
{
    ocspr_chain_vhost_t *vh = vhost();

    only(analyse(vh), OCSPR_CHAIN_FALLBACK);
    vh->use_stapling.value = NULL;
    ck_assert_int_eq(analyse(vh)->findings->nelts, 0);
}
END_TEST

START_TEST(not_primed_cross_check)
{
    ocspr_chain_vhost_t *vh = vhost();
    ocspr_chain_run_t *run;
    ocspr_chain_report_t *r;
    apr_array_header_t *reports = apr_array_make(ocspr_test_pool, 1, sizeof(r));
    const ocspr_chain_finding_t *f;

    add_cert_file(vh, ocspr_test_pki_path(ocspr_test_pool, "good.chain.pem"), 12);
    ck_assert_int_eq(ocspr_chain_run_create(&run, ocspr_test_pool, apr_time_now()), APR_SUCCESS);
    ck_assert_int_eq(ocspr_chain_run_add(&r, run, vh), APR_SUCCESS);
    APR_ARRAY_PUSH(reports, ocspr_chain_report_t *) = r;
    ocspr_chain_add_not_primed(run, r, cert_entry(r, 0));
    settle_and_check(run, reports);
    f = only(r, OCSPR_CHAIN_NOT_PRIMED);
    assert_has(f, "CN=good.test");
    ck_assert(f->breaks_stapling);
    ck_assert_int_eq(totals.ready, 0);
}
END_TEST

/* ---- across vhosts ------------------------------------------------------- */

/* A vhost like vhost() with another name and SSLCertificateChainFile. */
static ocspr_chain_vhost_t *named_vhost(const char *name, int line, const char *cert,
                                        const char *chain_file)
{
    ocspr_chain_vhost_t *vh = vhost();

    vh->name = name;
    vh->line = line;
    add_cert_file(vh, cert, line + 2);
    if (chain_file != NULL) {
        set(&vh->chain_file, chain_file, line + 3, 0);
    }
    return vh;
}

static const ocspr_chain_report_t *nth(apr_array_header_t *reports, int i)
{
    return APR_ARRAY_IDX(reports, i, const ocspr_chain_report_t *);
}

START_TEST(shared_certificate_primed_by_another_vhost_is_client_chain)
{
    const char *good = ocspr_test_pki_path(ocspr_test_pool, "good.pem");
    ocspr_chain_vhost_t *a = named_vhost("a.test:443", 10, good,
                                         ocspr_test_pki_path(ocspr_test_pool, "int.pem"));
    ocspr_chain_vhost_t *b = named_vhost("b.test:443", 20, good,
                                         ocspr_test_pki_path(ocspr_test_pool, "other-root.pem"));
    const ocspr_chain_finding_t *f;
    apr_array_header_t *reports;

    /* Either order: the settlement waits for every vhost. */
    reports = analyse_all(apr_time_now(), b, a, NULL);
    ck_assert_int_eq(nth(reports, 1)->findings->nelts, 0);
    f = only(nth(reports, 0), OCSPR_CHAIN_CLIENT_CHAIN);
    ck_assert(!f->breaks_stapling);
    ck_assert_int_eq(f->level, OCSPR_LOG_WARNING);
    assert_has(f, "vhost b.test:443");
    assert_has(f, "CN=Other Root CA");
    assert_has(f, "mod_ssl primes this certificate through vhost a.test:443");
    ck_assert_int_eq(totals.certs, 1);
    ck_assert_int_eq(totals.ready, 1);
    ck_assert_int_eq(totals.breaking, 0);

    /* Alone, the same vhost breaks stapling. */
    f = only(analyse(b), OCSPR_CHAIN_FOREIGN_INTERMEDIATE);
    ck_assert(f->breaks_stapling);
    assert_has(f, "No vhost using this certificate lets mod_ssl find its issuer");
    ck_assert_int_eq(totals.ready, 0);
}
END_TEST

START_TEST(refresh_only_vhost_without_a_primed_certificate_gets_no_callback)
{
    const char *good = ocspr_test_pki_path(ocspr_test_pool, "good.pem");
    ocspr_chain_vhost_t *a = named_vhost("a.test:443", 10, good,
                                         ocspr_test_pki_path(ocspr_test_pool, "int.pem"));
    ocspr_chain_vhost_t *b = named_vhost("b.test:443", 20, good,
                                         ocspr_test_pki_path(ocspr_test_pool, "other-root.pem"));
    const ocspr_chain_finding_t *f;
    apr_array_header_t *reports;

    /* mod_ssl installs its status callback on a vhost with SSLUseStapling
     * Off only when one of its certificates reached the prime hook. */
    a->use_stapling.value = b->use_stapling.value = NULL;
    set(&a->refresh, "On", 5, 1);
    set(&b->refresh, "On", 5, 1);
    reports = analyse_all(apr_time_now(), a, b, NULL);
    f = only(nth(reports, 1), OCSPR_CHAIN_FOREIGN_INTERMEDIATE);
    ck_assert(f->breaks_stapling);
    assert_has(f, "primes this certificate through vhost a.test:443, but this vhost's "
               "handshakes get no staple");
    ck_assert_int_eq(totals.ready, 1);

    /* With SSLUseStapling On the callback is there, and our hook answers. */
    set(&b->use_stapling, "On", 21, 0);
    reports = analyse_all(apr_time_now(), a, b, NULL);
    only(nth(reports, 1), OCSPR_CHAIN_CLIENT_CHAIN);
}
END_TEST

START_TEST(rekeyed_intermediate_in_ca_path_gives_both_fixes_with_their_files)
{
    ocspr_chain_vhost_t *vh = vhost();
    const char *dir = apr_pstrcat(ocspr_test_pool, workdir, "/capath", NULL);
    const char *leaf = compose("leaf.pem", "good.pem", NULL);
    const char *in_dir;
    const ocspr_chain_finding_t *f;

    ck_assert_int_eq(apr_dir_make(dir, APR_FPROT_OS_DEFAULT, ocspr_test_pool), APR_SUCCESS);
    in_dir = compose("capath/int.pem", "int-otherkey.pem", NULL);
    ck_assert_int_eq(system(apr_psprintf(ocspr_test_pool, "openssl rehash '%s' 2>/dev/null",
                                         dir)), 0);
    add_cert_file(vh, leaf, 12);
    set(&vh->ca_path, dir, 14, 0);
    f = only(analyse(vh), OCSPR_CHAIN_ISSUER_OTHER_KEY);
    ck_assert(f->breaks_stapling);
    assert_has(f, apr_psprintf(ocspr_test_pool, "replace %s in SSLCACertificatePath %s",
                               in_dir, dir));
    assert_has(f, apr_psprintf(ocspr_test_pool, "> %s && openssl rehash %s`", in_dir, dir));
    assert_has(f, apr_psprintf(ocspr_test_pool, "append the issuer \"CN=Test Intermediate "
                               "CA,O=ocspr test\" with key id %s", akid("good")));
    assert_has(f, apr_psprintf(ocspr_test_pool, ">> %s`", leaf));
}
END_TEST

START_TEST(shared_chain_file_fix_appends_and_names_the_other_vhosts)
{
    const char *other = compose("other.pem", "other-root.pem", NULL);
    ocspr_chain_vhost_t *b = named_vhost("b.test:443", 20,
                                         ocspr_test_pki_path(ocspr_test_pool, "good.pem"), other);
    ocspr_chain_vhost_t *c = named_vhost("c.test:443", 30,
                                         ocspr_test_pki_path(ocspr_test_pool, "ocsp-other.pem"),
                                         other);
    const ocspr_chain_finding_t *f;
    apr_array_header_t *reports;

    reports = analyse_all(apr_time_now(), b, c, NULL);
    f = &APR_ARRAY_IDX(nth(reports, 0)->findings, 0, ocspr_chain_finding_t);
    ck_assert_int_eq(f->code, OCSPR_CHAIN_FOREIGN_INTERMEDIATE);
    assert_has(f, apr_psprintf(ocspr_test_pool, ">> %s`", other));
    assert_has(f, apr_psprintf(ocspr_test_pool, "Note: %s is also used by vhost c.test:443 "
                               "(SSLCertificateChainFile at " CONF ":33)", other));
    ck_assert_msg(strstr(f->fix, "replace") == NULL, "a shared file must not be replaced: %s",
                  f->fix);
    /* Alone, the file is replaced. */
    f = &APR_ARRAY_IDX(analyse(b)->findings, 0, ocspr_chain_finding_t);
    assert_has(f, apr_psprintf(ocspr_test_pool, "replace the content of %s", other));
    assert_has(f, apr_psprintf(ocspr_test_pool, "> %s`", other));
}
END_TEST

START_TEST(shared_file_note_names_five_vhosts_and_counts_the_rest)
{
    const char *other = compose("other.pem", "other-root.pem", NULL);
    const char *good = ocspr_test_pki_path(ocspr_test_pool, "good.pem");
    ocspr_chain_run_t *run;
    ocspr_chain_report_t *first = NULL, *r;
    ocspr_chain_totals_t t;
    const ocspr_chain_finding_t *f;
    int i;

    ck_assert_int_eq(ocspr_chain_run_create(&run, ocspr_test_pool, apr_time_now()), APR_SUCCESS);
    for (i = 0; i < 8; i++) {
        ck_assert_int_eq(ocspr_chain_run_add(&r, run, named_vhost(
            apr_psprintf(ocspr_test_pool, "v%d.test:443", i), 10 * (i + 1), good, other)),
            APR_SUCCESS);
        first = first != NULL ? first : r;
    }
    ocspr_chain_run_finish(run, &t);
    f = &APR_ARRAY_IDX(first->findings, 0, ocspr_chain_finding_t);
    assert_has(f, apr_psprintf(ocspr_test_pool, "Note: %s is also used by vhost v1.test:443 "
                               "(SSLCertificateChainFile at " CONF ":23)", other));
    assert_has(f, "vhost v5.test:443 (SSLCertificateChainFile at " CONF ":63) and 2 more "
               "vhosts; the change applies to them too.");
    ck_assert_ptr_null(strstr(f->message, "v6.test"));
}
END_TEST

START_TEST(unused_certificates_of_a_shared_chain_bundle_are_found_upwards)
{
    /* The root after the intermediate it issues, an unrelated root first:
     * only the unrelated one is unused, for every vhost sharing the file. */
    const char *bundle = compose("bundle.pem", "other-root.pem", "root.pem", "int.pem", NULL);
    const char *good = ocspr_test_pki_path(ocspr_test_pool, "good.pem");
    apr_array_header_t *reports = analyse_all(apr_time_now(),
                                              named_vhost("a.test:443", 10, good, bundle),
                                              named_vhost("b.test:443", 20, good, bundle), NULL);
    int i;

    for (i = 0; i < 2; i++) {
        const ocspr_chain_finding_t *f = only(nth(reports, i), OCSPR_CHAIN_FOREIGN_INTERMEDIATE);

        ck_assert_int_eq(f->level, OCSPR_LOG_WARNING);
        assert_has(f, apr_psprintf(ocspr_test_pool, "%s also holds \"CN=Other Root CA,O=ocspr "
                                   "elsewhere\" (key id ", bundle));
        ck_assert_msg(strstr(f->message, "Test Root CA") == NULL, "%s", f->message);
    }
}
END_TEST

/* A CA bundle as a chain file: the finding names a few of its certificates
 * and counts the rest, so that it stays far below httpd's 8 KB log line
 * and keeps its fix. */
START_TEST(a_long_list_of_unused_certificates_is_cut_short)
{
    const char *bundle = compose("bundle.pem", "other-root.pem", "good-ec.pem", "expired.pem",
                                 "noocsp.pem", "revoked.pem", "mustaple.pem", "ocsp-other.pem",
                                 "int.pem", NULL);
    const char *good = ocspr_test_pki_path(ocspr_test_pool, "good.pem");
    apr_array_header_t *reports = analyse_all(apr_time_now(),
                                              named_vhost("a.test:443", 10, good, bundle), NULL);
    const ocspr_chain_finding_t *f = only(nth(reports, 0), OCSPR_CHAIN_FOREIGN_INTERMEDIATE);
    const char *key_id = f->message;
    int named = 0;

    while ((key_id = strstr(key_id, "(key id ")) != NULL) {
        named++;
        key_id++;
    }
    ck_assert_int_eq(named, 5);
    assert_has(f, " and 2 more certificates, which issue no certificate of this chain");
    ck_assert_msg(f->fix != NULL && strstr(f->fix, bundle) != NULL, "fix: %s",
                  f->fix ? f->fix : "(none)");
}
END_TEST

START_TEST(files_are_read_once_per_run)
{
    const char *chain = compose("chain.pem", "int.pem", NULL);
    const char *good = ocspr_test_pki_path(ocspr_test_pool, "good.pem");
    ocspr_chain_vhost_t *a = named_vhost("a.test:443", 10, good, chain);
    ocspr_chain_vhost_t *b = named_vhost("b.test:443", 20, good, chain);
    ocspr_chain_run_t *run;
    ocspr_chain_report_t *r;

    ck_assert_int_eq(ocspr_chain_run_create(&run, ocspr_test_pool, apr_time_now()), APR_SUCCESS);
    ck_assert_int_eq(ocspr_chain_run_add(&r, run, a), APR_SUCCESS);
    /* Gone after the first vhost read it: the second must use the run's copy. */
    ck_assert_int_eq(unlink(chain), 0);
    ck_assert_int_eq(ocspr_chain_run_add(&r, run, b), APR_SUCCESS);
    ocspr_chain_run_finish(run, &totals);
    ck_assert_msg(r->findings->nelts == 0, "%s", dump(r));
    ck_assert(cert_entry(r, 0)->issuer_found);
}
END_TEST

Suite *ocspr_suite_chain(void)
{
    Suite *s = suite_create("chain");
    TCase *tc = tcase_create("chain");

    ocspr_tc_add_pool_fixture(tc);
    tcase_add_checked_fixture(tc, workdir_setup, workdir_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, healthy_chain_in_cert_file);
    tcase_add_test(tc, pem_line_forms_read_as_the_canonical_file);
    tcase_add_test(tc, healthy_rsa_ecdsa_with_shared_chain_file);
    tcase_add_test(tc, healthy_issuer_in_ca_file);
    tcase_add_test(tc, healthy_without_stapling_is_silent_and_not_ready);
    tcase_add_test(tc, leaf_only_names_issuer_key_id_url_and_file);
    tcase_add_test(tc, leaf_only_without_stapling_is_a_client_chain_warning);
    tcase_add_test(tc, chain_file_hides_issuer_in_cert_file);
    tcase_add_test(tc, chain_file_equal_to_cert_file_skips_leaf);
    tcase_add_test(tc, issuer_with_other_key_prints_both_key_ids);
    tcase_add_test(tc, intermediate_of_another_chain_is_listed_against_the_needed_one);
    tcase_add_test(tc, extra_foreign_certificate_with_working_chain_is_a_warning);
    tcase_add_test(tc, der_chain_file_gives_conversion_command);
    tcase_add_test(tc, pkcs7_cert_file_gives_pkcs7_command);
    tcase_add_test(tc, intermediate_before_leaf_is_wrong_order);
    tcase_add_test(tc, self_signed_with_stapling_and_without);
    tcase_add_test(tc, expired_leaf_with_its_chain_is_primed_and_ready);
    tcase_add_test(tc, expired_intermediate);
    tcase_add_test(tc, no_ocsp_url_is_a_notice_with_the_way_off);
    tcase_add_test(tc, responder_override_supplies_the_url);
    tcase_add_test(tc, https_responder);
    tcase_add_test(tc, must_staple_raises_notice_to_error);
    tcase_add_test(tc, stapling_without_cache);
    tcase_add_test(tc, unreadable_and_garbage_files);
    tcase_add_test(tc, ca_path_without_hash_links);
    tcase_add_test(tc, fallback_when_no_certificate);
    tcase_add_test(tc, not_primed_cross_check);
    tcase_add_test(tc, shared_certificate_primed_by_another_vhost_is_client_chain);
    tcase_add_test(tc, refresh_only_vhost_without_a_primed_certificate_gets_no_callback);
    tcase_add_test(tc, rekeyed_intermediate_in_ca_path_gives_both_fixes_with_their_files);
    tcase_add_test(tc, shared_chain_file_fix_appends_and_names_the_other_vhosts);
    tcase_add_test(tc, shared_file_note_names_five_vhosts_and_counts_the_rest);
    tcase_add_test(tc, unused_certificates_of_a_shared_chain_bundle_are_found_upwards);
    tcase_add_test(tc, a_long_list_of_unused_certificates_is_cut_short);
    tcase_add_test(tc, files_are_read_once_per_run);
    suite_add_tcase(s, tc);
    return s;
}
