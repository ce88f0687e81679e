/* The certificate settings of each SSL vhost from the directives of its
 * scope, merged as mod_ssl merges them (ssl_engine_config.c). */
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <apr_strings.h>

#include "ocspr_chain_conf.h"

/* mod_ssl's CERTKEYS_IDX_MAX + 1 (with ECC): the first this-many
 * SSLCertificateFile of a vhost replace the global ones index by index. */
#define MODSSL_CERTKEYS_SLOTS 3

/* mod_ssl's DEFAULT_HTTPS_PORT. */
#define HTTPS_PORT 443

typedef enum { ARG_WORD, ARG_PATH } arg_kind_t;

/* Which setting of a scope each single-valued directive fills. */
static const struct {
    const char *name;
    size_t offset;
    arg_kind_t kind;
} scope_fields[] = {
    { "SSLEngine", offsetof(ocspr_chain_scope_t, engine), ARG_WORD },
    { "SSLCertificateChainFile", offsetof(ocspr_chain_scope_t, vhost.chain_file), ARG_PATH },
    { "SSLCACertificateFile", offsetof(ocspr_chain_scope_t, vhost.ca_file), ARG_PATH },
    { "SSLCACertificatePath", offsetof(ocspr_chain_scope_t, vhost.ca_path), ARG_PATH },
    { "SSLUseStapling", offsetof(ocspr_chain_scope_t, vhost.use_stapling), ARG_WORD },
    { "SSLStaplingForceURL", offsetof(ocspr_chain_scope_t, vhost.force_url), ARG_WORD },
    { "OCSPRefresh", offsetof(ocspr_chain_scope_t, vhost.refresh), ARG_WORD },
    { "OCSPRefreshResponder", offsetof(ocspr_chain_scope_t, vhost.responder), ARG_WORD },
};

void ocspr_chain_scope_init(ocspr_chain_scope_t *sc, apr_pool_t *p)
{
    memset(sc, 0, sizeof(*sc));
    sc->vhost.cert_files = apr_array_make(p, 2, sizeof(ocspr_chain_setting_t));
}

static void set_from(ocspr_chain_setting_t *setting, apr_pool_t *p, ocspr_chain_path_fn *path,
                     arg_kind_t kind, const char *arg, const char *file, int line)
{
    setting->value = kind == ARG_PATH && arg != NULL ? path(p, arg) : arg;
    setting->file = file;
    setting->line = line;
    setting->global = 0;
}

void ocspr_chain_scope_add(ocspr_chain_scope_t *sc, apr_pool_t *p, ocspr_chain_path_fn *path,
                           const char *directive, const char *arg, const char *file, int line)
{
    apr_size_t i;

    if (directive[0] == '<') {
        return;
    }
    if (strcasecmp(directive, "SSLCertificateFile") == 0) {
        set_from(apr_array_push(sc->vhost.cert_files), p, path, ARG_PATH, arg, file, line);
        return;
    }
    if (strcasecmp(directive, "SSLStaplingCache") == 0) {
        sc->vhost.stapling_cache = 1;
        return;
    }
    for (i = 0; i < sizeof(scope_fields) / sizeof(scope_fields[0]); i++) {
        if (strcasecmp(directive, scope_fields[i].name) == 0) {
            set_from((ocspr_chain_setting_t *)((char *)sc + scope_fields[i].offset), p, path,
                     scope_fields[i].kind, arg, file, line);
            return;
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
        APR_ARRAY_PUSH(out, ocspr_chain_setting_t) = APR_ARRAY_IDX(vhost, i,
                                                                   ocspr_chain_setting_t);
    }
    for (; i < global->nelts; i++) {
        ocspr_chain_setting_t *s = apr_array_push(out);

        *s = APR_ARRAY_IDX(global, i, ocspr_chain_setting_t);
        s->global = 1;
    }
    for (i = MODSSL_CERTKEYS_SLOTS; i < vhost->nelts; i++) {
        APR_ARRAY_PUSH(out, ocspr_chain_setting_t) = APR_ARRAY_IDX(vhost, i,
                                                                   ocspr_chain_setting_t);
    }
    return out;
}

void ocspr_chain_scope_merge(ocspr_chain_scope_t *out, apr_pool_t *p,
                             const ocspr_chain_scope_t *global, const ocspr_chain_scope_t *vhost)
{
    const ocspr_chain_vhost_t *g = &global->vhost, *v = &vhost->vhost;

    memset(out, 0, sizeof(*out));
    merge_setting(&out->engine, &global->engine, &vhost->engine);
    merge_setting(&out->vhost.chain_file, &g->chain_file, &v->chain_file);
    merge_setting(&out->vhost.ca_file, &g->ca_file, &v->ca_file);
    merge_setting(&out->vhost.ca_path, &g->ca_path, &v->ca_path);
    merge_setting(&out->vhost.use_stapling, &g->use_stapling, &v->use_stapling);
    merge_setting(&out->vhost.force_url, &g->force_url, &v->force_url);
    merge_setting(&out->vhost.refresh, &g->refresh, &v->refresh);
    merge_setting(&out->vhost.responder, &g->responder, &v->responder);
    out->vhost.cert_files = merge_cert_files(p, g->cert_files, v->cert_files);
    out->vhost.stapling_cache = g->stapling_cache;
}

int ocspr_chain_scope_ssl_enabled(const ocspr_chain_scope_t *sc, const char *protocol)
{
    if (sc->engine.value != NULL) {
        return strcasecmp(sc->engine.value, "on") == 0
               || strcasecmp(sc->engine.value, "optional") == 0;
    }
    return protocol != NULL && strcmp(protocol, "https") == 0 && sc->vhost.cert_files->nelts > 0;
}

const char *ocspr_chain_vhost_id(apr_pool_t *p, const char *hostname, unsigned port,
                                 unsigned listen_port)
{
    if (port == 0) {
        port = listen_port != 0 ? listen_port : HTTPS_PORT;
    }
    return apr_psprintf(p, "%s:%u", hostname != NULL ? hostname : "*", port);
}

void ocspr_chain_vhost_set_module(ocspr_chain_vhost_t *vh, int refresh_on, const char *responder)
{
    vh->refresh.value = refresh_on ? "on" : "off";
    vh->responder.value = responder;
    if (responder == NULL) {
        vh->responder.file = NULL;
    }
}

void ocspr_chain_vhost_add_supplied(ocspr_chain_vhost_t *vh, const apr_array_header_t *certs)
{
    int i;

    for (i = 0; i < certs->nelts; i++) {
        ocspr_chain_setting_t *setting = apr_array_push(vh->cert_files);

        memset(setting, 0, sizeof(*setting));
        setting->value = APR_ARRAY_IDX(certs, i, const char *);
        setting->file = "(supplied by another module, such as mod_md)";
    }
}

/* An analysed vhost. */
typedef struct {
    void *baton;
    ocspr_chain_report_t *report;
} analysed_t;

struct ocspr_chain_pass_t {
    ocspr_chain_run_t *run;
    apr_array_header_t *analysed;       /* analysed_t */
};

apr_status_t ocspr_chain_pass_create(ocspr_chain_pass_t **ppass, apr_pool_t *p, apr_time_t now)
{
    ocspr_chain_pass_t *pass = apr_pcalloc(p, sizeof(*pass));

    pass->analysed = apr_array_make(p, 64, sizeof(analysed_t));
    *ppass = pass;
    return ocspr_chain_run_create(&pass->run, p, now);
}

apr_status_t ocspr_chain_pass_add(ocspr_chain_pass_t *pass, const ocspr_chain_vhost_t *vh,
                                  void *baton)
{
    ocspr_chain_report_t *report = NULL;
    apr_status_t rv = ocspr_chain_run_add(&report, pass->run, vh);

    if (report != NULL) {
        analysed_t *a = apr_array_push(pass->analysed);

        a->baton = baton;
        a->report = report;
    }
    return rv;
}

static void cross_check(ocspr_chain_run_t *run, const analysed_t *a,
                        ocspr_chain_primed_fn *primed)
{
    int i;

    if (!a->report->stapling_wanted) {
        return;
    }
    for (i = 0; i < a->report->certs->nelts; i++) {
        const ocspr_chain_cert_t *c = &APR_ARRAY_IDX(a->report->certs, i, ocspr_chain_cert_t);

        if (c->issuer_found && !primed(a->baton, c->id)) {
            ocspr_chain_add_not_primed(run, a->report, c);
        }
    }
}

void ocspr_chain_pass_finish(ocspr_chain_pass_t *pass, ocspr_chain_totals_t *totals,
                             ocspr_chain_primed_fn *primed, ocspr_chain_finding_fn *report)
{
    int i, j;

    for (i = 0; primed != NULL && i < pass->analysed->nelts; i++) {
        cross_check(pass->run, &APR_ARRAY_IDX(pass->analysed, i, analysed_t), primed);
    }
    ocspr_chain_run_finish(pass->run, totals);
    for (i = 0; i < pass->analysed->nelts; i++) {
        const analysed_t *a = &APR_ARRAY_IDX(pass->analysed, i, analysed_t);

        for (j = 0; j < a->report->findings->nelts; j++) {
            report(a->baton, &APR_ARRAY_IDX(a->report->findings, j, ocspr_chain_finding_t));
        }
    }
}

const char *ocspr_chain_summary(apr_pool_t *p, const ocspr_chain_totals_t *totals,
                                int at_startup)
{
    return apr_psprintf(p, "diagnostics%s: %d SSL vhosts, %d certificates ready for stapling, "
                        "%d findings%s", at_startup ? " at startup" : "", totals->vhosts,
                        totals->ready, totals->findings,
                        totals->breaking ? apr_psprintf(p, " (%d breaking stapling)",
                                                        totals->breaking) : "");
}

const char *ocspr_chain_strict_verdict(int *fail, apr_pool_t *p,
                                       const ocspr_chain_totals_t *totals, int strict,
                                       int restart)
{
    *fail = 0;
    if (!totals->breaking || !strict) {
        return NULL;
    }
    if (restart) {
        return apr_psprintf(p, "OCSPRefreshStrict On: %d findings break stapling; this is a "
                            "restart, so the server goes on with the new configuration (only "
                            "`apachectl -t` and the first start fail)", totals->breaking);
    }
    *fail = 1;
    return apr_psprintf(p, "OCSPRefreshStrict On: %d findings break stapling, failing the "
                        "configuration check", totals->breaking);
}
