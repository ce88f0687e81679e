/* Chain diagnostics glue: reads each SSL vhost's certificate directives from
 * the configuration tree (with file and line), has the core merge them with
 * the global scope as mod_ssl does (ocspr_chain_conf.c), hands them to the
 * core analysis (ocspr_chain.c) and logs the findings.
 *
 * Why the tree and not mod_ssl's own records: mod_ssl's server config is
 * private, and it loads certificates only in post_config, so under
 * `apachectl -t` nothing else knows what the files hold. The tree has every
 * directive as httpd resolved it (<IfModule>, <IfDefine>, Include and
 * ${VARS} are already applied; Included files keep their own file names). */
#include <apr_hash.h>
#include <apr_strings.h>

#include "http_core.h"
#include "http_main.h"
#include "http_ssl.h"
#include "util_cfgtree.h"

#include "mod_ocsp_refresh.h"
#include "mod_ocsp_refresh_diag.h"
#include "ocspr_chain_conf.h"
#include "ocspr_tags.h"

/* Read the directives directly in one scope. Sections inside it (<Directory>,
 * <Location>, <If>...) cannot hold these server-level directives, and
 * <VirtualHost> sections are scopes of their own. */
static void read_scope(ocspr_chain_scope_t *sc, apr_pool_t *p, const ap_directive_t *first)
{
    const ap_directive_t *d;

    ocspr_chain_scope_init(sc, p);
    for (d = first; d != NULL; d = d->next) {
        const char *args = d->args;

        ocspr_chain_scope_add(sc, p, ap_server_root_relative, d->directive,
                              ap_getword_conf(p, &args), d->filename, d->line_num);
    }
}

/* The <VirtualHost> sections of the tree by "file:line", the key a server_rec
 * keeps (defn_name, defn_line_number): one pass over the tree, not one per
 * vhost (5,000 vhosts made that quadratic). */
static apr_hash_t *vhost_sections(apr_pool_t *p)
{
    apr_hash_t *sections = apr_hash_make(p);
    const ap_directive_t *d;

    for (d = ap_conftree; d != NULL; d = d->next) {
        if (d->first_child != NULL && strcasecmp(d->directive, "<VirtualHost") == 0) {
            apr_hash_set(sections, apr_psprintf(p, "%s:%d", d->filename, d->line_num),
                         APR_HASH_KEY_STRING, d);
        }
    }
    return sections;
}

static const ap_directive_t *vhost_section(apr_hash_t *sections, apr_pool_t *p,
                                           const server_rec *s)
{
    if (s->defn_name == NULL) {
        return NULL;
    }
    return apr_hash_get(sections, apr_psprintf(p, "%s:%u", s->defn_name, s->defn_line_number),
                        APR_HASH_KEY_STRING);
}

static const char *vhost_id(apr_pool_t *p, const server_rec *s)
{
    return ocspr_chain_vhost_id(p, s->server_hostname, s->port,
                                s->addrs != NULL ? s->addrs->host_port : 0);
}

/* Certificates another module (mod_md) supplies for a vhost without
 * SSLCertificateFile; mod_ssl asks for them in its post_config, so they are
 * known at startup only. */
static void add_module_cert_files(ocspr_chain_vhost_t *vh, server_rec *s, apr_pool_t *p)
{
    apr_array_header_t *certs = apr_array_make(p, 2, sizeof(const char *));
    apr_array_header_t *keys = apr_array_make(p, 2, sizeof(const char *));

    if (ap_ssl_add_cert_files(s, p, certs, keys) == APR_SUCCESS) {
        ocspr_chain_vhost_add_supplied(vh, certs);
    }
}

/* Add one vhost to the pass, unless it is not an SSL vhost (or has no
 * certificate yet under -t). */
static apr_status_t add_vhost(ocspr_chain_pass_t *pass, server_rec *s,
                              const ocspr_chain_scope_t *global,
                              const ap_directive_t *section, apr_pool_t *p,
                              ocspr_diag_phase_t phase)
{
    ocspr_chain_scope_t own, merged;
    ocspr_chain_vhost_t *vh;

    if (section != NULL) {
        read_scope(&own, p, section->first_child);
        ocspr_chain_scope_merge(&merged, p, global, &own);
    }
    else {
        merged = *global;
    }
    if (!ocspr_chain_scope_ssl_enabled(&merged, ap_get_server_protocol(s))) {
        return APR_SUCCESS;
    }
    vh = apr_pmemdup(p, &merged.vhost, sizeof(*vh));
    vh->name = vhost_id(p, s);
    vh->file = section != NULL ? section->filename : NULL;
    vh->line = section != NULL ? section->line_num : 0;
    ocspr_chain_vhost_set_module(vh, ocspr_conf_enabled(ocspr_srv_conf(s)), ocspr_srv_conf(s)->responder);
    if (vh->cert_files->nelts == 0) {
        if (phase == OCSPR_DIAG_CHECK_CONFIG) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "diagnostics: vhost %s has no "
                         "SSLCertificateFile; another module may supply certificates at "
                         "startup, checked then", vh->name);
            return APR_SUCCESS;
        }
        add_module_cert_files(vh, s, p);
    }
    return ocspr_chain_pass_add(pass, vh, s);
}

static int was_primed(void *s, const unsigned char id[OCSPR_CERT_ID_LEN])
{
    return ocspr_module_was_primed(s, id);
}

static void log_finding(void *s, const ocspr_chain_finding_t *f)
{
    ap_log_error(APLOG_MARK, (int)f->level, 0, s, "%s [%s] %s", f->tag, f->name, f->message);
}

int ocspr_diag_run(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                   ocspr_diag_phase_t phase)
{
    ocspr_chain_scope_t global;
    ocspr_chain_totals_t totals;
    ocspr_chain_pass_t *pass;
    apr_hash_t *sections;
    server_rec *vs;
    apr_status_t rv;
    const char *why;
    int fail;

    /* On a normal start check_config runs in both config passes and the
     * startup pass repeats the analysis with the cross-check: only `-t`
     * (where nothing else runs) analyses at check_config. */
    if (phase == OCSPR_DIAG_CHECK_CONFIG && ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_CONFIG_TEST) {
        return OK;
    }
    if (!ocspr_conf_diagnostics(ocspr_srv_conf(s)) || ap_find_linked_module("mod_ssl.c") == NULL) {
        return OK;
    }
    read_scope(&global, ptemp, ap_conftree);
    sections = vhost_sections(ptemp);
    ocspr_chain_pass_create(&pass, ptemp, apr_time_now());
    for (vs = s; vs != NULL; vs = vs->next) {
        const ap_directive_t *section = vs == s ? NULL : vhost_section(sections, ptemp, vs);

        if (vs != s && section == NULL) {
            /* Not from a <VirtualHost> of the tree (made by another module):
             * its directives are unknown, and guessing would mislead. */
            ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, vs, "diagnostics: no configuration "
                         "section for vhost %s, skipped", vhost_id(ptemp, vs));
            continue;
        }
        rv = add_vhost(pass, vs, &global, section, ptemp, phase);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, vs, OCSPR_T_DIAG_SUMMARY ": diagnostics "
                         "could not analyse vhost %s", vhost_id(ptemp, vs));
        }
    }
    ocspr_chain_pass_finish(pass, &totals, phase == OCSPR_DIAG_STARTUP ? was_primed : NULL,
                            log_finding);
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, OCSPR_T_DIAG_SUMMARY ": %s",
                 ocspr_chain_summary(ptemp, &totals, phase == OCSPR_DIAG_STARTUP));
    /* A restart (configuration generation > 1) that failed would make httpd
     * exit with "Configuration Failed", taking a running server down. */
    why = ocspr_chain_strict_verdict(&fail, ptemp, &totals, ocspr_conf_strict(ocspr_srv_conf(s)),
                                     ap_state_query(AP_SQ_CONFIG_GEN) > 1);
    if (why != NULL) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, OCSPR_T_DIAG_SUMMARY ": %s", why);
    }
    return fail ? HTTP_INTERNAL_SERVER_ERROR : OK;
}
