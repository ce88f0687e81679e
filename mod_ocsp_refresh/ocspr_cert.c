/* Certificates and chains. */
#include <openssl/x509.h>

#include "ocspr_cert.h"

struct ocspr_cert_t {
    X509 *x509;
};

static apr_status_t cert_cleanup(void *data)
{
    ocspr_cert_t *cert = data;

    X509_free(cert->x509);
    cert->x509 = NULL;
    return APR_SUCCESS;
}

ocspr_cert_t *ocspr_cert_wrap(apr_pool_t *p, X509 *x)
{
    ocspr_cert_t *cert = apr_pcalloc(p, sizeof(*cert));

    cert->x509 = x;
    apr_pool_cleanup_register(p, cert, cert_cleanup, apr_pool_cleanup_null);
    return cert;
}

X509 *ocspr_cert_x509(const ocspr_cert_t *cert)
{
    return cert->x509;
}
