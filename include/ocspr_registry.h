/* The certificates mod_ssl primed with the module in one configuration
 * generation: each one once, whichever vhosts share it, with its issuer, its
 * responder (or why it has none) and its place in the shared state. Built in
 * the parent's post_config, read-only after it (children inherit it). */
#ifndef OCSPR_REGISTRY_H
#define OCSPR_REGISTRY_H

#include <apr_hash.h>
#include <apr_tables.h>

#include "ocspr_engine.h"

typedef struct {
    unsigned char id[OCSPR_CERT_ID_LEN];
    const char *id_hex;
    ocspr_cert_t *cert;
    ocspr_cert_t *issuer;
    const char *url;                    /* the responder; NULL when not applicable */
    const char *not_applicable;         /* why it is not stapled, or NULL */
    int must_staple;
    apr_array_header_t *vhosts;         /* "name:port" of every vhost using it */
    int slot;                           /* stapled: index of its state and engine cert; else -1 */
    ocspr_engine_cert_t engine_cert;    /* the engine's view (stapled entries only) */
} ocspr_entry_t;

typedef struct {
    apr_pool_t *pool;
    apr_hash_t *primed;                 /* id -> non-NULL: every certificate mod_ssl primed */
    apr_hash_t *by_id;                  /* id -> ocspr_entry_t * */
    apr_array_header_t *entries;        /* ocspr_entry_t *, in priming order */
    int stapled;                        /* entries with a responder */
    ocspr_engine_cert_t **engine_certs; /* the stapled ones', by slot (ocspr_registry_bind) */
    apr_hash_t *issuers;                /* issuer PEM text -> ocspr_cert_t *, parsed once */
} ocspr_registry_t;

ocspr_registry_t *ocspr_registry_create(apr_pool_t *p);

/* mod_ssl primed certificate id, whether or not we staple it (for the
 * diagnostics' cross-check). */
void ocspr_registry_mark_primed(ocspr_registry_t *reg, const unsigned char *id);
int ocspr_registry_was_primed(const ocspr_registry_t *reg, const unsigned char *id);

/* Certificate id is used by vhost ("name:port"). pem holds the certificate
 * and then its issuer, as mod_ssl primes them; the entry is made on first
 * sight, with `responder` (OCSPRefreshResponder) or else the certificate's
 * AIA OCSP URL. Returns APR_SUCCESS, or the reason the PEM holds no
 * certificate and issuer (OCSPR_EINVALID when one of them is missing). An
 * issuer text met before is not parsed again: entries share its certificate. */
apr_status_t ocspr_registry_add(ocspr_entry_t **pentry, ocspr_registry_t *reg,
                                const unsigned char *id, const char *pem, const char *vhost,
                                const char *responder);

ocspr_entry_t *ocspr_registry_get(const ocspr_registry_t *reg, const void *id,
                                  apr_size_t id_len);
/* By the id's hex (any case), as a status page form names it; NULL for NULL. */
ocspr_entry_t *ocspr_registry_get_hex(const ocspr_registry_t *reg, const char *hex);

/* "name:port,name:port" of every vhost using entry's certificate. */
const char *ocspr_entry_vhosts(apr_pool_t *p, const ocspr_entry_t *entry);

/* One NOTICE per certificate that is not stapled, up to a handful; past
 * that a summary, each one still at INFO (a CA that dropped OCSP can leave
 * thousands, and they are all on the status page). */
void ocspr_registry_log_not_applicable(const ocspr_registry_t *reg, apr_pool_t *p);

/* Give every stapled entry its engine view, with its state at
 * states[slot] (reg->stapled of them, usually in shared memory), and fill
 * reg->engine_certs. */
void ocspr_registry_bind(ocspr_registry_t *reg, ocspr_cert_state_t *states);

/* Report what the store directory holds besides the stapled certificates'
 * responses, which are the engine's to judge: foreign and unreadable files
 * at WARNING (never deleted), responses of certificates no longer
 * configured at DEBUG; leftovers of an interrupted write are removed
 * (ocspr_store_scan). */
void ocspr_registry_sweep_store(const ocspr_registry_t *reg, const char *dir, apr_pool_t *p);

#endif /* OCSPR_REGISTRY_H */
