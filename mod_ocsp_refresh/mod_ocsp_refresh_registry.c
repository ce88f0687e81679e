/* The certificates mod_ssl primes: recorded by the prime hook, no I/O. */
#include <apr_strings.h>

#include "mod_ocsp_refresh_module.h"

ocspr_module_t *ocspr_module;

static apr_status_t module_cleanup(void *data)
{
    if (ocspr_module == data) {
        ocspr_module = NULL;
    }
    return APR_SUCCESS;
}

void ocspr_module_create(apr_pool_t *pconf)
{
    ocspr_module_t *m = apr_pcalloc(pconf, sizeof(*m));

    m->pool = pconf;
    m->reg = ocspr_registry_create(pconf);
    apr_pool_cleanup_register(pconf, m, module_cleanup, apr_pool_cleanup_null);
    ocspr_module = m;
}

int ocspr_module_was_primed(server_rec *s, const unsigned char id[OCSPR_CERT_ID_LEN])
{
    return ocspr_module && ocspr_registry_was_primed(ocspr_module->reg, id);
}

int ocspr_module_prime(server_rec *s, apr_pool_t *p, const char *id, apr_size_t id_len,
                       const char *pem)
{
    ocspr_module_t *m = ocspr_module;
    const char *vhost;
    ocspr_entry_t *entry;
    apr_status_t rv;

    if (!m || id_len != OCSPR_CERT_ID_LEN) {
        return DECLINED;
    }
    ocspr_registry_mark_primed(m->reg, (const unsigned char *)id);
    if (!ocspr_conf_enabled(ocspr_srv_conf(s))) {
        return DECLINED;
    }
    vhost = apr_psprintf(p, "%s:%u", s->server_hostname ? s->server_hostname : "*",
                         (unsigned)(s->port || !s->addrs ? s->port : s->addrs->host_port));
    rv = ocspr_registry_add(&entry, m->reg, (const unsigned char *)id, pem, vhost,
                            ocspr_srv_conf(s)->responder);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv == OCSPR_EINVALID ? 0 : rv, s,
                     OCSPR_T_PRIME_UNREADABLE ": mod_ssl primed a certificate for %s "
                     "without a readable certificate and issuer; leaving it to mod_ssl", vhost);
        return DECLINED;
    }
    /* Declining leaves a certificate without a usable responder to mod_ssl,
     * which staples nothing for it unless its own stapling is on. */
    return entry->url ? OK : DECLINED;
}
