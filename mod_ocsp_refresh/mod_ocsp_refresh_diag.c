/* Chain diagnostics glue: reads each SSL vhost's certificate directives from
 * the configuration tree (with file and line), merges them with the global
 * scope as mod_ssl does, hands them to the core analysis (ocspr_chain.c) and
 * logs the findings.
 *
 * Why the tree and not mod_ssl's own records: mod_ssl's server config is
 * private, and it loads certificates only in post_config, so under
 * `apachectl -t` nothing else knows what the files hold. The tree has every
 * directive as httpd resolved it (<IfModule>, <IfDefine>, Include and
 * ${VARS} are already applied; Included files keep their own file names). */
#include <strings.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "http_core.h"
#include "http_main.h"
#include "http_ssl.h"
#include "util_cfgtree.h"

#include "mod_ocsp_refresh.h"
#include "mod_ocsp_refresh_diag.h"
#include "ocspr_chain.h"
#include "ocspr_tags.h"

/* mod_ssl's CERTKEYS_IDX_MAX + 1 (with ECC): the first this-many
 * SSLCertificateFile of a vhost replace the global ones index by index. */
#define MODSSL_CERTKEYS_SLOTS 3

/* The directives of one scope (the global one or a <VirtualHost>). */
typedef struct {
    ocspr_chain_setting_t engine;           /* SSLEngine */
    apr_array_header_t *cert_files;         /* ocspr_chain_setting_t */
    ocspr_chain_setting_t chain_file;
    ocspr_chain_setting_t ca_file;
    ocspr_chain_setting_t ca_path;
    ocspr_chain_setting_t use_stapling;
    ocspr_chain_setting_t force_url;
    ocspr_chain_setting_t refresh;
    ocspr_chain_setting_t responder;
    int stapling_cache;
} scope_t;

typedef enum { ARG_WORD, ARG_PATH } arg_kind_t;

/* Which scope field each directive fills. */
static ocspr_chain_setting_t *scope_field(scope_t *sc, const char *directive, arg_kind_t *kind)
{
    static const struct {
        const char *name;
        size_t offset;
        arg_kind_t kind;
    } fields[] = {
        { "SSLEngine", APR_OFFSETOF(scope_t, engine), ARG_WORD },
        { "SSLCertificateChainFile", APR_OFFSETOF(scope_t, chain_file), ARG_PATH },
        { "SSLCACertificateFile", APR_OFFSETOF(scope_t, ca_file), ARG_PATH },
        { "SSLCACertificatePath", APR_OFFSETOF(scope_t, ca_path), ARG_PATH },
        { "SSLUseStapling", APR_OFFSETOF(scope_t, use_stapling), ARG_WORD },
        { "SSLStaplingForceURL", APR_OFFSETOF(scope_t, force_url), ARG_WORD },
        { "OCSPRefresh", APR_OFFSETOF(scope_t, refresh), ARG_WORD },
        { "OCSPRefreshResponder", APR_OFFSETOF(scope_t, responder), ARG_WORD },
    };
    apr_size_t i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (strcasecmp(directive, fields[i].name) == 0) {
            *kind = fields[i].kind;
            return (ocspr_chain_setting_t *)((char *)sc + fields[i].offset);
        }
    }
    return NULL;
}

static void setting_from(ocspr_chain_setting_t *setting, apr_pool_t *p,
                         const ap_directive_t *d, arg_kind_t kind)
{
    const char *args = d->args;
    const char *word = ap_getword_conf(p, &args);

    setting->value = kind == ARG_PATH ? ap_server_root_relative(p, word) : word;
    setting->file = d->filename;
    setting->line = d->line_num;
    setting->global = 0;
}

/* Read the directives directly in one scope. Sections inside it (<Directory>,
 * <Location>, <If>...) cannot hold these server-level directives, and
 * <VirtualHost> sections are scopes of their own. */
static void read_scope(scope_t *sc, apr_pool_t *p, const ap_directive_t *first)
{
    const ap_directive_t *d;

    memset(sc, 0, sizeof(*sc));
    sc->cert_files = apr_array_make(p, 2, sizeof(ocspr_chain_setting_t));
    for (d = first; d != NULL; d = d->next) {
        ocspr_chain_setting_t *field;
        arg_kind_t kind;

        if (d->directive[0] == '<') {
            continue;
        }
        if (strcasecmp(d->directive, "SSLCertificateFile") == 0) {
            setting_from(apr_array_push(sc->cert_files), p, d, ARG_PATH);
        }
        else if (strcasecmp(d->directive, "SSLStaplingCache") == 0) {
            sc->stapling_cache = 1;
        }
        else if ((field = scope_field(sc, d->directive, &kind)) != NULL) {
            /* The last occurrence wins, as in mod_ssl's directive handlers. */
            setting_from(field, p, d, kind);
        }
    }
}

/* mod_ssl's cfgMerge: the vhost's value, else the global one. */
static void merge_setting(ocspr_chain_setting_t *out, const ocspr_chain_setting_t *global,
                          const ocspr_chain_setting_t *vhost)
{
    if (vhost->value != NULL) {
        *out = *vhost;
    }
    else {
        *out = *global;
        out->global = global->value != NULL;
    }
}

/* mod_ssl's modssl_ctx_cfg_merge_certkeys_array. */
static apr_array_header_t *merge_cert_files(apr_pool_t *p, const apr_array_header_t *global,
                                            const apr_array_header_t *vhost)
{
    apr_array_header_t *out = apr_array_make(p, 2, sizeof(ocspr_chain_setting_t));
    int i;

    for (i = 0; i < vhost->nelts && i < MODSSL_CERTKEYS_SLOTS; i++) {
        *(ocspr_chain_setting_t *)apr_array_push(out) = APR_ARRAY_IDX(vhost, i, ocspr_chain_setting_t);
    }
    for (; i < global->nelts; i++) {
        ocspr_chain_setting_t *s = apr_array_push(out);

        *s = APR_ARRAY_IDX(global, i, ocspr_chain_setting_t);
        s->global = 1;
    }
    for (i = MODSSL_CERTKEYS_SLOTS; i < vhost->nelts; i++) {
        *(ocspr_chain_setting_t *)apr_array_push(out) = APR_ARRAY_IDX(vhost, i, ocspr_chain_setting_t);
    }
    return out;
}

static void merge_scopes(scope_t *out, apr_pool_t *p, const scope_t *global, const scope_t *vhost)
{
    merge_setting(&out->engine, &global->engine, &vhost->engine);
    merge_setting(&out->chain_file, &global->chain_file, &vhost->chain_file);
    merge_setting(&out->ca_file, &global->ca_file, &vhost->ca_file);
    merge_setting(&out->ca_path, &global->ca_path, &vhost->ca_path);
    merge_setting(&out->use_stapling, &global->use_stapling, &vhost->use_stapling);
    merge_setting(&out->force_url, &global->force_url, &vhost->force_url);
    merge_setting(&out->refresh, &global->refresh, &vhost->refresh);
    merge_setting(&out->responder, &global->responder, &vhost->responder);
    out->cert_files = merge_cert_files(p, global->cert_files, vhost->cert_files);
    out->stapling_cache = global->stapling_cache;
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

/* mod_ssl's test in ssl_init_Module: SSLEngine On/Optional, or unset with an
 * https Protocol and certificates. */
static int ssl_enabled(server_rec *s, const scope_t *sc)
{
    const char *protocol = ap_get_server_protocol(s);

    if (sc->engine.value != NULL) {
        return strcasecmp(sc->engine.value, "on") == 0
               || strcasecmp(sc->engine.value, "optional") == 0;
    }
    return protocol != NULL && strcmp(protocol, "https") == 0 && sc->cert_files->nelts > 0;
}

/* mod_ssl's vhost id (ssl_util_vhostid), except that a vhost without a port
 * in its ServerName shows the port it listens on rather than 443. */
static const char *vhost_id(apr_pool_t *p, const server_rec *s)
{
    apr_port_t port = s->port;

    if (port == 0) {
        port = s->addrs != NULL && s->addrs->host_port ? s->addrs->host_port : DEFAULT_HTTPS_PORT;
    }
    return apr_psprintf(p, "%s:%u", s->server_hostname ? s->server_hostname : "*",
                        (unsigned)port);
}

/* The module's own resolved values win over the tree for OCSPRefresh: the
 * tree only supplies where they were set. */
static void apply_module_conf(ocspr_chain_vhost_t *vh, server_rec *s)
{
    const char *responder = ocspr_conf_responder(s);

    vh->refresh.value = ocspr_conf_enabled(s) ? "on" : "off";
    vh->responder.value = responder;
    if (responder == NULL) {
        vh->responder.file = NULL;
    }
}

/* Certificates another module (mod_md) supplies for a vhost without
 * SSLCertificateFile; mod_ssl asks for them in its post_config, so they are
 * known at startup only. */
static void add_module_cert_files(ocspr_chain_vhost_t *vh, server_rec *s, apr_pool_t *p)
{
    apr_array_header_t *certs = apr_array_make(p, 2, sizeof(const char *));
    apr_array_header_t *keys = apr_array_make(p, 2, sizeof(const char *));
    int i;

    if (ap_ssl_add_cert_files(s, p, certs, keys) != APR_SUCCESS) {
        return;
    }
    for (i = 0; i < certs->nelts; i++) {
        ocspr_chain_setting_t *setting = apr_array_push(vh->cert_files);

        memset(setting, 0, sizeof(*setting));
        setting->value = APR_ARRAY_IDX(certs, i, const char *);
        setting->file = "(supplied by another module, such as mod_md)";
    }
}

static void log_report(server_rec *s, const ocspr_chain_report_t *report)
{
    int i;

    for (i = 0; i < report->findings->nelts; i++) {
        const ocspr_chain_finding_t *f = &APR_ARRAY_IDX(report->findings, i, ocspr_chain_finding_t);

        ap_log_error(APLOG_MARK, (int)f->level, 0, s, "%s [%s] %s", f->tag, f->name, f->message);
    }
}

/* One analysed vhost, to log its findings under its own server_rec. */
typedef struct {
    server_rec *s;
    ocspr_chain_report_t *report;
} analysed_t;

/* Add one vhost to the run; *preport stays NULL when it is not an SSL vhost
 * (or has no certificate yet under -t). */
static apr_status_t add_vhost(ocspr_chain_report_t **preport, ocspr_chain_run_t *run,
                              server_rec *s, const scope_t *global,
                              const ap_directive_t *section, apr_pool_t *p,
                              ocspr_diag_phase_t phase)
{
    scope_t own, merged;
    ocspr_chain_vhost_t *vh;

    *preport = NULL;
    if (section != NULL) {
        read_scope(&own, p, section->first_child);
        merge_scopes(&merged, p, global, &own);
    }
    else {
        merged = *global;
    }
    if (!ssl_enabled(s, &merged)) {
        return APR_SUCCESS;
    }
    vh = apr_pcalloc(p, sizeof(*vh));
    vh->name = vhost_id(p, s);
    vh->file = section != NULL ? section->filename : NULL;
    vh->line = section != NULL ? section->line_num : 0;
    vh->cert_files = merged.cert_files;
    vh->chain_file = merged.chain_file;
    vh->ca_file = merged.ca_file;
    vh->ca_path = merged.ca_path;
    vh->use_stapling = merged.use_stapling;
    vh->force_url = merged.force_url;
    vh->refresh = merged.refresh;
    vh->responder = merged.responder;
    vh->stapling_cache = merged.stapling_cache;
    apply_module_conf(vh, s);
    if (vh->cert_files->nelts == 0) {
        if (phase == OCSPR_DIAG_CHECK_CONFIG) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "diagnostics: vhost %s has no "
                         "SSLCertificateFile; another module may supply certificates at "
                         "startup, checked then", vh->name);
            return APR_SUCCESS;
        }
        add_module_cert_files(vh, s, p);
    }
    return ocspr_chain_run_add(preport, run, vh);
}

/* The startup cross-check: certificates whose issuer the files give, in a
 * vhost with stapling on, that mod_ssl did not prime. */
static void cross_check(ocspr_chain_run_t *run, const analysed_t *a)
{
    int i;

    if (!a->report->stapling_wanted) {
        return;
    }
    for (i = 0; i < a->report->certs->nelts; i++) {
        const ocspr_chain_cert_t *c = &APR_ARRAY_IDX(a->report->certs, i, ocspr_chain_cert_t);

        if (c->issuer_found && !ocspr_module_was_primed(a->s, c->id)) {
            ocspr_chain_add_not_primed(run, a->report, c);
        }
    }
}

/* OCSPRefreshStrict: fail `-t` and the first start; on a restart (graceful or
 * not: configuration generation > 1) failing would make httpd exit with
 * "Configuration Failed" and take a running server down, so only log. */
static int strict_verdict(server_rec *s, const ocspr_chain_totals_t *totals)
{
    if (!totals->breaking || !ocspr_conf_strict(s)) {
        return OK;
    }
    if (ap_state_query(AP_SQ_CONFIG_GEN) > 1) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, OCSPR_T_DIAG_SUMMARY ": OCSPRefreshStrict "
                     "On: %d findings break stapling; this is a restart, so the server goes on "
                     "with the new configuration (only `apachectl -t` and the first start "
                     "fail)", totals->breaking);
        return OK;
    }
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, OCSPR_T_DIAG_SUMMARY ": OCSPRefreshStrict "
                 "On: %d findings break stapling, failing the configuration check",
                 totals->breaking);
    return HTTP_INTERNAL_SERVER_ERROR;
}

int ocspr_diag_run(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                   ocspr_diag_phase_t phase)
{
    scope_t global;
    ocspr_chain_totals_t totals;
    ocspr_chain_run_t *run;
    apr_array_header_t *analysed;
    apr_hash_t *sections;
    server_rec *vs;
    apr_status_t rv;
    int i;

    /* On a normal start check_config runs in both config passes and the
     * startup pass repeats the analysis with the cross-check: only `-t`
     * (where nothing else runs) analyses at check_config. */
    if (phase == OCSPR_DIAG_CHECK_CONFIG && ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_CONFIG_TEST) {
        return OK;
    }
    if (!ocspr_conf_diagnostics(s) || ap_find_linked_module("mod_ssl.c") == NULL) {
        return OK;
    }
    read_scope(&global, ptemp, ap_conftree);
    sections = vhost_sections(ptemp);
    analysed = apr_array_make(ptemp, 64, sizeof(analysed_t));
    ocspr_chain_run_create(&run, ptemp, apr_time_now());
    for (vs = s; vs != NULL; vs = vs->next) {
        const ap_directive_t *section = vs == s ? NULL : vhost_section(sections, ptemp, vs);
        ocspr_chain_report_t *report;

        if (vs != s && section == NULL) {
            /* Not from a <VirtualHost> of the tree (made by another module):
             * its directives are unknown, and guessing would mislead. */
            ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, vs, "diagnostics: no configuration "
                         "section for vhost %s, skipped", vhost_id(ptemp, vs));
            continue;
        }
        rv = add_vhost(&report, run, vs, &global, section, ptemp, phase);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, vs, OCSPR_T_DIAG_SUMMARY ": diagnostics "
                         "could not analyse vhost %s", vhost_id(ptemp, vs));
        }
        if (report != NULL) {
            analysed_t *a = apr_array_push(analysed);

            a->s = vs;
            a->report = report;
        }
    }
    for (i = 0; phase == OCSPR_DIAG_STARTUP && i < analysed->nelts; i++) {
        cross_check(run, &APR_ARRAY_IDX(analysed, i, analysed_t));
    }
    ocspr_chain_run_finish(run, &totals);
    for (i = 0; i < analysed->nelts; i++) {
        const analysed_t *a = &APR_ARRAY_IDX(analysed, i, analysed_t);

        log_report(a->s, a->report);
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, OCSPR_T_DIAG_SUMMARY ": diagnostics%s: "
                 "%d SSL vhosts, %d certificates ready for stapling, %d findings%s",
                 phase == OCSPR_DIAG_STARTUP ? " at startup" : "", totals.vhosts, totals.ready,
                 totals.findings,
                 totals.breaking ? apr_psprintf(ptemp, " (%d breaking stapling)", totals.breaking)
                 : "");
    return strict_verdict(s, &totals);
}
