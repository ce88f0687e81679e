/* Certificates parsed without their public key (see ocspr_cert_lite.h). */
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "ocspr_cert_lite.h"

struct ocspr_cert_lite_ctx_t {
    OSSL_LIB_CTX *libctx;       /* NULL when it could not be made: full parses */
    OSSL_PROVIDER *null_provider;
};

struct ocspr_cert_lite_t {
    apr_pool_t *p;
    const ocspr_cert_t *view;
    const ocspr_cert_t *full;   /* == view when view is a full parse; NULL until needed */
    int full_failed;
    unsigned char id[OCSPR_CERT_ID_LEN];
};

static apr_status_t ctx_cleanup(void *data)
{
    ocspr_cert_lite_ctx_t *ctx = data;

    if (ctx->null_provider != NULL) {
        OSSL_PROVIDER_unload(ctx->null_provider);
    }
    OSSL_LIB_CTX_free(ctx->libctx);
    return APR_SUCCESS;
}

apr_status_t ocspr_cert_lite_ctx_create(ocspr_cert_lite_ctx_t **pctx, apr_pool_t *p)
{
    ocspr_cert_lite_ctx_t *ctx = apr_pcalloc(p, sizeof(*ctx));

    /* The null provider offers nothing; loading it also keeps OpenSSL from
     * loading the default provider into an empty context on first use.
     * Without the context, every parse is a full one: slower, same results. */
    ctx->libctx = OSSL_LIB_CTX_new();
    if (ctx->libctx != NULL
        && (ctx->null_provider = OSSL_PROVIDER_load(ctx->libctx, "null")) == NULL) {
        OSSL_LIB_CTX_free(ctx->libctx);
        ctx->libctx = NULL;
    }
    ERR_clear_error();
    apr_pool_cleanup_register(p, ctx, ctx_cleanup, apr_pool_cleanup_null);
    *pctx = ctx;
    return APR_SUCCESS;
}

/* One DER certificate, all of der, in libctx (NULL: the default one). */
static X509 *der_to_x509(OSSL_LIB_CTX *libctx, const unsigned char *der, long len)
{
    const unsigned char *cursor = der;
    X509 *x = (X509 *)ASN1_item_d2i_ex(NULL, &cursor, len, ASN1_ITEM_rptr(X509), libctx, NULL);

    if (x != NULL && cursor != der + len) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

static int self_issued(X509 *x)
{
    return X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
}

apr_status_t ocspr_cert_lite_parse(ocspr_cert_lite_t **pcert, ocspr_cert_lite_ctx_t *ctx,
                                   apr_pool_t *p, const unsigned char *der, apr_size_t len)
{
    ocspr_cert_lite_t *cert;
    X509 *x;
    int full;

    *pcert = NULL;
    if (len == 0 || len > OCSPR_CERT_FILE_MAX) {
        return OCSPR_EINVALID;
    }
    ERR_set_mark();
    x = der_to_x509(ctx->libctx, der, (long)len);
    full = ctx->libctx == NULL;
    if (x != NULL && !full && self_issued(x)) {
        X509_free(x);
        x = der_to_x509(NULL, der, (long)len);
        full = 1;
    }
    if (x != NULL) {
        /* Caches the extensions and the SHA-1 (X509_check_ca, key ids and
         * the id below read them): hashed once, not once per question. */
        X509_check_purpose(x, -1, 0);
    }
    ERR_pop_to_mark();
    if (x == NULL) {
        return OCSPR_EINVALID;
    }
    cert = apr_pcalloc(p, sizeof(*cert));
    cert->p = p;
    cert->view = ocspr_cert_wrap(p, x);
    cert->full = full ? cert->view : NULL;
    if (ocspr_cert_id(cert->id, cert->view) != APR_SUCCESS) {
        /* Not seen with OpenSSL 3.0; should a version need the key for
         * it, the full parse serves as the view. */
        if (full || (cert->view = ocspr_cert_lite_full(cert)) == NULL
            || ocspr_cert_id(cert->id, cert->view) != APR_SUCCESS) {
            return OCSPR_EINVALID;
        }
    }
    *pcert = cert;
    return APR_SUCCESS;
}

ocspr_cert_lite_t *ocspr_cert_lite_of(apr_pool_t *p, const ocspr_cert_t *full)
{
    ocspr_cert_lite_t *cert = apr_pcalloc(p, sizeof(*cert));

    cert->p = p;
    cert->view = cert->full = full;
    ocspr_cert_id(cert->id, full);
    return cert;
}

const ocspr_cert_t *ocspr_cert_lite_view(const ocspr_cert_lite_t *cert)
{
    return cert->view;
}

X509 *ocspr_cert_lite_x509(const ocspr_cert_lite_t *cert)
{
    return ocspr_cert_x509(cert->view);
}

const unsigned char *ocspr_cert_lite_id(const ocspr_cert_lite_t *cert)
{
    return cert->id;
}

const ocspr_cert_t *ocspr_cert_lite_full(const ocspr_cert_lite_t *cert)
{
    /* A cache behind a const handle: the certificate it stands for does not change. */
    ocspr_cert_lite_t *mutable = (ocspr_cert_lite_t *)cert;
    unsigned char *der = NULL;
    int len;
    X509 *x = NULL;

    if (cert->full != NULL || cert->full_failed) {
        return cert->full;
    }
    /* The key-less parse keeps the TBSCertificate as read (OpenSSL caches
     * its encoding), so this is the certificate read from the file. */
    ERR_set_mark();
    len = i2d_X509(ocspr_cert_x509(cert->view), &der);
    if (len > 0) {
        x = der_to_x509(NULL, der, len);
    }
    OPENSSL_free(der);
    ERR_pop_to_mark();
    if (x == NULL) {
        mutable->full_failed = 1;
        return NULL;
    }
    mutable->full = ocspr_cert_wrap(cert->p, x);
    return cert->full;
}

int ocspr_cert_lite_check_issued(const ocspr_cert_lite_t *issuer, const ocspr_cert_lite_t *subject)
{
    X509 *subject_x = ocspr_cert_x509(subject->view);
    const ocspr_cert_t *full;
    int rc;

    /* As X509_check_issued: the names first; the issuer's key only matters
     * (its type must fit the signature algorithm) once they match. */
    if (X509_NAME_cmp(X509_get_subject_name(ocspr_cert_x509(issuer->view)),
                      X509_get_issuer_name(subject_x)) != 0) {
        return X509_V_ERR_SUBJECT_ISSUER_MISMATCH;
    }
    if ((full = ocspr_cert_lite_full(issuer)) == NULL) {
        return X509_V_ERR_UNSPECIFIED;
    }
    rc = X509_check_issued(ocspr_cert_x509(full), subject_x);
    ERR_clear_error();
    return rc;
}

int ocspr_cert_lite_issued_by(const ocspr_cert_lite_t *cert, const ocspr_cert_lite_t *issuer)
{
    const ocspr_cert_t *cert_full = ocspr_cert_lite_full(cert);
    const ocspr_cert_t *issuer_full = ocspr_cert_lite_full(issuer);

    return cert_full != NULL && issuer_full != NULL && ocspr_cert_issued_by(cert_full, issuer_full);
}
