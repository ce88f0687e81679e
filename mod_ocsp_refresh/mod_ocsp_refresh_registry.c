/* The certificates mod_ssl primes: recorded by the prime hook, no I/O. */
#include <apr_strings.h>

#include "mod_ocsp_refresh_module.h"

ocspr_module_t *ocspr_module;

static apr_status_t engine_cleanup(void *data)
{
    if (ocspr_module == data) {
        ocspr_module = NULL;
    }
    return APR_SUCCESS;
}

void ocspr_module_create(apr_pool_t *pconf)
{
    ocspr_module_t *e = apr_pcalloc(pconf, sizeof(*e));

    e->pool = pconf;
    e->primed = apr_hash_make(pconf);
    e->by_id = apr_hash_make(pconf);
    e->entries = apr_array_make(pconf, 16, sizeof(ocspr_entry_t *));
    apr_pool_cleanup_register(pconf, e, engine_cleanup, apr_pool_cleanup_null);
    ocspr_module = e;
}

const char *ocspr_vhost_name(apr_pool_t *p, const server_rec *s)
{
    apr_port_t port = s->port;

    if (!port && s->addrs) {
        port = s->addrs->host_port;
    }
    return apr_psprintf(p, "%s:%u", s->server_hostname ? s->server_hostname : "*",
                        (unsigned)port);
}

const char *ocspr_entry_vhosts(apr_pool_t *p, const ocspr_entry_t *entry)
{
    return apr_array_pstrcat(p, entry->vhosts, ',');
}

ocspr_entry_t *ocspr_module_entry(ocspr_module_t *e, const char *id, apr_size_t id_len)
{
    if (!e || id_len != OCSPR_CERT_ID_LEN) {
        return NULL;
    }
    return apr_hash_get(e->by_id, id, OCSPR_CERT_ID_LEN);
}

int ocspr_module_was_primed(server_rec *s, const unsigned char id[OCSPR_CERT_ID_LEN])
{
    return ocspr_module && apr_hash_get(ocspr_module->primed, id, OCSPR_CERT_ID_LEN) != NULL;
}

static void add_vhost(ocspr_entry_t *entry, apr_pool_t *p, const server_rec *s)
{
    const char *name = ocspr_vhost_name(p, s);
    int i;

    for (i = 0; i < entry->vhosts->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(entry->vhosts, i, const char *), name)) {
            return;
        }
    }
    APR_ARRAY_PUSH(entry->vhosts, const char *) = name;
}

int ocspr_module_prime(server_rec *s, apr_pool_t *p, const char *id, apr_size_t id_len,
                       const char *pem)
{
    ocspr_module_t *e = ocspr_module;
    ocspr_entry_t *entry;
    apr_array_header_t *chain;
    apr_status_t rv;

    if (!e || id_len != OCSPR_CERT_ID_LEN) {
        return DECLINED;
    }
    if (!apr_hash_get(e->primed, id, OCSPR_CERT_ID_LEN)) {
        apr_hash_set(e->primed, apr_pmemdup(e->pool, id, id_len), OCSPR_CERT_ID_LEN, e);
    }
    if (!ocspr_conf_enabled(s)) {
        return DECLINED;
    }
    entry = apr_hash_get(e->by_id, id, OCSPR_CERT_ID_LEN);
    if (!entry) {
        rv = ocspr_chain_load_mem(&chain, NULL, e->pool, pem, strlen(pem));
        if (rv != APR_SUCCESS || chain->nelts < 2) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, OCSPR_T_PRIME_UNREADABLE ": mod_ssl primed "
                         "a certificate for %s without a readable certificate and issuer; "
                         "leaving it to mod_ssl", ocspr_vhost_name(p, s));
            return DECLINED;
        }
        entry = apr_pcalloc(e->pool, sizeof(*entry));
        memcpy(entry->id, id, OCSPR_CERT_ID_LEN);
        entry->id_hex = ocspr_hex(e->pool, entry->id, OCSPR_CERT_ID_LEN);
        entry->cert = APR_ARRAY_IDX(chain, 0, ocspr_cert_t *);
        entry->issuer = APR_ARRAY_IDX(chain, 1, ocspr_cert_t *);
        entry->must_staple = ocspr_cert_must_staple(entry->cert);
        entry->vhosts = apr_array_make(e->pool, 2, sizeof(const char *));
        entry->slot = e->entries->nelts;
        entry->url = ocspr_engine_responder(entry->cert, ocspr_conf_responder(s),
                                            &entry->not_applicable, e->pool);
        if (entry->url) {
            e->stapled++;
        }
        apr_hash_set(e->by_id, entry->id, OCSPR_CERT_ID_LEN, entry);
        APR_ARRAY_PUSH(e->entries, ocspr_entry_t *) = entry;
    }
    add_vhost(entry, e->pool, s);
    /* Declining leaves a certificate without a usable responder to mod_ssl,
     * which staples nothing for it unless its own stapling is on. */
    return entry->url ? OK : DECLINED;
}
