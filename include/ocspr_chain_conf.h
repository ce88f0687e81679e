/* The certificate settings of each SSL vhost, as mod_ssl would apply them,
 * from the directives the glue reads out of httpd's configuration tree:
 * which directive fills which setting, mod_ssl's merge of a <VirtualHost>
 * with the global scope, whether mod_ssl turns TLS on, and the words the
 * diagnostics summary and OCSPRefreshStrict log. Knows nothing of httpd:
 * the glue hands over (directive, first argument, file, line) tuples. */
#ifndef OCSPR_CHAIN_CONF_H
#define OCSPR_CHAIN_CONF_H

#include <apr_pools.h>
#include "ocspr_chain.h"

/* The directives of one scope (the global one or a <VirtualHost>): the vhost
 * they describe, plus SSLEngine, which decides whether it is an SSL vhost. */
typedef struct {
    ocspr_chain_vhost_t vhost;         /* name/file/line unset */
    ocspr_chain_setting_t engine;      /* SSLEngine */
} ocspr_chain_scope_t;

/* How a relative path argument becomes the absolute one mod_ssl opens
 * (httpd's ap_server_root_relative has this type). */
typedef char *ocspr_chain_path_fn(apr_pool_t *p, const char *path);

void ocspr_chain_scope_init(ocspr_chain_scope_t *sc, apr_pool_t *p);

/* One directive read directly in the scope, with its first argument (NULL
 * when it has none). Directives that do not concern certificates or
 * stapling, and sections ("<Directory", ...), are ignored. The last
 * occurrence wins, as in mod_ssl's handlers; every SSLCertificateFile
 * counts. */
void ocspr_chain_scope_add(ocspr_chain_scope_t *sc, apr_pool_t *p, ocspr_chain_path_fn *path,
                           const char *directive, const char *arg, const char *file, int line);

/* mod_ssl's merge of a vhost's scope with the global one: a setting the
 * vhost leaves unset is the global one (marked global); the first
 * certificate files replace the global ones index by index; SSLStaplingCache
 * is process-wide. */
void ocspr_chain_scope_merge(ocspr_chain_scope_t *out, apr_pool_t *p,
                             const ocspr_chain_scope_t *global, const ocspr_chain_scope_t *vhost);

/* mod_ssl's test in ssl_init_Module: SSLEngine On/Optional, or unset with
 * the https Protocol (protocol may be NULL) and certificates. */
int ocspr_chain_scope_ssl_enabled(const ocspr_chain_scope_t *sc, const char *protocol);

/* mod_ssl's vhost id, "name:port", except that a vhost without a port in
 * its ServerName (port 0) shows the port it listens on (listen_port, 0 when
 * unknown: 443). hostname NULL shows as "*". */
const char *ocspr_chain_vhost_id(apr_pool_t *p, const char *hostname, unsigned port,
                                 unsigned listen_port);

/* The module's own resolved OCSPRefresh and OCSPRefreshResponder win over
 * the tree, which only supplies where they were set. */
void ocspr_chain_vhost_set_module(ocspr_chain_vhost_t *vh, int refresh_on, const char *responder);

/* Certificate files another module (mod_md) supplies for a vhost without
 * SSLCertificateFile: certs holds their paths (const char *). */
void ocspr_chain_vhost_add_supplied(ocspr_chain_vhost_t *vh, const apr_array_header_t *certs);

/* One diagnostics pass over a configuration: the run, and each analysed
 * vhost's report with the glue's handle of that vhost (baton: a server_rec
 * in httpd), under which its findings are logged. */
typedef struct ocspr_chain_pass_t ocspr_chain_pass_t;

apr_status_t ocspr_chain_pass_create(ocspr_chain_pass_t **ppass, apr_pool_t *p, apr_time_t now);

/* Analyse one SSL vhost (ocspr_chain_run_add); vh must live as long as the
 * pass. */
apr_status_t ocspr_chain_pass_add(ocspr_chain_pass_t *pass, const ocspr_chain_vhost_t *vh,
                                  void *baton);

/* Did mod_ssl prime the certificate with this id (for the vhost baton)? */
typedef int ocspr_chain_primed_fn(void *baton, const unsigned char id[OCSPR_CERT_ID_LEN]);
/* Where each finding of the vhost baton goes. */
typedef void ocspr_chain_finding_fn(void *baton, const ocspr_chain_finding_t *finding);

/* Settle the pass and hand every finding to report, vhost by vhost in the
 * order they were added. With primed (the startup cross-check), each
 * certificate of a vhost that wants stapling whose issuer the files give
 * but that mod_ssl did not prime is a finding too. */
void ocspr_chain_pass_finish(ocspr_chain_pass_t *pass, ocspr_chain_totals_t *totals,
                             ocspr_chain_primed_fn *primed, ocspr_chain_finding_fn *report);

/* The summary line after a run ("diagnostics at startup: 3 SSL vhosts, ..."),
 * without its tag. */
const char *ocspr_chain_summary(apr_pool_t *p, const ocspr_chain_totals_t *totals,
                                int at_startup);

/* OCSPRefreshStrict: fail `-t` and the first start on a finding that breaks
 * stapling; on a restart (restart non-zero) failing would take a running
 * server down, so only log. Sets *fail and returns the error to log (without
 * its tag), or NULL when there is nothing to say. */
const char *ocspr_chain_strict_verdict(int *fail, apr_pool_t *p,
                                       const ocspr_chain_totals_t *totals, int strict,
                                       int restart);

#endif /* OCSPR_CHAIN_CONF_H */
