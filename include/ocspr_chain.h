/* Chain analysis for diagnostics: given every SSL vhost's certificate setup
 * as mod_ssl would apply it, reproduce mod_ssl's issuer search (the one
 * behind AH02217) and explain every reason stapling, or a client's chain,
 * would fail, with the fix.
 *
 * The glue reads the configuration (file and line of each directive) and
 * fills an ocspr_chain_vhost_t; this file knows nothing of httpd. */
#ifndef OCSPR_CHAIN_H
#define OCSPR_CHAIN_H

#include <apr_tables.h>
#include "ocspr_cert_lite.h"

/* One directive's value and where it was set. value is NULL when the
 * directive is absent (file is then NULL too). */
typedef struct {
    const char *value;     /* as mod_ssl uses it: paths absolute, flags "on"/"off" */
    const char *file;      /* configuration file of the directive */
    int line;
    int global;            /* set in the global scope and inherited by this vhost */
} ocspr_chain_setting_t;

/* One SSL vhost, after mod_ssl's merge with the global scope. */
typedef struct {
    const char *name;                 /* "server_name:port", as mod_ssl's vhost id */
    const char *file;                 /* where the <VirtualHost> starts (or the */
    int line;                         /*   main server: NULL/0) */
    apr_array_header_t *cert_files;   /* ocspr_chain_setting_t, SSLCertificateFile in
                                       * mod_ssl's merged order */
    ocspr_chain_setting_t chain_file;     /* SSLCertificateChainFile */
    ocspr_chain_setting_t ca_file;        /* SSLCACertificateFile */
    ocspr_chain_setting_t ca_path;        /* SSLCACertificatePath */
    ocspr_chain_setting_t use_stapling;   /* SSLUseStapling */
    ocspr_chain_setting_t force_url;      /* SSLStaplingForceURL */
    ocspr_chain_setting_t refresh;        /* OCSPRefresh */
    ocspr_chain_setting_t responder;      /* OCSPRefreshResponder */
    int stapling_cache;               /* SSLStaplingCache is configured (global) */
} ocspr_chain_vhost_t;

/* Stable finding codes. Each maps to one log tag OCSPR04nn (the number is
 * the code's value) and one short name; both are part of the interface and
 * listed in the README. Never renumber. */
typedef enum {
    OCSPR_CHAIN_UNREADABLE = 401,        /* a file cannot be read or holds no certificate */
    OCSPR_CHAIN_ISSUER_MISSING = 402,    /* the issuer is in no file mod_ssl searches */
    OCSPR_CHAIN_CHAIN_FILE_OVERRIDES = 403, /* issuer in the certificate file, ignored */
    OCSPR_CHAIN_ISSUER_OTHER_KEY = 404,  /* right issuer name, another key */
    OCSPR_CHAIN_FOREIGN_INTERMEDIATE = 405, /* intermediates of another chain */
    OCSPR_CHAIN_NOT_PEM = 406,           /* DER or PKCS#7 where mod_ssl reads PEM */
    OCSPR_CHAIN_WRONG_ORDER = 407,       /* a CA certificate before the leaf */
    OCSPR_CHAIN_SELF_SIGNED = 408,       /* self-signed leaf with stapling on */
    OCSPR_CHAIN_EXPIRED = 409,           /* leaf or issuer outside its validity */
    OCSPR_CHAIN_NO_OCSP_URL = 410,       /* no responder URL: nothing to staple */
    OCSPR_CHAIN_HTTPS_RESPONDER = 411,   /* https:// responder URL */
    OCSPR_CHAIN_NO_STAPLING_CACHE = 412, /* SSLUseStapling On without SSLStaplingCache */
    OCSPR_CHAIN_NOT_PRIMED = 413,        /* startup: mod_ssl did not hand it over */
    OCSPR_CHAIN_CA_PATH_NOT_HASHED = 414,/* issuer in SSLCACertificatePath, not hashed */
    OCSPR_CHAIN_ISSUER_REJECTED = 415,   /* issuer present, OpenSSL rejects it (why) */
    OCSPR_CHAIN_FALLBACK = 416,          /* no certificate: mod_ssl's fallback / 503 */
    OCSPR_CHAIN_MUST_STAPLE_OFF = 417,   /* Must-Staple certificate, stapling off */
    OCSPR_CHAIN_CLIENT_CHAIN = 418       /* clients of this vhost cannot build the chain;
                                          * stapling is not affected (the certificate is
                                          * primed for this vhost's handshakes) or off */
} ocspr_chain_code_t;

typedef struct {
    ocspr_chain_code_t code;
    const char *tag;             /* "OCSPR0402" */
    const char *name;            /* "issuer-missing" */
    ocspr_log_level_t level;
    int breaks_stapling;         /* this vhost's handshakes get no staple because of it */
    const char *message;         /* one line: vhost, config file:line, certificate,
                                  * what is wrong and the exact fix */
    const char *fix;             /* the fix alone, as in the message: each action
                                  * with its command in backquotes */
} ocspr_chain_finding_t;

/* What the analysis learnt about one certificate of a vhost. */
typedef struct {
    const ocspr_cert_lite_t *cert;   /* NULL when the file could not be read */
    const ocspr_chain_setting_t *cert_file;
    unsigned char id[OCSPR_CERT_ID_LEN];
    int issuer_found;            /* mod_ssl's search finds an issuer in this vhost */
} ocspr_chain_cert_t;

typedef struct {
    const ocspr_chain_vhost_t *vhost;
    apr_array_header_t *findings;   /* ocspr_chain_finding_t, filled by
                                     * ocspr_chain_run_finish */
    apr_array_header_t *certs;      /* ocspr_chain_cert_t */
    int stapling_wanted;            /* SSLUseStapling On or OCSPRefresh On */
} ocspr_chain_report_t;

typedef struct {
    int vhosts;                  /* SSL vhosts analysed */
    int certs;                   /* distinct certificates of vhosts that want stapling */
    int ready;                   /* of those, primed by mod_ssl for some vhost and
                                  * with nothing that defeats a response */
    int findings;
    int breaking;                /* findings with breaks_stapling */
} ocspr_chain_totals_t;

/* One analysis over every vhost of a configuration: each file is read once,
 * and a finding is settled only when every vhost using the certificate is
 * known (mod_ssl keeps stapling data per certificate, not per vhost). */
typedef struct ocspr_chain_run_t ocspr_chain_run_t;

apr_status_t ocspr_chain_run_create(ocspr_chain_run_t **prun, apr_pool_t *p, apr_time_t now);

/* Analyse one vhost. Reads the files named in vh (once per run); never
 * touches the network. Problems with the configuration are findings, not
 * errors: the result is APR_SUCCESS unless memory or OpenSSL fail. The
 * report's findings are filled by ocspr_chain_run_finish. vh must live as
 * long as the run. */
apr_status_t ocspr_chain_run_add(ocspr_chain_report_t **preport, ocspr_chain_run_t *run,
                                 const ocspr_chain_vhost_t *vh);

/* The startup cross-check, before ocspr_chain_run_finish: certificate c,
 * whose issuer the analysis found in a vhost with stapling on, was not primed
 * by mod_ssl. */
void ocspr_chain_add_not_primed(ocspr_chain_run_t *run, ocspr_chain_report_t *report,
                                const ocspr_chain_cert_t *c);

/* Settle every finding of every vhost added (kind, level, whether it breaks
 * stapling, other vhosts sharing the file a fix changes) and count. Call once. */
void ocspr_chain_run_finish(ocspr_chain_run_t *run, ocspr_chain_totals_t *totals);

/* Is a flag setting "on" (case-insensitive)? */
int ocspr_chain_setting_on(const ocspr_chain_setting_t *setting);

#endif /* OCSPR_CHAIN_H */
