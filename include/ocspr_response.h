/* OCSP response validation: the only gate between a responder and a staple. */
#ifndef OCSPR_RESPONSE_H
#define OCSPR_RESPONSE_H

#include "ocspr_cert.h"

typedef enum {
    OCSPR_CERT_STATUS_NONE = 0,   /* no valid response */
    OCSPR_CERT_STATUS_GOOD,
    OCSPR_CERT_STATUS_REVOKED,
    OCSPR_CERT_STATUS_UNKNOWN
} ocspr_cert_status_t;

/* Why a response was rejected. Names (ocspr_reject_name) are stable. */
typedef enum {
    OCSPR_REJECT_NONE = 0,
    OCSPR_REJECT_EMPTY,             /* zero bytes */
    OCSPR_REJECT_OVERSIZE,          /* over opts->max_size */
    OCSPR_REJECT_PARSE,             /* not a DER OCSPResponse */
    OCSPR_REJECT_RESPONSE_STATUS,   /* responseStatus != successful (tryLater, ...) */
    OCSPR_REJECT_NOT_BASIC,         /* no BasicOCSPResponse inside */
    OCSPR_REJECT_CERTID,            /* no SingleResponse for our CertID */
    OCSPR_REJECT_SIGNER_UNKNOWN,    /* signer is neither the issuer nor a certificate in the response */
    OCSPR_REJECT_SIGNER_NOT_ISSUED, /* delegated responder not issued by the issuer */
    OCSPR_REJECT_SIGNER_NO_EKU,     /* delegated responder lacks id-kp-OCSPSigning */
    OCSPR_REJECT_SIGNER_EXPIRED,    /* delegated responder certificate outside its validity */
    OCSPR_REJECT_SIGNATURE,         /* signature does not verify */
    OCSPR_REJECT_THIS_UPDATE_FUTURE,/* thisUpdate later than now + skew */
    OCSPR_REJECT_NO_NEXT_UPDATE,    /* nextUpdate absent: cannot bound the staple */
    OCSPR_REJECT_EXPIRED,           /* nextUpdate not after now */
    OCSPR_REJECT_BAD_PERIOD,        /* nextUpdate not after thisUpdate */
    OCSPR_REJECT_CERTID_REPEATED,   /* more than one SingleResponse for our CertID */
    OCSPR_REJECT_PRODUCED_AT_FUTURE,/* producedAt later than now + skew */
    OCSPR_REJECT_TOO_OLD,           /* thisUpdate older than opts->max_age */
    OCSPR_REJECT_COUNT
} ocspr_reject_t;

const char *ocspr_reject_name(ocspr_reject_t reject);            /* "signature", ... */
const char *ocspr_cert_status_name(ocspr_cert_status_t status);  /* "good", "revoked", ... */

typedef struct {
    apr_size_t max_size;            /* 0: OCSPR_RESPONSE_MAX_SIZE */
    apr_interval_time_t clock_skew; /* tolerated for thisUpdate in the future; default 5 min if negative */
    apr_time_t now;                 /* 0: apr_time_now() */
    apr_interval_time_t max_age;    /* 0: no limit; else reject a response whose thisUpdate
                                       is older than now - max_age (the age mod_ssl's
                                       SSLStaplingResponseMaxAge bounds) */
} ocspr_validate_opts_t;

typedef struct {
    ocspr_reject_t reject;          /* NONE when valid */
    const char *reason;             /* human-readable detail when rejected; NULL when valid */
    int response_status;            /* OCSPResponseStatus (0 successful, 3 tryLater, ...) or -1 */
    ocspr_cert_status_t cert_status;
    apr_time_t this_update;
    apr_time_t next_update;
    apr_time_t produced_at;
    apr_time_t revoked_at;          /* 0 unless revoked */
    int revocation_reason;          /* CRLReason, -1 when none given */
    const char *responder_id;       /* "byName: CN=..." or "byKey: HEX" */
    int delegated;                  /* signed by a delegated responder certificate */
} ocspr_response_info_t;

/* Validate DER as a response for cert issued by issuer. APR_SUCCESS when it
 * may be stapled (good, revoked or unknown status), OCSPR_EINVALID with
 * info->reject and info->reason set otherwise. Never uses the system trust
 * store: the only trust anchor is the issuer. */
apr_status_t ocspr_response_validate(ocspr_response_info_t *info, apr_pool_t *p,
                                     const unsigned char *der, apr_size_t len,
                                     const ocspr_cert_t *cert, const ocspr_cert_t *issuer,
                                     const ocspr_validate_opts_t *opts);

/* Revocation reason name ("keyCompromise", ...) or "unspecified". */
const char *ocspr_revocation_reason_name(int reason);

#endif /* OCSPR_RESPONSE_H */
