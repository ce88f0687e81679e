/* Tests for ocspr_chain_conf.c: directives of a scope to settings, mod_ssl's
 * global/vhost merge, the SSL test, vhost ids and the summary words. */
#include <string.h>
#include <apr_strings.h>
#include "check_support.h"
#include "ocspr_chain_conf.h"

#define CONF "/etc/apache2/sites/a.conf"

/* Stands in for ap_server_root_relative: relative paths under /srv. */
static char *under_srv(apr_pool_t *p, const char *path)
{
    return path[0] == '/' ? apr_pstrdup(p, path) : apr_pstrcat(p, "/srv/", path, NULL);
}

static void add(ocspr_chain_scope_t *sc, const char *directive, const char *arg, int line)
{
    ocspr_chain_scope_add(sc, ocspr_test_pool, under_srv, directive, arg, CONF, line);
}

static ocspr_chain_scope_t scope(void)
{
    ocspr_chain_scope_t sc;

    ocspr_chain_scope_init(&sc, ocspr_test_pool);
    return sc;
}

static const ocspr_chain_setting_t *cert_file(const ocspr_chain_scope_t *sc, int i)
{
    ck_assert_int_gt(sc->vhost.cert_files->nelts, i);
    return &APR_ARRAY_IDX(sc->vhost.cert_files, i, ocspr_chain_setting_t);
}

START_TEST(each_directive_fills_its_setting)
{
    ocspr_chain_scope_t sc = scope();

    add(&sc, "sslengine", "on", 1);
    add(&sc, "SSLCertificateChainFile", "chain.pem", 2);
    add(&sc, "SSLCACertificateFile", "/etc/ca.pem", 3);
    add(&sc, "SSLCACertificatePath", "certs", 4);
    add(&sc, "SSLUseStapling", "On", 5);
    add(&sc, "SSLStaplingForceURL", "http://ocsp.test/", 6);
    add(&sc, "OCSPRefresh", "On", 7);
    add(&sc, "OCSPRefreshResponder", "http://r.test/", 8);
    add(&sc, "SSLStaplingCache", "shmcb:x", 9);
    ck_assert_str_eq(sc.engine.value, "on");
    ck_assert_str_eq(sc.vhost.chain_file.value, "/srv/chain.pem");
    ck_assert_str_eq(sc.vhost.ca_file.value, "/etc/ca.pem");
    ck_assert_str_eq(sc.vhost.ca_path.value, "/srv/certs");
    ck_assert_str_eq(sc.vhost.use_stapling.value, "On");
    /* A URL is a word, not a path: it is not made relative to ServerRoot. */
    ck_assert_str_eq(sc.vhost.force_url.value, "http://ocsp.test/");
    ck_assert_str_eq(sc.vhost.refresh.value, "On");
    ck_assert_str_eq(sc.vhost.responder.value, "http://r.test/");
    ck_assert_int_eq(sc.vhost.stapling_cache, 1);
    ck_assert_str_eq(sc.vhost.ca_path.file, CONF);
    ck_assert_int_eq(sc.vhost.ca_path.line, 4);
    ck_assert_int_eq(sc.vhost.ca_path.global, 0);
    ck_assert_int_eq(sc.vhost.cert_files->nelts, 0);
}
END_TEST

START_TEST(last_occurrence_wins_and_every_cert_file_counts)
{
    ocspr_chain_scope_t sc = scope();

    add(&sc, "SSLCertificateChainFile", "old.pem", 2);
    add(&sc, "SSLCertificateChainFile", "new.pem", 3);
    add(&sc, "SSLCertificateFile", "rsa.pem", 4);
    add(&sc, "SSLCertificateFile", "/ec.pem", 5);
    ck_assert_str_eq(sc.vhost.chain_file.value, "/srv/new.pem");
    ck_assert_int_eq(sc.vhost.chain_file.line, 3);
    ck_assert_str_eq(cert_file(&sc, 0)->value, "/srv/rsa.pem");
    ck_assert_int_eq(cert_file(&sc, 0)->line, 4);
    ck_assert_str_eq(cert_file(&sc, 1)->value, "/ec.pem");
}
END_TEST

START_TEST(sections_and_other_directives_are_ignored)
{
    ocspr_chain_scope_t sc = scope();

    add(&sc, "<Directory", "/var/www>", 1);
    add(&sc, "<VirtualHost", "*:443>", 2);
    add(&sc, "ServerName", "a.test", 3);
    add(&sc, "SSLCertificateKeyFile", "key.pem", 4);
    add(&sc, "SSLEngineX", "on", 5);
    ck_assert_int_eq(sc.vhost.cert_files->nelts, 0);
    ck_assert_ptr_null(sc.engine.value);
    ck_assert_ptr_null(sc.vhost.chain_file.value);
    ck_assert_ptr_null(sc.vhost.ca_file.value);
    ck_assert_ptr_null(sc.vhost.responder.value);
    ck_assert_int_eq(sc.vhost.stapling_cache, 0);
}
END_TEST

START_TEST(vhost_values_win_unset_ones_come_from_global)
{
    ocspr_chain_scope_t global = scope(), vhost = scope(), m;

    add(&global, "SSLCACertificateFile", "global-ca.pem", 1);
    add(&global, "SSLUseStapling", "On", 2);
    add(&global, "SSLStaplingCache", "shmcb", 3);
    add(&global, "SSLEngine", "on", 4);
    add(&vhost, "SSLUseStapling", "Off", 11);
    add(&vhost, "SSLCertificateChainFile", "chain.pem", 12);
    ocspr_chain_scope_merge(&m, ocspr_test_pool, &global, &vhost);
    ck_assert_str_eq(m.vhost.use_stapling.value, "Off");
    ck_assert_int_eq(m.vhost.use_stapling.line, 11);
    ck_assert_int_eq(m.vhost.use_stapling.global, 0);
    ck_assert_str_eq(m.vhost.ca_file.value, "/srv/global-ca.pem");
    ck_assert_int_eq(m.vhost.ca_file.global, 1);
    ck_assert_str_eq(m.vhost.chain_file.value, "/srv/chain.pem");
    ck_assert_str_eq(m.engine.value, "on");
    ck_assert_int_eq(m.engine.global, 1);
    /* Unset on both sides stays unset and is not marked inherited. */
    ck_assert_ptr_null(m.vhost.ca_path.value);
    ck_assert_int_eq(m.vhost.ca_path.global, 0);
    ck_assert_int_eq(m.vhost.stapling_cache, 1);
}
END_TEST

START_TEST(stapling_cache_is_only_global)
{
    ocspr_chain_scope_t global = scope(), vhost = scope(), m;

    add(&vhost, "SSLStaplingCache", "shmcb", 11);
    ocspr_chain_scope_merge(&m, ocspr_test_pool, &global, &vhost);
    ck_assert_int_eq(m.vhost.stapling_cache, 0);
}
END_TEST

/* modssl_ctx_cfg_merge_certkeys_array: the vhost's first three replace the
 * global ones at their index, global ones past them follow (inherited),
 * then the vhost's others. */
START_TEST(cert_files_merge_index_by_index)
{
    static const char *const want[] = {
        "/srv/v1.pem", "/srv/v2.pem", "/srv/g3.pem", "/srv/g4.pem"
    };
    static const int inherited[] = { 0, 0, 1, 1 };
    ocspr_chain_scope_t global = scope(), vhost = scope(), m;
    int i;

    add(&global, "SSLCertificateFile", "g1.pem", 1);
    add(&global, "SSLCertificateFile", "g2.pem", 2);
    add(&global, "SSLCertificateFile", "g3.pem", 3);
    add(&global, "SSLCertificateFile", "g4.pem", 4);
    add(&vhost, "SSLCertificateFile", "v1.pem", 11);
    add(&vhost, "SSLCertificateFile", "v2.pem", 12);
    ocspr_chain_scope_merge(&m, ocspr_test_pool, &global, &vhost);
    ck_assert_int_eq(m.vhost.cert_files->nelts, 4);
    for (i = 0; i < 4; i++) {
        ck_assert_str_eq(cert_file(&m, i)->value, want[i]);
        ck_assert_int_eq(cert_file(&m, i)->global, inherited[i]);
    }
}
END_TEST

START_TEST(cert_files_past_the_slots_come_after_global_ones)
{
    static const char *const want[] = {
        "/srv/v1.pem", "/srv/v2.pem", "/srv/v3.pem", "/srv/g4.pem", "/srv/v4.pem"
    };
    ocspr_chain_scope_t global = scope(), vhost = scope(), m;
    int i;

    for (i = 1; i <= 4; i++) {
        add(&global, "SSLCertificateFile", apr_psprintf(ocspr_test_pool, "g%d.pem", i), i);
        add(&vhost, "SSLCertificateFile", apr_psprintf(ocspr_test_pool, "v%d.pem", i), 10 + i);
    }
    ocspr_chain_scope_merge(&m, ocspr_test_pool, &global, &vhost);
    ck_assert_int_eq(m.vhost.cert_files->nelts, 5);
    for (i = 0; i < 5; i++) {
        ck_assert_str_eq(cert_file(&m, i)->value, want[i]);
    }
}
END_TEST

START_TEST(ssl_enabled_as_mod_ssl_decides)
{
    ocspr_chain_scope_t sc = scope();

    ck_assert(!ocspr_chain_scope_ssl_enabled(&sc, "https"));
    add(&sc, "SSLCertificateFile", "a.pem", 1);
    ck_assert(ocspr_chain_scope_ssl_enabled(&sc, "https"));
    ck_assert(!ocspr_chain_scope_ssl_enabled(&sc, NULL));
    ck_assert(!ocspr_chain_scope_ssl_enabled(&sc, "http"));
    add(&sc, "SSLEngine", "Off", 2);
    ck_assert(!ocspr_chain_scope_ssl_enabled(&sc, "https"));
    add(&sc, "SSLEngine", "optional", 3);
    ck_assert(ocspr_chain_scope_ssl_enabled(&sc, NULL));
    add(&sc, "SSLEngine", "ON", 4);
    ck_assert(ocspr_chain_scope_ssl_enabled(&sc, NULL));
}
END_TEST

START_TEST(vhost_id_shows_the_listening_port_without_one_of_its_own)
{
    ck_assert_str_eq(ocspr_chain_vhost_id(ocspr_test_pool, "a.test", 8443, 443), "a.test:8443");
    ck_assert_str_eq(ocspr_chain_vhost_id(ocspr_test_pool, "a.test", 0, 4433), "a.test:4433");
    ck_assert_str_eq(ocspr_chain_vhost_id(ocspr_test_pool, "a.test", 0, 0), "a.test:443");
    ck_assert_str_eq(ocspr_chain_vhost_id(ocspr_test_pool, NULL, 0, 0), "*:443");
}
END_TEST

START_TEST(module_values_override_the_tree)
{
    ocspr_chain_scope_t sc = scope();

    add(&sc, "OCSPRefresh", "On", 7);
    add(&sc, "OCSPRefreshResponder", "http://tree.test/", 8);
    ocspr_chain_vhost_set_module(&sc.vhost, 0, "http://module.test/");
    ck_assert_str_eq(sc.vhost.refresh.value, "off");
    ck_assert_int_eq(sc.vhost.refresh.line, 7);
    ck_assert_str_eq(sc.vhost.responder.value, "http://module.test/");
    ck_assert_str_eq(sc.vhost.responder.file, CONF);
    ocspr_chain_vhost_set_module(&sc.vhost, 1, NULL);
    ck_assert_str_eq(sc.vhost.refresh.value, "on");
    ck_assert_ptr_null(sc.vhost.responder.value);
    ck_assert_ptr_null(sc.vhost.responder.file);
}
END_TEST

START_TEST(supplied_files_name_their_origin)
{
    ocspr_chain_scope_t sc = scope();
    apr_array_header_t *certs = apr_array_make(ocspr_test_pool, 1, sizeof(const char *));

    APR_ARRAY_PUSH(certs, const char *) = "/md/domains/a.test/pubcert.pem";
    ocspr_chain_vhost_add_supplied(&sc.vhost, certs);
    ck_assert_int_eq(sc.vhost.cert_files->nelts, 1);
    ck_assert_str_eq(cert_file(&sc, 0)->value, "/md/domains/a.test/pubcert.pem");
    ck_assert_ptr_nonnull(strstr(cert_file(&sc, 0)->file, "another module"));
    ck_assert_int_eq(cert_file(&sc, 0)->line, 0);
}
END_TEST

static int primed_answer;

static int primed(void *baton, const unsigned char id[OCSPR_CERT_ID_LEN])
{
    ck_assert_str_eq(baton, "vhost handle");
    return primed_answer;
}

/* Findings as reported: "baton:code" lines. */
static const char *reported;

static void report(void *baton, const ocspr_chain_finding_t *f)
{
    reported = apr_psprintf(ocspr_test_pool, "%s%s:%d\n", reported, (const char *)baton,
                            (int)f->code);
}

static ocspr_chain_vhost_t *pki_vhost(const char *chain, int stapling)
{
    ocspr_chain_scope_t *sc = apr_palloc(ocspr_test_pool, sizeof(*sc));

    ocspr_chain_scope_init(sc, ocspr_test_pool);
    add(sc, "SSLCertificateFile", ocspr_test_pki_path(ocspr_test_pool, chain), 3);
    add(sc, "SSLUseStapling", stapling ? "On" : "Off", 4);
    add(sc, "SSLStaplingCache", "shmcb", 5);
    sc->vhost.name = "good.test:443";
    return &sc->vhost;
}

/* The good.test chain: with stapling on, a finding only when not primed;
 * without, mod_ssl is not asked. */
START_TEST(pass_cross_check_reports_what_mod_ssl_did_not_prime)
{
    int stapling = _i / 2;
    ocspr_chain_pass_t *pass;
    ocspr_chain_totals_t totals;

    primed_answer = _i % 2;
    reported = "";
    ck_assert_int_eq(ocspr_chain_pass_create(&pass, ocspr_test_pool, apr_time_now()),
                     APR_SUCCESS);
    ck_assert_int_eq(ocspr_chain_pass_add(pass, pki_vhost("good.chain.pem", stapling),
                                          "vhost handle"), APR_SUCCESS);
    ocspr_chain_pass_finish(pass, &totals, primed, report);
    ck_assert_str_eq(reported, stapling && !primed_answer ? "vhost handle:413\n" : "");
    ck_assert_int_eq(totals.vhosts, 1);
}
END_TEST

/* Findings reach report under their own vhost's handle, in the order the
 * vhosts were added; no cross-check without primed. */
START_TEST(pass_reports_each_vhost_under_its_handle)
{
    ocspr_chain_pass_t *pass;
    ocspr_chain_totals_t totals;

    reported = "";
    ck_assert_int_eq(ocspr_chain_pass_create(&pass, ocspr_test_pool, apr_time_now()),
                     APR_SUCCESS);
    ck_assert_int_eq(ocspr_chain_pass_add(pass, pki_vhost("good.chain.pem", 1), "first"),
                     APR_SUCCESS);
    ck_assert_int_eq(ocspr_chain_pass_add(pass, pki_vhost("good-ec.pem", 1), "second"),
                     APR_SUCCESS);
    ocspr_chain_pass_finish(pass, &totals, NULL, report);
    ck_assert_str_eq(reported, "second:402\n");
    ck_assert_int_eq(totals.vhosts, 2);
    ck_assert_int_eq(totals.breaking, 1);
}
END_TEST

START_TEST(summary_counts_and_breaking_only_when_any)
{
    ocspr_chain_totals_t t = { 3, 4, 2, 5, 0 };

    ck_assert_str_eq(ocspr_chain_summary(ocspr_test_pool, &t, 0),
                     "diagnostics: 3 SSL vhosts, 2 certificates ready for stapling, 5 findings");
    t.breaking = 1;
    ck_assert_str_eq(ocspr_chain_summary(ocspr_test_pool, &t, 1),
                     "diagnostics at startup: 3 SSL vhosts, 2 certificates ready for stapling, "
                     "5 findings (1 breaking stapling)");
}
END_TEST

START_TEST(strict_fails_first_start_and_only_logs_a_restart)
{
    ocspr_chain_totals_t t = { 1, 1, 0, 2, 2 };
    const char *why;
    int fail = -1;

    ck_assert_ptr_null(ocspr_chain_strict_verdict(&fail, ocspr_test_pool, &t, 0, 0));
    ck_assert_int_eq(fail, 0);
    why = ocspr_chain_strict_verdict(&fail, ocspr_test_pool, &t, 1, 0);
    ck_assert_int_eq(fail, 1);
    ck_assert_ptr_nonnull(strstr(why, "2 findings break stapling, failing"));
    why = ocspr_chain_strict_verdict(&fail, ocspr_test_pool, &t, 1, 1);
    ck_assert_int_eq(fail, 0);
    ck_assert_ptr_nonnull(strstr(why, "this is a restart"));
    t.breaking = 0;
    ck_assert_ptr_null(ocspr_chain_strict_verdict(&fail, ocspr_test_pool, &t, 1, 0));
    ck_assert_int_eq(fail, 0);
}
END_TEST

Suite *ocspr_suite_chain_conf(void)
{
    Suite *s = suite_create("chain_conf");
    TCase *tc = tcase_create("chain_conf");

    ocspr_tc_add_pool_fixture(tc);
    tcase_add_test(tc, each_directive_fills_its_setting);
    tcase_add_test(tc, last_occurrence_wins_and_every_cert_file_counts);
    tcase_add_test(tc, sections_and_other_directives_are_ignored);
    tcase_add_test(tc, vhost_values_win_unset_ones_come_from_global);
    tcase_add_test(tc, stapling_cache_is_only_global);
    tcase_add_test(tc, cert_files_merge_index_by_index);
    tcase_add_test(tc, cert_files_past_the_slots_come_after_global_ones);
    tcase_add_test(tc, ssl_enabled_as_mod_ssl_decides);
    tcase_add_test(tc, vhost_id_shows_the_listening_port_without_one_of_its_own);
    tcase_add_test(tc, module_values_override_the_tree);
    tcase_add_test(tc, supplied_files_name_their_origin);
    tcase_add_loop_test(tc, pass_cross_check_reports_what_mod_ssl_did_not_prime, 0, 4);
    tcase_add_test(tc, pass_reports_each_vhost_under_its_handle);
    tcase_add_test(tc, summary_counts_and_breaking_only_when_any);
    tcase_add_test(tc, strict_fails_first_start_and_only_logs_a_restart);
    suite_add_tcase(s, tc);
    return s;
}
