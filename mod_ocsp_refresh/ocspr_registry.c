/* The primed certificates of a configuration generation (contract in
 * ocspr_registry.h). */
#include <string.h>

#include <apr_strings.h>

#include "ocspr_registry.h"
#include "ocspr_store.h"
#include "ocspr_tags.h"

/* How many certificates without a usable responder get a NOTICE each. */
#define NOT_APPLICABLE_NOTICES 10

ocspr_registry_t *ocspr_registry_create(apr_pool_t *p)
{
    ocspr_registry_t *reg = apr_pcalloc(p, sizeof(*reg));

    reg->pool = p;
    reg->primed = apr_hash_make(p);
    reg->by_id = apr_hash_make(p);
    reg->entries = apr_array_make(p, 16, sizeof(ocspr_entry_t *));
    reg->issuers = apr_hash_make(p);
    return reg;
}

void ocspr_registry_mark_primed(ocspr_registry_t *reg, const unsigned char *id)
{
    if (!apr_hash_get(reg->primed, id, OCSPR_CERT_ID_LEN)) {
        apr_hash_set(reg->primed, apr_pmemdup(reg->pool, id, OCSPR_CERT_ID_LEN),
                     OCSPR_CERT_ID_LEN, reg);
    }
}

int ocspr_registry_was_primed(const ocspr_registry_t *reg, const unsigned char *id)
{
    return apr_hash_get(reg->primed, id, OCSPR_CERT_ID_LEN) != NULL;
}

ocspr_entry_t *ocspr_registry_get(const ocspr_registry_t *reg, const void *id,
                                  apr_size_t id_len)
{
    return id_len == OCSPR_CERT_ID_LEN ? apr_hash_get(reg->by_id, id, OCSPR_CERT_ID_LEN) : NULL;
}

ocspr_entry_t *ocspr_registry_get_hex(const ocspr_registry_t *reg, const char *hex)
{
    int i;

    for (i = 0; hex && i < reg->entries->nelts; i++) {
        ocspr_entry_t *entry = APR_ARRAY_IDX(reg->entries, i, ocspr_entry_t *);

        if (!strcasecmp(entry->id_hex, hex)) {
            return entry;
        }
    }
    return NULL;
}

/* The first certificate of PEM text, with the text after it. */
static apr_status_t load_first(ocspr_cert_t **pcert, const char **rest, ocspr_registry_t *reg,
                               const char *pem)
{
    static const char end_marker[] = "-----END CERTIFICATE-----";
    const char *end = strstr(pem, end_marker);
    apr_array_header_t *certs;
    apr_status_t rv;

    if (!end) {
        return OCSPR_EINVALID;
    }
    end += sizeof(end_marker) - 1;
    end += strspn(end, "\r\n");
    rv = ocspr_chain_load_mem(&certs, NULL, reg->pool, pem, (apr_size_t)(end - pem));
    if (rv == APR_SUCCESS) {
        *pcert = APR_ARRAY_IDX(certs, 0, ocspr_cert_t *);
        *rest = end;
    }
    return rv;
}

/* The certificate of pem and its issuer, the PEM block after it. Thousands
 * of certificates share a handful of intermediates: each distinct issuer
 * text is parsed once and its certificate shared. */
static apr_status_t load_pair(ocspr_cert_t **pcert, ocspr_cert_t **pissuer,
                              ocspr_registry_t *reg, const char *pem)
{
    const char *issuer_pem, *after;
    apr_status_t rv = load_first(pcert, &issuer_pem, reg, pem);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *pissuer = apr_hash_get(reg->issuers, issuer_pem, APR_HASH_KEY_STRING);
    if (*pissuer) {
        return APR_SUCCESS;
    }
    rv = load_first(pissuer, &after, reg, issuer_pem);
    if (rv == APR_SUCCESS) {
        apr_hash_set(reg->issuers, apr_pstrdup(reg->pool, issuer_pem), APR_HASH_KEY_STRING,
                     *pissuer);
    }
    return rv;
}

static ocspr_entry_t *new_entry(ocspr_registry_t *reg, const unsigned char *id,
                                ocspr_cert_t *cert, ocspr_cert_t *issuer, const char *responder)
{
    ocspr_entry_t *entry = apr_pcalloc(reg->pool, sizeof(*entry));

    memcpy(entry->id, id, OCSPR_CERT_ID_LEN);
    entry->id_hex = ocspr_hex(reg->pool, entry->id, OCSPR_CERT_ID_LEN);
    entry->cert = cert;
    entry->issuer = issuer;
    entry->must_staple = ocspr_cert_must_staple(entry->cert);
    entry->vhosts = apr_array_make(reg->pool, 2, sizeof(const char *));
    entry->url = ocspr_engine_responder(entry->cert, responder, &entry->not_applicable,
                                        reg->pool);
    entry->slot = entry->url ? reg->stapled++ : -1;
    apr_hash_set(reg->by_id, entry->id, OCSPR_CERT_ID_LEN, entry);
    APR_ARRAY_PUSH(reg->entries, ocspr_entry_t *) = entry;
    return entry;
}

apr_status_t ocspr_registry_add(ocspr_entry_t **pentry, ocspr_registry_t *reg,
                                const unsigned char *id, const char *pem, const char *vhost,
                                const char *responder)
{
    ocspr_entry_t *entry = ocspr_registry_get(reg, id, OCSPR_CERT_ID_LEN);
    ocspr_cert_t *cert, *issuer;
    apr_status_t rv;
    int i;

    if (!entry) {
        rv = load_pair(&cert, &issuer, reg, pem);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        entry = new_entry(reg, id, cert, issuer, responder);
    }
    for (i = 0; i < entry->vhosts->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(entry->vhosts, i, const char *), vhost)) {
            break;
        }
    }
    if (i == entry->vhosts->nelts) {
        APR_ARRAY_PUSH(entry->vhosts, const char *) = apr_pstrdup(reg->pool, vhost);
    }
    *pentry = entry;
    return APR_SUCCESS;
}

const char *ocspr_entry_vhosts(apr_pool_t *p, const ocspr_entry_t *entry)
{
    return apr_array_pstrcat(p, entry->vhosts, ',');
}

void ocspr_registry_log_not_applicable(const ocspr_registry_t *reg, apr_pool_t *p)
{
    int i, n = 0;

    for (i = 0; i < reg->entries->nelts; i++) {
        const ocspr_entry_t *entry = APR_ARRAY_IDX(reg->entries, i, ocspr_entry_t *);

        if (entry->not_applicable) {
            ocspr_log(++n <= NOT_APPLICABLE_NOTICES ? OCSPR_LOG_NOTICE : OCSPR_LOG_INFO, 0,
                      OCSPR_T_NOT_APPLICABLE, p, "not stapling %s (vhosts %s): %s",
                      ocspr_log_escape(p, ocspr_cert_subject(entry->cert, p)),
                      ocspr_log_escape(p, ocspr_entry_vhosts(p, entry)),
                      ocspr_log_escape(p, entry->not_applicable));
        }
    }
    if (n > NOT_APPLICABLE_NOTICES) {
        ocspr_log(OCSPR_LOG_NOTICE, 0, OCSPR_T_NOT_APPLICABLE, p, "not stapling %d more "
                  "certificates without a usable OCSP responder (each at LogLevel info, and "
                  "on the status page)", n - NOT_APPLICABLE_NOTICES);
    }
}

void ocspr_registry_bind(ocspr_registry_t *reg, ocspr_cert_state_t *states)
{
    apr_pool_t *p = reg->pool;
    int i;

    reg->engine_certs = apr_pcalloc(p, sizeof(*reg->engine_certs) * (apr_size_t)(reg->stapled + 1));
    for (i = 0; i < reg->entries->nelts; i++) {
        ocspr_entry_t *entry = APR_ARRAY_IDX(reg->entries, i, ocspr_entry_t *);
        ocspr_engine_cert_t *c = &entry->engine_cert;

        if (entry->slot < 0) {
            continue;
        }
        memcpy(c->id, entry->id, OCSPR_CERT_ID_LEN);
        c->id_hex = entry->id_hex;
        c->cert = entry->cert;
        c->issuer = entry->issuer;
        c->url = entry->url;
        c->must_staple = entry->must_staple;
        /* Escaped once here: subjects and vhost names are untrusted text. */
        c->label = ocspr_log_escape(p, apr_psprintf(p, "%s (vhosts %s)",
                                                    ocspr_cert_subject(entry->cert, p),
                                                    ocspr_entry_vhosts(p, entry)));
        c->state = &states[entry->slot];
        reg->engine_certs[entry->slot] = c;
    }
}

/* --- the store's other files ---------------------------------------------------- */

typedef struct {
    const ocspr_registry_t *reg;
    apr_pool_t *p;
} sweep_t;

static apr_status_t sweep_entry(void *baton, const unsigned char id[OCSPR_CERT_ID_LEN],
                                const unsigned char *der, apr_size_t len, const char *path)
{
    sweep_t *sw = baton;

    if (!ocspr_registry_get(sw->reg, id, OCSPR_CERT_ID_LEN)) {
        /* A certificate no longer configured (renewed, vhost removed). */
        ocspr_log(OCSPR_LOG_DEBUG, 0, NULL, sw->p, "store file %s belongs to no certificate "
                  "stapled now; ignored", ocspr_log_escape(sw->p, path));
    }
    return APR_SUCCESS;
}

/* Is path the store file of a stapled certificate? */
static int is_engine_file(const ocspr_registry_t *reg, const char *path)
{
    const char *base = strrchr(path, '/');
    unsigned char id[OCSPR_CERT_ID_LEN];
    const ocspr_entry_t *entry;

    base = base ? base + 1 : path;
    return ocspr_store_parse_name(id, base)
           && (entry = ocspr_registry_get(reg, id, OCSPR_CERT_ID_LEN)) != NULL && entry->slot >= 0;
}

static void sweep_skip(void *baton, const char *path, apr_status_t rv, const char *reason)
{
    sweep_t *sw = baton;

    if (is_engine_file(sw->reg, path)) {
        return;
    }
    if (rv == APR_SUCCESS) {
        /* A leftover of an interrupted write, removed: cleaning, not a problem. */
        ocspr_log(OCSPR_LOG_NOTICE, 0, NULL, sw->p, "store file %s: %s",
                  ocspr_log_escape(sw->p, path), reason);
        return;
    }
    /* Our own status codes mean nothing to APR's error text: the reason
     * says it all. */
    ocspr_log(OCSPR_LOG_WARNING, rv > OCSPR_ERR_BASE && rv <= OCSPR_ETOOSMALL ? 0 : rv,
              OCSPR_T_STORE_SKIPPED, sw->p, "store file %s ignored: %s",
              ocspr_log_escape(sw->p, path), reason);
}

void ocspr_registry_sweep_store(const ocspr_registry_t *reg, const char *dir, apr_pool_t *p)
{
    sweep_t sw = { reg, p };

    ocspr_store_scan(dir, OCSPR_RESPONSE_MAX_SIZE, p, sweep_entry, sweep_skip, &sw);
}
