/* Tests for ocspr_registry.c: the certificates mod_ssl primed, each once
 * whichever vhosts share it, with its responder or the reason it has none,
 * its slot in the shared state, the not-applicable log and the store sweep.
 *
 * Certificates come from the test PKI (good.chain.pem and friends: leaf then
 * issuer, as mod_ssl primes them) or are made in-process
 * (ocspr_test_make_leaf: no AIA, any CN). Log lines are recorded by a sink
 * installed per test. The sweep works in a directory under a per-TCase root
 * in /tmp that an unchecked fixture removes, in the runner process, even
 * when a forked test failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <openssl/pem.h>

#include "check_support.h"
#include "ocspr_registry.h"
#include "ocspr_store.h"
#include "ocspr_tags.h"

#define MAX_LOGS 64
#define OVERRIDE_URL "http://override.test/ocsp"

/* ---- a recording log sink ---------------------------------------------- */

static struct {
    ocspr_test_log_entry_t entry[MAX_LOGS];
    int n;
    int dropped;
} logged;

static void record_log(void *baton, const char *file, int line, ocspr_log_level_t level,
                       apr_status_t rv, const char *tag, const char *msg)
{
    apr_pool_t *p = baton;
    ocspr_test_log_entry_t *l;

    (void)file;
    (void)line;
    if (logged.n == MAX_LOGS) {
        logged.dropped++;
        return;
    }
    l = &logged.entry[logged.n++];
    l->level = level;
    l->rv = rv;
    l->tag = tag ? apr_pstrdup(p, tag) : NULL;
    l->msg = apr_pstrdup(p, msg);
}

static apr_status_t restore_log(void *data)
{
    (void)data;
    ocspr_log_set(NULL, NULL, OCSPR_LOG_WARNING);
    return APR_SUCCESS;
}

/* Record every line (DEBUG included) until the test's pool goes. */
static void record_logs(void)
{
    memset(&logged, 0, sizeof(logged));
    ocspr_log_set(record_log, ocspr_test_pool, OCSPR_LOG_DEBUG);
    apr_pool_cleanup_register(ocspr_test_pool, NULL, restore_log, apr_pool_cleanup_null);
}

/* How many lines at `level` with `tag` (NULL: any) contain `part` (NULL: any). */
static int count_logs(ocspr_log_level_t level, const char *tag, const char *part)
{
    int i, n = 0;

    ck_assert_int_eq(logged.dropped, 0);
    for (i = 0; i < logged.n; i++) {
        const ocspr_test_log_entry_t *l = &logged.entry[i];

        n += l->level == level && (!tag || (l->tag && !strcmp(l->tag, tag)))
             && (!part || strstr(l->msg, part));
    }
    return n;
}

/* Lines at any level that contain part. */
static int logs_naming(const char *part)
{
    int i, n = 0;

    for (i = 0; i < logged.n; i++) {
        n += strstr(logged.entry[i].msg, part) != NULL;
    }
    return n;
}

/* ---- certificates ------------------------------------------------------ */

/* A PKI file's text (NUL-terminated). */
static const char *pki_text(const char *file)
{
    unsigned char *data;
    apr_size_t len;

    ocspr_test_read_file(&data, &len, ocspr_test_pool, ocspr_test_pki_path(ocspr_test_pool, file));
    data[len] = '\0';
    return (const char *)data;
}

static const char *cert_pem(const ocspr_cert_t *cert)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data;
    long len;
    const char *pem;

    ck_assert_ptr_nonnull(bio);
    ck_assert(PEM_write_bio_X509(bio, ocspr_cert_x509(cert)));
    len = BIO_get_mem_data(bio, &data);
    ck_assert_int_gt(len, 0);
    pem = apr_pstrmemdup(ocspr_test_pool, data, (apr_size_t)len);
    BIO_free(bio);
    return pem;
}

/* What mod_ssl primes for a leaf made in-process: it, then its issuer. */
static const char *made_chain_pem(const ocspr_cert_t *leaf)
{
    return apr_pstrcat(ocspr_test_pool, cert_pem(leaf), pki_text("int.pem"), NULL);
}

/* The id mod_ssl gives the prime hook: SHA-1 of the leaf's DER. */
static void id_of(unsigned char id[OCSPR_CERT_ID_LEN], const ocspr_cert_t *cert)
{
    ck_assert_int_eq(ocspr_cert_id(id, cert), APR_SUCCESS);
}

/* Add PKI certificate `name` (NAME.chain.pem) for vhost; returns its entry. */
static ocspr_entry_t *add_pki(ocspr_registry_t *reg, const char *name, const char *vhost,
                              const char *responder)
{
    unsigned char id[OCSPR_CERT_ID_LEN];
    ocspr_entry_t *entry = NULL;
    apr_status_t rv;

    id_of(id, ocspr_test_cert(ocspr_test_pool, name));
    rv = ocspr_registry_add(&entry, reg, id,
                            pki_text(apr_pstrcat(ocspr_test_pool, name, ".chain.pem", NULL)),
                            vhost, responder);
    ck_assert_msg(rv == APR_SUCCESS, "adding %s for %s: status %d", name, vhost, rv);
    ck_assert_ptr_nonnull(entry);
    return entry;
}

static ocspr_entry_t *add_made(ocspr_registry_t *reg, const ocspr_cert_t *leaf, const char *vhost,
                               const char *responder)
{
    unsigned char id[OCSPR_CERT_ID_LEN];
    ocspr_entry_t *entry = NULL;

    id_of(id, leaf);
    ck_assert_int_eq(ocspr_registry_add(&entry, reg, id, made_chain_pem(leaf), vhost, responder),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(entry);
    return entry;
}

static int same_cert(const ocspr_cert_t *a, const ocspr_cert_t *b)
{
    return X509_cmp(ocspr_cert_x509(a), ocspr_cert_x509(b)) == 0;
}

/* ---- add, get ------------------------------------------------------------ */

/* Two certificates, three vhosts: one entry per certificate, each vhost
 * once, in the order seen. */
START_TEST(add_makes_one_entry_per_certificate)
{
    apr_pool_t *p = ocspr_test_pool;
    ocspr_registry_t *reg = ocspr_registry_create(p);
    ocspr_cert_t *good = ocspr_test_cert(p, "good");
    unsigned char id[OCSPR_CERT_ID_LEN];
    ocspr_entry_t *a, *b, *again;

    id_of(id, good);
    a = add_pki(reg, "good", "a.test:443", NULL);
    b = add_pki(reg, "good-ec", "b.test:443", NULL);
    again = add_pki(reg, "good", "c.test:8443", NULL);
    ck_assert_ptr_eq(again, a);
    ck_assert_ptr_eq(add_pki(reg, "good", "a.test:443", NULL), a);
    ck_assert_ptr_ne(a, b);

    ck_assert_int_eq(reg->entries->nelts, 2);
    ck_assert_int_eq(apr_hash_count(reg->by_id), 2);
    ck_assert_ptr_eq(APR_ARRAY_IDX(reg->entries, 0, ocspr_entry_t *), a);
    ck_assert_ptr_eq(APR_ARRAY_IDX(reg->entries, 1, ocspr_entry_t *), b);
    ck_assert_int_eq(reg->stapled, 2);
    ck_assert_str_eq(ocspr_entry_vhosts(p, a), "a.test:443,c.test:8443");
    ck_assert_str_eq(ocspr_entry_vhosts(p, b), "b.test:443");

    ck_assert(memcmp(a->id, id, OCSPR_CERT_ID_LEN) == 0);
    ck_assert_str_eq(a->id_hex, ocspr_hex(p, id, OCSPR_CERT_ID_LEN));
    ck_assert(same_cert(a->cert, good));
    ck_assert(same_cert(a->issuer, ocspr_test_cert(p, "int")));
    /* One issuer text, parsed once: the entries share its certificate. */
    ck_assert_ptr_eq(b->issuer, a->issuer);
    ck_assert_int_eq(apr_hash_count(reg->issuers), 1);
    ck_assert_msg(a->url && !strncmp(a->url, "http://127.0.0.1:", 17), "url %s",
                  a->url ? a->url : a->not_applicable);
    ck_assert_ptr_null(a->not_applicable);
    ck_assert_int_eq(a->must_staple, 0);
    ck_assert_ptr_eq(ocspr_registry_get(reg, id, OCSPR_CERT_ID_LEN), a);
    /* Not bound yet: no engine view. */
    ck_assert_ptr_null(a->engine_cert.state);
}
END_TEST

START_TEST(responder_override_wins_over_aia)
{
    ocspr_registry_t *reg = ocspr_registry_create(ocspr_test_pool);
    ocspr_entry_t *good = add_pki(reg, "good", "a.test:443", OVERRIDE_URL);
    ocspr_entry_t *noocsp = add_pki(reg, "noocsp", "b.test:443", OVERRIDE_URL);

    ck_assert_str_eq(good->url, OVERRIDE_URL);
    ck_assert_ptr_null(good->not_applicable);
    /* A certificate without AIA is stapled through the override. */
    ck_assert_str_eq(noocsp->url, OVERRIDE_URL);
    ck_assert_ptr_null(noocsp->not_applicable);
    ck_assert_int_eq(noocsp->slot, 1);
    ck_assert_int_eq(reg->stapled, 2);
}
END_TEST

/* Stapled entries take slots 0..n-1 in priming order; the others -1, with
 * the reason, and do not count. */
START_TEST(slots_go_to_stapled_entries_in_order)
{
    ocspr_registry_t *reg = ocspr_registry_create(ocspr_test_pool);
    ocspr_entry_t *good = add_pki(reg, "good", "a.test:443", NULL);
    ocspr_entry_t *noocsp = add_pki(reg, "noocsp", "b.test:443", NULL);
    ocspr_entry_t *must = add_pki(reg, "mustaple", "c.test:443", NULL);
    ocspr_entry_t *https = add_pki(reg, "httpsocsp", "d.test:443", NULL);
    ocspr_entry_t *ec = add_pki(reg, "good-ec", "e.test:443", NULL);

    ck_assert_int_eq(good->slot, 0);
    ck_assert_int_eq(must->slot, 1);
    ck_assert_int_eq(ec->slot, 2);
    ck_assert_int_eq(reg->stapled, 3);
    ck_assert_int_eq(reg->entries->nelts, 5);
    ck_assert_int_eq(must->must_staple, 1);

    ck_assert_int_eq(noocsp->slot, -1);
    ck_assert_ptr_null(noocsp->url);
    ck_assert_msg(noocsp->not_applicable && strstr(noocsp->not_applicable, "no OCSP responder"),
                  "noocsp: %s", noocsp->not_applicable ? noocsp->not_applicable : "(null)");
    ck_assert_int_eq(https->slot, -1);
    ck_assert_ptr_null(https->url);
    ck_assert_msg(https->not_applicable && strstr(https->not_applicable, "is not http://"),
                  "httpsocsp: %s", https->not_applicable ? https->not_applicable : "(null)");
    /* A second vhost of a not-applicable certificate changes no count. */
    ck_assert_ptr_eq(add_pki(reg, "noocsp", "f.test:443", NULL), noocsp);
    ck_assert_int_eq(reg->stapled, 3);
    ck_assert_int_eq(noocsp->slot, -1);
}
END_TEST

/* mod_ssl always primes the certificate with its issuer: anything less is
 * refused, and nothing is added. */
START_TEST(add_without_issuer_is_refused)
{
    ocspr_registry_t *reg = ocspr_registry_create(ocspr_test_pool);
    unsigned char id[OCSPR_CERT_ID_LEN];
    ocspr_entry_t *entry = (ocspr_entry_t *)&entry;
    ocspr_entry_t *const untouched = entry;

    id_of(id, ocspr_test_cert(ocspr_test_pool, "good"));
    ck_assert_int_eq(ocspr_registry_add(&entry, reg, id, pki_text("good.pem"), "a.test:443", NULL),
                     OCSPR_EINVALID);
    ck_assert_int_ne(ocspr_registry_add(&entry, reg, id, "no certificate here", "a.test:443",
                                        NULL), APR_SUCCESS);
    ck_assert_int_ne(ocspr_registry_add(&entry, reg, id, "", "a.test:443", NULL), APR_SUCCESS);
    ck_assert_ptr_eq(entry, untouched);
    ck_assert_int_eq(reg->entries->nelts, 0);
    ck_assert_int_eq(apr_hash_count(reg->by_id), 0);
    ck_assert_int_eq(reg->stapled, 0);
    ck_assert_ptr_null(ocspr_registry_get(reg, id, OCSPR_CERT_ID_LEN));
    /* The refusal left nothing behind: the whole chain is taken next time. */
    entry = add_pki(reg, "good", "a.test:443", NULL);
    ck_assert_int_eq(entry->slot, 0);
    ck_assert_str_eq(ocspr_entry_vhosts(ocspr_test_pool, entry), "a.test:443");
}
END_TEST

START_TEST(get_needs_the_whole_id)
{
    ocspr_registry_t *reg = ocspr_registry_create(ocspr_test_pool);
    ocspr_entry_t *entry = add_pki(reg, "good", "a.test:443", NULL);
    unsigned char longer[OCSPR_CERT_ID_LEN + 1];
    unsigned char other[OCSPR_CERT_ID_LEN];

    memcpy(longer, entry->id, OCSPR_CERT_ID_LEN);
    longer[OCSPR_CERT_ID_LEN] = 0;
    ck_assert_ptr_eq(ocspr_registry_get(reg, longer, OCSPR_CERT_ID_LEN), entry);
    ck_assert_ptr_null(ocspr_registry_get(reg, longer, OCSPR_CERT_ID_LEN - 1));
    ck_assert_ptr_null(ocspr_registry_get(reg, longer, OCSPR_CERT_ID_LEN + 1));
    ck_assert_ptr_null(ocspr_registry_get(reg, longer, 0));
    memcpy(other, entry->id, OCSPR_CERT_ID_LEN);
    other[OCSPR_CERT_ID_LEN - 1] ^= 1;
    ck_assert_ptr_null(ocspr_registry_get(reg, other, OCSPR_CERT_ID_LEN));
}
END_TEST

START_TEST(get_hex_ignores_case)
{
    apr_pool_t *p = ocspr_test_pool;
    ocspr_registry_t *reg = ocspr_registry_create(p);
    ocspr_entry_t *good = add_pki(reg, "good", "a.test:443", NULL);
    ocspr_entry_t *noocsp = add_pki(reg, "noocsp", "b.test:443", NULL);
    char *upper = apr_pstrdup(p, good->id_hex);
    char *c;

    for (c = upper; *c; c++) {
        *c = (char)apr_toupper(*c);
    }
    ck_assert_str_ne(upper, good->id_hex);
    ck_assert_ptr_eq(ocspr_registry_get_hex(reg, good->id_hex), good);
    ck_assert_ptr_eq(ocspr_registry_get_hex(reg, upper), good);
    /* Not-applicable entries are found too: the status page lists them. */
    ck_assert_ptr_eq(ocspr_registry_get_hex(reg, noocsp->id_hex), noocsp);
    ck_assert_ptr_null(ocspr_registry_get_hex(reg, NULL));
    ck_assert_ptr_null(ocspr_registry_get_hex(reg, ""));
    ck_assert_ptr_null(ocspr_registry_get_hex(reg, apr_pstrndup(p, good->id_hex, 39)));
    ck_assert_ptr_null(ocspr_registry_get_hex(reg, apr_pstrcat(p, good->id_hex, "0", NULL)));
    ck_assert_ptr_null(ocspr_registry_get_hex(ocspr_registry_create(p), good->id_hex));
}
END_TEST

START_TEST(primed_ids_are_remembered)
{
    ocspr_registry_t *reg = ocspr_registry_create(ocspr_test_pool);
    unsigned char id[OCSPR_CERT_ID_LEN], other[OCSPR_CERT_ID_LEN];
    unsigned char scratch[OCSPR_CERT_ID_LEN];

    id_of(id, ocspr_test_cert(ocspr_test_pool, "good"));
    id_of(other, ocspr_test_cert(ocspr_test_pool, "noocsp"));
    ck_assert(!ocspr_registry_was_primed(reg, id));
    ocspr_registry_mark_primed(reg, id);
    ocspr_registry_mark_primed(reg, id);
    ck_assert(ocspr_registry_was_primed(reg, id));
    ck_assert(!ocspr_registry_was_primed(reg, other));
    ck_assert_int_eq(apr_hash_count(reg->primed), 1);
    /* Marking is not stapling: no entry is made. */
    ck_assert_int_eq(reg->entries->nelts, 0);
    /* The registry keeps its own copy of the id: mod_ssl's buffer is
     * reused. */
    memcpy(scratch, other, OCSPR_CERT_ID_LEN);
    ocspr_registry_mark_primed(reg, scratch);
    memset(scratch, 0, OCSPR_CERT_ID_LEN);
    ck_assert(ocspr_registry_was_primed(reg, other));
    ck_assert(!ocspr_registry_was_primed(reg, scratch));
    ck_assert_int_eq(apr_hash_count(reg->primed), 2);
}
END_TEST

/* ---- bind ---------------------------------------------------------------- */

/* Undo ocspr_log_escape (\\, \", \xHH); NULL when s holds a byte the
 * escaping never lets through (a control byte, a bare quote, a byte over
 * 0x7E) or a malformed escape. */
static const char *log_unescape(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) + 1), *o = out;
    unsigned int byte;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c < 0x20 || c > 0x7e || c == '"') {
            return NULL;
        }
        if (c != '\\') {
            *o++ = (char)c;
        }
        else if (s[1] == '\\' || s[1] == '"') {
            *o++ = *++s;
        }
        else if (s[1] == 'x' && apr_isxdigit(s[2]) && apr_isxdigit(s[3])
                 && sscanf(s + 2, "%2x", &byte) == 1) {
            *o++ = (char)byte;
            s += 3;
        }
        else {
            return NULL;
        }
    }
    *o = '\0';
    return out;
}

START_TEST(bind_gives_stapled_entries_their_slots)
{
    apr_pool_t *p = ocspr_test_pool;
    ocspr_registry_t *reg = ocspr_registry_create(p);
    ocspr_cert_t *odd = ocspr_test_make_leaf(p, "odd\n\"name\".test", 7101, 1);
    ocspr_entry_t *good = add_pki(reg, "good", "a.test:443", NULL);
    ocspr_entry_t *noocsp = add_pki(reg, "noocsp", "b.test:443", NULL);
    ocspr_entry_t *odd_entry = add_made(reg, odd, "odd.test:443", OVERRIDE_URL);
    ocspr_entry_t *ec = add_pki(reg, "good-ec", "e.test:443", NULL);
    ocspr_cert_state_t states[3];
    ocspr_entry_t *stapled[3];
    const char *raw, *decoded;
    int i;

    add_made(reg, odd, "evil\n[error] forged.test:443", OVERRIDE_URL);
    stapled[0] = good;
    stapled[1] = odd_entry;
    stapled[2] = ec;
    ck_assert_int_eq(reg->stapled, 3);
    ocspr_registry_bind(reg, states);
    ck_assert_ptr_nonnull(reg->engine_certs);
    for (i = 0; i < 3; i++) {
        ocspr_entry_t *entry = stapled[i];
        const ocspr_engine_cert_t *c = &entry->engine_cert;

        ck_assert_int_eq(entry->slot, i);
        ck_assert_ptr_eq(reg->engine_certs[i], c);
        ck_assert_ptr_eq(c->state, &states[i]);
        ck_assert(memcmp(c->id, entry->id, OCSPR_CERT_ID_LEN) == 0);
        ck_assert_str_eq(c->id_hex, entry->id_hex);
        ck_assert_ptr_eq(c->cert, entry->cert);
        ck_assert_ptr_eq(c->issuer, entry->issuer);
        ck_assert_str_eq(c->url, entry->url);
        ck_assert_int_eq(c->must_staple, entry->must_staple);
        ck_assert_ptr_nonnull(c->label);
    }
    ck_assert_ptr_null(reg->engine_certs[3]);
    ck_assert_int_eq(odd_entry->engine_cert.must_staple, 1);
    /* The entry without a responder gets no engine view. */
    ck_assert_ptr_null(noocsp->engine_cert.state);
    ck_assert_ptr_null(noocsp->engine_cert.label);

    /* The label is one safe log item that says exactly the subject and the
     * vhosts, newlines and quotes included. */
    raw = apr_psprintf(p, "%s (vhosts %s)", ocspr_cert_subject(odd, p),
                       ocspr_entry_vhosts(p, odd_entry));
    ck_assert_msg(strstr(raw, "\n[error] forged") != NULL, "raw label: %s", raw);
    decoded = log_unescape(p, odd_entry->engine_cert.label);
    ck_assert_msg(decoded != NULL, "the label is not escaped for a log line: %s",
                  odd_entry->engine_cert.label);
    ck_assert_str_eq(decoded, raw);
    ck_assert_msg(strstr(good->engine_cert.label, "(vhosts a.test:443)") != NULL, "label: %s",
                  good->engine_cert.label);
    ck_assert_msg(strstr(good->engine_cert.label, "CN=") != NULL, "label: %s",
                  good->engine_cert.label);
}
END_TEST

/* ---- the not-applicable log -------------------------------------------- */

/* Up to ten certificates without a usable responder: a NOTICE each. Past
 * ten: one summary NOTICE, and each of the rest at INFO. */
START_TEST(not_applicable_is_logged_then_summarised)
{
    const int count = _i;
    apr_pool_t *p = ocspr_test_pool;
    ocspr_registry_t *reg = ocspr_registry_create(p);
    const int notices = count < 10 ? count : 10;
    int i, per_cert_notices = 0, per_cert_infos = 0;

    add_pki(reg, "good", "stapled.test:443", NULL);
    for (i = 0; i < count; i++) {
        add_made(reg, ocspr_test_make_leaf(p, apr_psprintf(p, "na-%02d.test", i), 7200 + i, 0),
                 apr_psprintf(p, "na-%02d.test:443", i), NULL);
    }
    ck_assert_int_eq(reg->stapled, 1);
    record_logs();
    ocspr_registry_log_not_applicable(reg, p);

    for (i = 0; i < count; i++) {
        const char *name = apr_psprintf(p, "na-%02d.test:443", i);
        int notice = count_logs(OCSPR_LOG_NOTICE, OCSPR_T_NOT_APPLICABLE, name);
        int info = count_logs(OCSPR_LOG_INFO, OCSPR_T_NOT_APPLICABLE, name);

        ck_assert_msg(notice + info == 1, "%s: %d lines", name, notice + info);
        ck_assert_msg(notice == (i < 10), "%s (number %d): NOTICE %d, INFO %d", name, i + 1,
                      notice, info);
        ck_assert_int_eq(count_logs(OCSPR_LOG_NOTICE, NULL, name) + info, 1);
        per_cert_notices += notice;
        per_cert_infos += info;
    }
    ck_assert_int_eq(per_cert_notices, notices);
    ck_assert_int_eq(per_cert_infos, count - notices);
    ck_assert_int_eq(count_logs(OCSPR_LOG_NOTICE, OCSPR_T_NOT_APPLICABLE, "no OCSP responder"),
                     notices);
    if (count > 10) {
        ck_assert_int_eq(count_logs(OCSPR_LOG_NOTICE, OCSPR_T_NOT_APPLICABLE,
                                    apr_psprintf(p, "not stapling %d more", count - 10)), 1);
    }
    ck_assert_int_eq(count_logs(OCSPR_LOG_NOTICE, NULL, NULL), notices + (count > 10));
    ck_assert_int_eq(logged.n, count + (count > 10));
    ck_assert_int_eq(logs_naming("stapled.test"), 0);
}
END_TEST

/* ---- the store sweep ----------------------------------------------------- */

static char sweep_root[64];

static void remove_flat_dir(const char *dir)
{
    apr_pool_t *p;
    apr_dir_t *d;
    apr_finfo_t fi;

    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return;
    }
    if (apr_dir_open(&d, dir, p) == APR_SUCCESS) {
        while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
            if (strcmp(fi.name, ".") && strcmp(fi.name, "..")) {
                apr_file_remove(apr_pstrcat(p, dir, "/", fi.name, NULL), p);
            }
        }
        apr_dir_close(d);
    }
    apr_dir_remove(dir, p);
    apr_pool_destroy(p);
}

static void sweep_root_setup(void)
{
    strcpy(sweep_root, "/tmp/ocspr-registry-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(sweep_root));
}

static void sweep_root_teardown(void)
{
    remove_flat_dir(sweep_root);
}

static const char *put_file(const char *name, const char *content, apr_time_t mtime)
{
    const char *path = apr_pstrcat(ocspr_test_pool, sweep_root, "/", name, NULL);
    apr_file_t *f;
    apr_size_t len = strlen(content);

    ck_assert_int_eq(apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_EXCL,
                                   APR_FPROT_UREAD | APR_FPROT_UWRITE, ocspr_test_pool),
                     APR_SUCCESS);
    ck_assert_int_eq(apr_file_write_full(f, content, len, NULL), APR_SUCCESS);
    ck_assert_int_eq(apr_file_close(f), APR_SUCCESS);
    if (mtime) {
        ck_assert_int_eq(apr_file_mtime_set(path, mtime, ocspr_test_pool), APR_SUCCESS);
    }
    return path;
}

static int exists(const char *path)
{
    apr_finfo_t fi;

    return apr_stat(&fi, path, APR_FINFO_LINK | APR_FINFO_TYPE, ocspr_test_pool) == APR_SUCCESS;
}

/* The sweep reports what the engine does not look after: a foreign file,
 * a damaged file of a certificate not stapled; not the stapled
 * certificates' own files (the engine reports those, naming the
 * certificate); a response of a certificate no longer configured at DEBUG
 * only. Nothing but an old leftover temporary file is deleted. */
START_TEST(sweep_store_reports_what_the_engine_does_not)
{
    apr_pool_t *p = ocspr_test_pool;
    ocspr_registry_t *reg = ocspr_registry_create(p);
    ocspr_entry_t *good = add_pki(reg, "good", "a.test:443", NULL);
    ocspr_entry_t *noocsp = add_pki(reg, "noocsp", "b.test:443", NULL);
    const char *gone_hex = "00112233445566778899aabbccddeeff00112233";
    const char *foreign, *stapled_empty, *near_miss, *not_stapled_empty, *gone;
    const char *old_temp, *young_temp;
    int i;

    foreign = put_file("notes.txt", "an admin's notes", 0);
    stapled_empty = put_file(apr_pstrcat(p, good->id_hex, OCSPR_STORE_SUFFIX, NULL), "", 0);
    not_stapled_empty = put_file(apr_pstrcat(p, noocsp->id_hex, OCSPR_STORE_SUFFIX, NULL), "", 0);
    gone = put_file(apr_pstrcat(p, gone_hex, OCSPR_STORE_SUFFIX, NULL), "0\x82 not DER", 0);
    old_temp = put_file(apr_pstrcat(p, ".", good->id_hex, ".Ab12Cd", NULL), "half a response",
                        apr_time_now() - OCSPR_STORE_TEMP_MAX_AGE - apr_time_from_sec(30));
    young_temp = put_file(apr_pstrcat(p, ".", good->id_hex, ".Ef34Gh", NULL), "in progress", 0);
    /* One character off a stapled certificate's name is not its file: the
     * engine never reads it, so the sweep reports it. */
    near_miss = put_file(apr_pstrcat(p, apr_pstrndup(p, good->id_hex, 39), "X",
                                           OCSPR_STORE_SUFFIX, NULL), "x", 0);

    record_logs();
    ocspr_registry_sweep_store(reg, sweep_root, p);

    ck_assert_msg(count_logs(OCSPR_LOG_WARNING, OCSPR_T_STORE_SKIPPED, foreign) == 1,
                  "no WARNING %s names the foreign file %s", OCSPR_T_STORE_SKIPPED, foreign);
    ck_assert_int_eq(count_logs(OCSPR_LOG_WARNING, OCSPR_T_STORE_SKIPPED, "foreign file"), 2);
    ck_assert_int_eq(count_logs(OCSPR_LOG_WARNING, OCSPR_T_STORE_SKIPPED, near_miss), 1);
    ck_assert_msg(count_logs(OCSPR_LOG_WARNING, OCSPR_T_STORE_SKIPPED, not_stapled_empty) == 1,
                  "the empty file of a certificate not stapled is not reported");
    ck_assert_msg(logs_naming(stapled_empty) == 0, "the sweep reported the stapled "
                  "certificate's own file, which the engine reports");
    ck_assert_msg(count_logs(OCSPR_LOG_DEBUG, NULL, gone) == 1 && logs_naming(gone) == 1,
                  "the response of a certificate no longer configured is not a DEBUG line");
    ck_assert_int_eq(logs_naming(young_temp), 0);
    /* Removing a leftover is cleaning, not a problem: a NOTICE, no tag. */
    ck_assert_msg(count_logs(OCSPR_LOG_NOTICE, NULL, old_temp) == 1 && logs_naming(old_temp) == 1,
                  "the removal of the old leftover is not one NOTICE");
    /* Our own status codes mean nothing to APR's error text: not passed on. */
    for (i = 0; i < logged.n; i++) {
        ck_assert_msg(logged.entry[i].rv == APR_SUCCESS, "line %d carries status %d: %s", i,
                      logged.entry[i].rv, logged.entry[i].msg);
    }

    ck_assert_msg(!exists(old_temp), "the old leftover temporary file was not removed");
    ck_assert_msg(exists(young_temp), "a temporary file of a save in progress was removed");
    ck_assert(exists(foreign) && exists(stapled_empty) && exists(not_stapled_empty)
              && exists(gone) && exists(near_miss));
}
END_TEST

Suite *ocspr_suite_registry(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("registry");
    TCase *sweep = tcase_create("sweep");

    ocspr_tc_add_pool_fixture(tc);
    tcase_add_test(tc, add_makes_one_entry_per_certificate);
    tcase_add_test(tc, responder_override_wins_over_aia);
    tcase_add_test(tc, slots_go_to_stapled_entries_in_order);
    tcase_add_test(tc, add_without_issuer_is_refused);
    tcase_add_test(tc, get_needs_the_whole_id);
    tcase_add_test(tc, get_hex_ignores_case);
    tcase_add_test(tc, primed_ids_are_remembered);
    tcase_add_test(tc, bind_gives_stapled_entries_their_slots);
    tcase_add_loop_test(tc, not_applicable_is_logged_then_summarised, 9, 13);
    suite_add_tcase(s, tc);

    tcase_add_unchecked_fixture(sweep, sweep_root_setup, sweep_root_teardown);
    ocspr_tc_add_pool_fixture(sweep);
    tcase_add_test(sweep, sweep_store_reports_what_the_engine_does_not);
    suite_add_tcase(s, sweep);
    return s;
}
