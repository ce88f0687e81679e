/* Internals shared by the three files of the chain analysis (not part of the
 * core's interface):
 * - ocspr_chain_search.c: mod_ssl's issuer search, and the files it reads,
 *   each loaded once per run;
 * - ocspr_chain_findings.c: the findings: what is wrong and which fix;
 * - ocspr_chain_text.c: their words and fix commands;
 * - ocspr_chain.c: the run over every vhost, and the settlement of each
 *   finding once every vhost is known (is the certificate primed anywhere?).
 */
#ifndef OCSPR_CHAIN_PRIVATE_H
#define OCSPR_CHAIN_PRIVATE_H

#include <apr_hash.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include "ocspr_chain.h"

/* ---- files and mod_ssl's search (ocspr_chain_search.c) ------------------- */

typedef enum {
    OCSPR_SRC_CERT_FILE, OCSPR_SRC_CHAIN_FILE, OCSPR_SRC_CA_FILE, OCSPR_SRC_CA_PATH
} ocspr_chain_source_t;

/* One file as the analysis read it, once per run: any format, unlike mod_ssl. */
typedef struct {
    const char *path;
    apr_status_t rv;
    ocspr_cert_format_t format;
    apr_array_header_t *certs;      /* ocspr_cert_lite_t*, NULL when rv fails */
    apr_hash_t *by_subject;         /* subject name hash -> apr_array_header_t* of
                                     * indexes in certs, in file order; built when
                                     * first searched */
} ocspr_chain_file_t;

/* A file as one vhost names it. */
typedef struct {
    const ocspr_chain_setting_t *setting;   /* NULL when the directive is unset */
    const char *directive;
    const ocspr_chain_file_t *file;
} ocspr_chain_loaded_t;

/* A certificate found somewhere, remembered for the diagnosis. */
typedef struct {
    const ocspr_cert_lite_t *cert;
    ocspr_chain_source_t kind;
    const char *path;
    ocspr_cert_format_t format;
} ocspr_chain_candidate_t;

/* How bad a finding is, before the run knows every vhost. */
typedef enum {
    OCSPR_SEV_FATAL,    /* mod_ssl refuses to start, or browsers refuse the site */
    OCSPR_SEV_DEFEATS,  /* stapling is on and cannot work for this certificate,
                         * whatever other vhosts do; a warning when it is off */
    OCSPR_SEV_SEARCH,   /* mod_ssl's issuer search fails in this vhost: breaks
                         * stapling only if no vhost gets the certificate primed
                         * for this vhost's handshakes, else clients only */
    OCSPR_SEV_ERROR,    /* an error that does not stop stapling (expiry) */
    OCSPR_SEV_WARNING,  /* worth fixing, stapling works */
    OCSPR_SEV_NOTICE    /* nothing to staple, by the CA's choice */
} ocspr_chain_severity_t;

/* A finding before settlement. */
typedef struct {
    ocspr_chain_code_t code;
    ocspr_chain_severity_t sev;
    int cert;                   /* index in report->certs; -1: every certificate
                                 * of the vhost whose issuer was not found */
    int must_staple;
    const char *subject;        /* "vhost ...[, certificate ...]" */
    const char *what;
    const char *fix;
    const char *fix_file;       /* the file the fix changes (NULL: none), so the
                                 * settlement can name other vhosts using it */
    const char *fix_if_shared;  /* the fix when other vhosts use fix_file (one
                                 * that keeps what they need), or NULL */
} ocspr_chain_pending_t;

/* One certificate of the run, by id: what mod_ssl does with it across vhosts. */
typedef struct {
    const ocspr_cert_lite_t *cert;
    int wanted;                 /* a vhost using it wants stapling */
    int primed_own;             /* mod_ssl's own stapling holds it (SSLUseStapling
                                 * On, OCSPRefresh Off, issuer found) */
    int primed_hook;            /* mod_ssl hands it to our prime hook (OCSPRefresh On,
                                 * issuer found) */
    const ocspr_chain_vhost_t *primed_by;  /* first vhost that found its issuer */
    int defeated;               /* primed, but no valid response can come */
} ocspr_chain_run_cert_t;

/* One vhost of the run. */
typedef struct {
    const ocspr_chain_vhost_t *vh;
    ocspr_chain_report_t *report;
    apr_array_header_t *pending;    /* ocspr_chain_pending_t */
    int mod_ssl_staples;            /* SSLUseStapling On */
    int refresh;                    /* OCSPRefresh On */
    int hook_primed_any;            /* a certificate of it reaches our prime hook:
                                     * mod_ssl then installs the status callback
                                     * on this vhost even with SSLUseStapling Off */
} ocspr_chain_vrec_t;

struct ocspr_chain_run_t {
    apr_pool_t *p;
    apr_time_t now;
    apr_hash_t *files;      /* path -> ocspr_chain_file_t* */
    apr_hash_t *blocks;     /* PEM CERTIFICATE block -> ocspr_cert_lite_t*, parsed once */
    ocspr_cert_lite_ctx_t *lite;    /* certificates are parsed without their key */
    apr_hash_t *stores;     /* "CA file\nCA path" -> X509_STORE* */
    apr_hash_t *ca_paths;   /* directory -> apr_array_header_t* of candidates */
    apr_hash_t *uses;       /* path -> apr_array_header_t* of ocspr_chain_use_t */
    apr_hash_t *certs;      /* id -> ocspr_chain_run_cert_t* */
    apr_hash_t *cert_lists; /* certificate pointers -> ocspr_chain_list_certs text */
    apr_array_header_t *vrecs;   /* ocspr_chain_vrec_t* in the order added */
};

/* One use of a file by a vhost, to name the others that share it. */
typedef struct {
    const ocspr_chain_vhost_t *vh;
    const char *directive;
    const ocspr_chain_setting_t *setting;
} ocspr_chain_use_t;

/* The analysis of one vhost. */
typedef struct {
    ocspr_chain_run_t *run;
    apr_pool_t *p;
    const ocspr_chain_vhost_t *vh;
    ocspr_chain_vrec_t *vrec;
    ocspr_chain_report_t *report;
    ocspr_chain_loaded_t chain;     /* SSLCertificateChainFile */
    apr_array_header_t *extra;      /* what mod_ssl makes of the chain file */
    int extra_from;                 /* extra is chain.file->certs from this index */
    ocspr_chain_loaded_t ca_file;
    X509_STORE *store;              /* SSLCACertificateFile/Path, shared per run */
    apr_array_header_t *anchors;    /* ocspr_cert_lite_t*: every certificate of the
                                     * certificate files; a chain file certificate
                                     * that issues none of them is foreign */
    int chain_reported;             /* a finding already lists the chain file */
} ocspr_chain_vctx_t;

/* The certificate under analysis. */
typedef struct {
    ocspr_chain_loaded_t file;
    const ocspr_cert_lite_t *leaf;
    apr_array_header_t *rest;       /* the file's other certificates, in order */
    int must_staple;
    int index;                      /* in report->certs */
    ocspr_chain_run_cert_t *rcert;  /* the run's record of it, NULL if unreadable */
} ocspr_chain_cctx_t;

/* The hash of run->blocks: a PEM block, from its BEGIN line to its END line. */
unsigned int ocspr_chain_block_hash(const char *key, apr_ssize_t *klen);
/* The file at path, read at most once per run (never NULL). */
const ocspr_chain_file_t *ocspr_chain_run_file(ocspr_chain_run_t *run, const char *path);
/* Load the file of `setting` for a vhost and remember who uses it. */
void ocspr_chain_load(ocspr_chain_vctx_t *vc, ocspr_chain_loaded_t *l,
                      const ocspr_chain_setting_t *setting, const char *directive);
/* The first max uses of path by vhosts other than vh (directive and where),
 * and in *ptotal how many there are. */
apr_array_header_t *ocspr_chain_other_users(int *ptotal, ocspr_chain_run_t *run, const char *path,
                                            const ocspr_chain_vhost_t *vh, int max);
/* SSLCACertificateFile/Path as mod_ssl's SSL_CTX_load_verify_file/dir,
 * built once per distinct pair. */
apr_status_t ocspr_chain_setup_store(ocspr_chain_vctx_t *vc);
/* The certificates mod_ssl takes from SSLCertificateChainFile (vc->extra). */
void ocspr_chain_setup_chain(ocspr_chain_vctx_t *vc);
/* mod_ssl's stapling_get_issuer: the extra certificates, then the store. */
const ocspr_cert_lite_t *ocspr_chain_modssl_issuer(ocspr_chain_vctx_t *vc,
                                                   const ocspr_cert_lite_t *leaf,
                                                   const apr_array_header_t *extra);
/* Everything the admin has, in the order mod_ssl would look. */
apr_array_header_t *ocspr_chain_candidates(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc);
/* Certificates of chain that issue none of anchors nor any that does. */
apr_array_header_t *ocspr_chain_unused(ocspr_chain_vctx_t *vc, const apr_array_header_t *chain,
                                       const apr_array_header_t *anchors);

/* ---- findings (ocspr_chain_findings.c) ---------------------------------- */

ocspr_chain_pending_t *ocspr_chain_add(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                       ocspr_chain_code_t code, ocspr_chain_severity_t sev,
                                       const char *what, const char *fix, const char *fix_file);
void ocspr_chain_report_unreadable(ocspr_chain_vctx_t *vc, const ocspr_chain_loaded_t *l);
void ocspr_chain_report_not_pem(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                const ocspr_chain_loaded_t *l, ocspr_chain_severity_t sev,
                                const char *consequence);
/* Is cert within its validity at the run's time? */
int ocspr_chain_valid_now(const ocspr_chain_vctx_t *vc, const ocspr_cert_lite_t *cert);
void ocspr_chain_check_validity(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                const ocspr_cert_lite_t *cert, const char *who, const char *fix);
void ocspr_chain_check_order(ocspr_chain_vctx_t *vc, ocspr_chain_cctx_t *cc, int leaf_index);
/* Returns whether a responder will be asked. */
int ocspr_chain_check_responder(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc);
void ocspr_chain_check_self_signed(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc);
void ocspr_chain_check_must_staple(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc);
void ocspr_chain_check_found_issuer(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                    const ocspr_cert_lite_t *issuer);
void ocspr_chain_diagnose_missing(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                  const apr_array_header_t *extra);
void ocspr_chain_report_foreign(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                const char *path, const apr_array_header_t *chain,
                                const apr_array_header_t *anchors);
void ocspr_chain_check_vhost(ocspr_chain_vctx_t *vc);

/* ---- words and fixes (ocspr_chain_text.c) -------------------------------- */

/* "FILE:LINE[ in the global scope]", or "(not configured)". */
const char *ocspr_chain_where(apr_pool_t *p, const ocspr_chain_setting_t *setting);
/* "vhost NAME (FILE:LINE)" or "vhost NAME (main server)". */
const char *ocspr_chain_vhost_where(apr_pool_t *p, const ocspr_chain_vhost_t *vh);
const char *ocspr_chain_format_name(ocspr_cert_format_t format);
const char *ocspr_chain_time_str(apr_pool_t *p, apr_time_t t);
const char *ocspr_chain_key_id(const char *key_id);     /* "(none)" for NULL */
/* A certificate's subject / authority key id, or "(none)". */
const char *ocspr_chain_subject_key_id(apr_pool_t *p, const ocspr_cert_lite_t *cert);
const char *ocspr_chain_authority_key_id(apr_pool_t *p, const ocspr_cert_lite_t *cert);
/* "subject "...", key id K, serial S, expires T" */
const char *ocspr_chain_describe(apr_pool_t *p, const ocspr_cert_lite_t *cert);
/* The issuer a certificate names: ""SUBJECT" with key id K". */
const char *ocspr_chain_wanted_issuer(apr_pool_t *p, const ocspr_cert_lite_t *cert);
/* ""SUBJECT" (key id K), ..." for certs (ocspr_cert_lite_t*), made once per run:
 * the first OCSPR_CHAIN_LIST_MAX, then "and N more certificates". */
const char *ocspr_chain_list_certs(ocspr_chain_run_t *run, const apr_array_header_t *certs);
/* Fixes for the issuer of leaf, each "words: `command`" on target. */
const char *ocspr_chain_fix_append(apr_pool_t *p, const ocspr_cert_lite_t *leaf,
                                   const char *target);
const char *ocspr_chain_fix_replace_file(apr_pool_t *p, const ocspr_cert_lite_t *leaf,
                                         const char *target);
const char *ocspr_chain_fix_replace_after_leaf(apr_pool_t *p, const ocspr_cert_lite_t *leaf,
                                               const char *target);
const char *ocspr_chain_fix_replace_in_ca_path(apr_pool_t *p, const ocspr_cert_lite_t *leaf,
                                               const char *file, const char *dir);
/* Convert a DER or PKCS#7 file to PEM next to it and point directive (if
 * any) at the result. */
const char *ocspr_chain_fix_convert(apr_pool_t *p, const char *path, ocspr_cert_format_t format,
                                    const char *directive);
/* Where mod_ssl should find the issuer: the chain file, or the certificate file. */
const char *ocspr_chain_issuer_target(const ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc);
/* Replace what stands for the issuer in that file. */
const char *ocspr_chain_fix_replace_target(const ocspr_chain_vctx_t *vc,
                                           const ocspr_chain_cctx_t *cc);
/* How to turn stapling off for this vhost, for each mechanism that is on. */
const char *ocspr_chain_stapling_off_fix(const ocspr_chain_vctx_t *vc);

#endif /* OCSPR_CHAIN_PRIVATE_H */
