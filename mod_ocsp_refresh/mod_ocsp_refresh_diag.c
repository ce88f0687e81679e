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

/* The <VirtualHost> section a server_rec was made from. */
static const ap_directive_t *vhost_section(const server_rec *s)
{
    const ap_directive_t *d;

    for (d = ap_conftree; d != NULL && s->defn_name != NULL; d = d->next) {
        if (d->first_child != NULL && d->line_num == (int)s->defn_line_number
            && strcasecmp(d->directive, "<VirtualHost") == 0
            && strcmp(d->filename, s->defn_name) == 0) {
            return d;
        }
    }
    return NULL;
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

typedef struct {
    int vhosts;
    int ready;
    int findings;
    int breaking;
} totals_t;

static apr_status_t diagnose_vhost(totals_t *totals, server_rec *s, const scope_t *global,
                                   const ap_directive_t *section, apr_pool_t *p,
                                   ocspr_diag_phase_t phase)
{
    scope_t own, merged;
    ocspr_chain_vhost_t vh;
    ocspr_chain_report_t *report;
    apr_status_t rv;
    int i;

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
    memset(&vh, 0, sizeof(vh));
    vh.name = vhost_id(p, s);
    vh.file = section != NULL ? section->filename : NULL;
    vh.line = section != NULL ? section->line_num : 0;
    vh.cert_files = merged.cert_files;
    vh.chain_file = merged.chain_file;
    vh.ca_file = merged.ca_file;
    vh.ca_path = merged.ca_path;
    vh.use_stapling = merged.use_stapling;
    vh.force_url = merged.force_url;
    vh.refresh = merged.refresh;
    vh.responder = merged.responder;
    vh.stapling_cache = merged.stapling_cache;
    apply_module_conf(&vh, s);
    if (vh.cert_files->nelts == 0) {
        if (phase == OCSPR_DIAG_CHECK_CONFIG) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "diagnostics: vhost %s has no "
                         "SSLCertificateFile; another module may supply certificates at "
                         "startup, checked then", vh.name);
            return APR_SUCCESS;
        }
        add_module_cert_files(&vh, s, p);
    }
    totals->vhosts++;
    if ((rv = ocspr_chain_analyse(&report, p, &vh, apr_time_now())) != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; i < report->certs->nelts; i++) {
        const ocspr_chain_cert_t *c = &APR_ARRAY_IDX(report->certs, i, ocspr_chain_cert_t);

        if (phase == OCSPR_DIAG_STARTUP && report->stapling_wanted && c->issuer_found
            && !ocspr_module_was_primed(s, c->id)) {
            ocspr_chain_add_not_primed(report, p, &vh, c);
        }
        else {
            totals->ready += c->ready;
        }
    }
    log_report(s, report);
    totals->findings += report->findings->nelts;
    for (i = 0; i < report->findings->nelts; i++) {
        totals->breaking += APR_ARRAY_IDX(report->findings, i, ocspr_chain_finding_t).breaks_stapling;
    }
    return APR_SUCCESS;
}

int ocspr_diag_run(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                   ocspr_diag_phase_t phase)
{
    scope_t global;
    totals_t totals = { 0, 0, 0, 0 };
    server_rec *vs;
    apr_status_t rv;

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
    for (vs = s; vs != NULL; vs = vs->next) {
        const ap_directive_t *section = vs == s ? NULL : vhost_section(vs);

        if (vs != s && section == NULL) {
            /* Not from a <VirtualHost> of the tree (made by another module):
             * its directives are unknown, and guessing would mislead. */
            ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, vs, "diagnostics: no configuration "
                         "section for vhost %s, skipped", vhost_id(ptemp, vs));
            continue;
        }
        rv = diagnose_vhost(&totals, vs, &global, section, ptemp, phase);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, vs, OCSPR_T_DIAG_SUMMARY ": diagnostics "
                         "could not analyse vhost %s", vhost_id(ptemp, vs));
        }
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, OCSPR_T_DIAG_SUMMARY ": diagnostics%s: "
                 "%d SSL vhosts, %d certificates ready for stapling, %d findings%s",
                 phase == OCSPR_DIAG_STARTUP ? " at startup" : "", totals.vhosts, totals.ready,
                 totals.findings,
                 totals.breaking ? apr_psprintf(ptemp, " (%d breaking stapling)", totals.breaking)
                 : "");
    if (totals.breaking && ocspr_conf_strict(s)) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, OCSPR_T_DIAG_SUMMARY ": OCSPRefreshStrict "
                     "On: %d findings break stapling, failing the configuration check",
                     totals.breaking);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}
