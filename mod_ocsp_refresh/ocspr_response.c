/* OCSP response validation: the only gate between a responder and a staple.
 *
 * Every check names what it expected and what it found, because the reason
 * ends up in the error log and on the status page, where an administrator
 * has to act on it without a debugger. */
#include <limits.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "ocspr_response.h"

#define DEFAULT_CLOCK_SKEW apr_time_from_sec(5 * 60)
/* A hostile response may carry thousands of SingleResponses: the CERTID
 * reason lists only this many serials. */
#define MAX_SERIALS_LISTED 8

static const char *const reject_names[OCSPR_REJECT_COUNT] = {
    [OCSPR_REJECT_NONE] = "none",
    [OCSPR_REJECT_EMPTY] = "empty",
    [OCSPR_REJECT_OVERSIZE] = "oversize",
    [OCSPR_REJECT_PARSE] = "parse",
    [OCSPR_REJECT_RESPONSE_STATUS] = "response_status",
    [OCSPR_REJECT_NOT_BASIC] = "not_basic",
    [OCSPR_REJECT_CERTID] = "certid",
    [OCSPR_REJECT_SIGNER_UNKNOWN] = "signer_unknown",
    [OCSPR_REJECT_SIGNER_NOT_ISSUED] = "signer_not_issued",
    [OCSPR_REJECT_SIGNER_NO_EKU] = "signer_no_eku",
    [OCSPR_REJECT_SIGNER_EXPIRED] = "signer_expired",
    [OCSPR_REJECT_SIGNATURE] = "signature",
    [OCSPR_REJECT_THIS_UPDATE_FUTURE] = "this_update_future",
    [OCSPR_REJECT_NO_NEXT_UPDATE] = "no_next_update",
    [OCSPR_REJECT_EXPIRED] = "expired",
    [OCSPR_REJECT_BAD_PERIOD] = "bad_period",
    [OCSPR_REJECT_CERTID_REPEATED] = "certid_repeated",
    [OCSPR_REJECT_PRODUCED_AT_FUTURE] = "produced_at_future",
    [OCSPR_REJECT_TOO_OLD] = "too_old",
};

const char *ocspr_reject_name(ocspr_reject_t reject)
{
    if ((int)reject < 0 || reject >= OCSPR_REJECT_COUNT) {
        return "unknown_reject";
    }
    return reject_names[reject];
}

const char *ocspr_cert_status_name(ocspr_cert_status_t status)
{
    switch (status) {
    case OCSPR_CERT_STATUS_NONE:    return "none";
    case OCSPR_CERT_STATUS_GOOD:    return "good";
    case OCSPR_CERT_STATUS_REVOKED: return "revoked";
    case OCSPR_CERT_STATUS_UNKNOWN: return "unknown";
    }
    return "none";
}

/* RFC 5280 CRLReason; 7 is not assigned. */
static const char *const revocation_reason_names[] = {
    "unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
    "superseded", "cessationOfOperation", "certificateHold", NULL,
    "removeFromCRL", "privilegeWithdrawn", "aACompromise",
};

const char *ocspr_revocation_reason_name(int reason)
{
    if (reason < 0 || (apr_size_t)reason >= sizeof(revocation_reason_names)
                                            / sizeof(revocation_reason_names[0])
        || revocation_reason_names[reason] == NULL) {
        return "unspecified";
    }
    return revocation_reason_names[reason];
}

/* RFC 6960 OCSPResponseStatus names as the RFC spells them (4 is unused). */
static const char *response_status_name(int status)
{
    switch (status) {
    case OCSP_RESPONSE_STATUS_SUCCESSFUL:       return "successful";
    case OCSP_RESPONSE_STATUS_MALFORMEDREQUEST: return "malformedRequest";
    case OCSP_RESPONSE_STATUS_INTERNALERROR:    return "internalError";
    case OCSP_RESPONSE_STATUS_TRYLATER:         return "tryLater";
    case OCSP_RESPONSE_STATUS_SIGREQUIRED:      return "sigRequired";
    case OCSP_RESPONSE_STATUS_UNAUTHORIZED:     return "unauthorized";
    }
    return "unassigned";
}

static apr_status_t reject(ocspr_response_info_t *info, ocspr_reject_t why, const char *reason)
{
    info->reject = why;
    info->reason = reason;
    return OCSPR_EINVALID;
}

static const char *name_rfc2253(apr_pool_t *p, const X509_NAME *name)
{
    BIO *bio = BIO_new(BIO_s_mem());
    const char *text = "(unprintable name)";
    char *data;
    long len;

    if (bio != NULL && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        len = BIO_get_mem_data(bio, &data);
        text = len > 0 ? apr_pstrmemdup(p, data, (apr_size_t)len) : "";
    }
    BIO_free(bio);
    return text;
}

static const char *hex_upper(apr_pool_t *p, const unsigned char *data, apr_size_t len)
{
    char *hex = apr_pstrdup(p, ocspr_hex(p, data, len));
    char *c;

    for (c = hex; *c; c++) {
        *c = apr_toupper(*c);
    }
    return hex;
}

static const char *serial_hex(apr_pool_t *p, const ASN1_INTEGER *serial)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
    char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
    const char *text = hex != NULL ? apr_pstrdup(p, hex) : "(unreadable)";

    OPENSSL_free(hex);
    BN_free(bn);
    return text;
}

static const char *responder_id_text(apr_pool_t *p, const OCSP_BASICRESP *bs)
{
    const ASN1_OCTET_STRING *key_hash = NULL;
    const X509_NAME *name = NULL;

    if (!OCSP_resp_get0_id(bs, &key_hash, &name)) {
        return "(none)";
    }
    if (name != NULL) {
        return apr_pstrcat(p, "byName: ", name_rfc2253(p, name), NULL);
    }
    return apr_pstrcat(p, "byKey: ",
                       hex_upper(p, ASN1_STRING_get0_data(key_hash),
                                 (apr_size_t)ASN1_STRING_length(key_hash)), NULL);
}

static const char *cert_subject(apr_pool_t *p, X509 *x)
{
    return name_rfc2253(p, X509_get_subject_name(x));
}

/* The hash algorithm of a CertID as people write it ("SHA-1", "SHA-256"),
 * or its OID text for anything else. */
static const char *certid_hash_name(apr_pool_t *p, const ASN1_OBJECT *alg)
{
    char text[80];

    switch (OBJ_obj2nid(alg)) {
    case NID_sha1:   return "SHA-1";
    case NID_sha224: return "SHA-224";
    case NID_sha256: return "SHA-256";
    case NID_sha384: return "SHA-384";
    case NID_sha512: return "SHA-512";
    case NID_md5:    return "MD5";
    }
    if (alg == NULL || OBJ_obj2txt(text, sizeof(text), alg, 1) <= 0) {
        return "(unreadable algorithm)";
    }
    return apr_pstrdup(p, text);
}

/* What the SingleResponses of a response say about our certificate. Our
 * request's CertID is SHA-1; a SingleResponse under another hash algorithm
 * is about our certificate too when that algorithm's CertID of our
 * certificate matches it, and a client may read it. */
typedef struct {
    int ours;               /* index of the first SingleResponse for our SHA-1 CertID, or -1 */
    int answers;            /* SingleResponses for our certificate, any hash algorithm */
    int statuses_differ;    /* they do not all give the same certStatus */
    const char *listed;     /* "good (SHA-1), revoked (SHA-256)": the first few answers */
    const char *other_hash; /* hash algorithm of an answer that is not SHA-1, or NULL */
    int other_issuer;       /* our serial under SHA-1, but another issuer's hashes */
} certid_scan_t;

/* Is cid our certificate under its own (non SHA-1) hash algorithm? */
static int is_ours_under_other_hash(const OCSP_CERTID *cid, const ASN1_OBJECT *alg, X509 *leaf,
                                    X509 *issuer)
{
    const EVP_MD *md = EVP_get_digestbyobj(alg);
    OCSP_CERTID *id = md != NULL ? OCSP_cert_to_id(md, leaf, issuer) : NULL;
    int same = id != NULL && OCSP_id_cmp(cid, id) == 0;

    OCSP_CERTID_free(id);
    return same;
}

static void note_answer(certid_scan_t *scan, apr_pool_t *p, OCSP_SINGLERESP *single,
                        const char *hash, int *first_status)
{
    int status = OCSP_single_get0_status(single, NULL, NULL, NULL, NULL);
    const char *name = status == V_OCSP_CERTSTATUS_GOOD ? "good"
                       : status == V_OCSP_CERTSTATUS_REVOKED ? "revoked"
                       : status == V_OCSP_CERTSTATUS_UNKNOWN ? "unknown" : "unreadable";

    if (scan->answers == 0) {
        *first_status = status;
    }
    else if (status != *first_status) {
        scan->statuses_differ = 1;
    }
    if (scan->answers < MAX_SERIALS_LISTED) {
        scan->listed = apr_psprintf(p, "%s%s%s (%s)", scan->listed, scan->answers ? ", " : "",
                                    name, hash);
    }
    scan->answers++;
}

static void scan_certids(certid_scan_t *scan, apr_pool_t *p, OCSP_BASICRESP *bs,
                         const OCSP_CERTID *sha1_id, X509 *leaf, X509 *issuer)
{
    const ASN1_INTEGER *our_serial = X509_get0_serialNumber(leaf);
    int count = OCSP_resp_count(bs);
    int first_status = -1;
    int i;

    memset(scan, 0, sizeof(*scan));
    scan->ours = -1;
    scan->listed = "";
    for (i = 0; i < count; i++) {
        OCSP_SINGLERESP *single = OCSP_resp_get0(bs, i);
        const OCSP_CERTID *cid = OCSP_SINGLERESP_get0_id(single);
        ASN1_OBJECT *alg = NULL;
        ASN1_INTEGER *serial = NULL;

        if (cid == NULL) {
            continue;
        }
        if (OCSP_id_cmp(cid, sha1_id) == 0) {
            scan->ours = scan->ours < 0 ? i : scan->ours;
            note_answer(scan, p, single, "SHA-1", &first_status);
            continue;
        }
        /* Only a SingleResponse with our serial can be about our certificate. */
        if (!OCSP_id_get0_info(NULL, &alg, NULL, &serial, (OCSP_CERTID *)cid)
            || ASN1_INTEGER_cmp(serial, our_serial) != 0) {
            continue;
        }
        if (OBJ_obj2nid(alg) == NID_sha1) {
            scan->other_issuer = 1;
        }
        else if (is_ours_under_other_hash(cid, alg, leaf, issuer)) {
            scan->other_hash = certid_hash_name(p, alg);
            note_answer(scan, p, single, scan->other_hash, &first_status);
        }
    }
}

/* The serials a response covers, with the hash algorithm when it is not
 * SHA-1, so a response for the wrong certificate (or CA) is obvious. */
static const char *covered_serials(apr_pool_t *p, OCSP_BASICRESP *bs)
{
    const char *present = "";
    int count = OCSP_resp_count(bs);
    int i;

    if (count <= 0) {
        return "no certificate";
    }
    for (i = 0; i < count && i < MAX_SERIALS_LISTED; i++) {
        ASN1_OBJECT *alg = NULL;
        ASN1_INTEGER *serial = NULL;
        const OCSP_CERTID *cid = OCSP_SINGLERESP_get0_id(OCSP_resp_get0(bs, i));

        if (cid != NULL && OCSP_id_get0_info(NULL, &alg, NULL, &serial, (OCSP_CERTID *)cid)) {
            present = apr_pstrcat(p, present, i ? ", " : "", serial_hex(p, serial),
                                  OBJ_obj2nid(alg) == NID_sha1 ? "" : apr_pstrcat(p, " (",
                                  certid_hash_name(p, alg), ")", NULL), NULL);
        }
    }
    if (count > MAX_SERIALS_LISTED) {
        present = apr_psprintf(p, "%s and %d more", present, count - MAX_SERIALS_LISTED);
    }
    return apr_pstrcat(p, "serial(s) ", present, NULL);
}

/* Exactly one SingleResponse may answer for our certificate, and it must be
 * under the SHA-1 CertID we ask with: a response that also says something
 * else about it (even the same thing twice) is stapled whole, and a client
 * may read the other answer. On success *pidx is our SingleResponse. */
static apr_status_t check_certid(ocspr_response_info_t *info, apr_pool_t *p, int *pidx,
                                 OCSP_BASICRESP *bs, const OCSP_CERTID *sha1_id, X509 *leaf,
                                 X509 *issuer)
{
    const char *serial = serial_hex(p, X509_get0_serialNumber(leaf));
    certid_scan_t scan;

    scan_certids(&scan, p, bs, sha1_id, leaf, issuer);
    if (scan.answers > 1) {
        return reject(info, OCSPR_REJECT_CERTID_REPEATED, apr_psprintf(p,
            "the response answers for our certificate (serial %s) %d times%s: %s%s; exactly"
            " one answer is allowed", serial, scan.answers,
            scan.statuses_differ ? ", with conflicting statuses" : "", scan.listed,
            scan.answers > MAX_SERIALS_LISTED ? ", ..." : ""));
    }
    if (scan.ours < 0 && scan.other_hash != NULL) {
        return reject(info, OCSPR_REJECT_CERTID, apr_psprintf(p,
            "the response answers a %s CertID for serial %s; we asked with SHA-1 and a"
            " responder must answer with the request's CertID", scan.other_hash, serial));
    }
    if (scan.ours < 0) {
        return reject(info, OCSPR_REJECT_CERTID, apr_psprintf(p,
            "no SingleResponse for our SHA-1 CertID (serial %s, issuer \"%s\"); the response"
            " covers %s%s", serial, name_rfc2253(p, X509_get_subject_name(issuer)),
            covered_serials(p, bs), scan.other_issuer ? "; our serial appears under another"
            " issuer's name and key hashes (a response about another CA's certificate)" : ""));
    }
    *pidx = scan.ours;
    return APR_SUCCESS;
}

/* A reissued CA certificate (other serial or validity, same name and key)
 * is still the issuer; the same name with another key never is. */
static int same_identity(X509 *a, X509 *b)
{
    if (X509_cmp(a, b) == 0) {
        return 1;
    }
    return X509_NAME_cmp(X509_get_subject_name(a), X509_get_subject_name(b)) == 0
           && EVP_PKEY_eq(X509_get0_pubkey(a), X509_get0_pubkey(b)) == 1;
}

/* ocspr_cert_issued_by on a bare X509 that the response owns: wrapped in a
 * scratch pool so the extra reference is dropped before we return. */
static int signer_issued_by(apr_pool_t *p, X509 *signer, const ocspr_cert_t *issuer)
{
    apr_pool_t *scratch;
    int issued;

    if (apr_pool_create(&scratch, p) != APR_SUCCESS) {
        return 0;
    }
    issued = X509_up_ref(signer) && ocspr_cert_issued_by(ocspr_cert_wrap(scratch, signer), issuer);
    apr_pool_destroy(scratch);
    return issued;
}

/* RFC 6960 4.2.2.2: the issuer itself, or a certificate the issuer issued
 * with id-kp-OCSPSigning. X509_get_extended_key_usage() answers "anything"
 * for a certificate without the extension, hence the explicit flag test. */
/* A delegated responder certificate is only as good as its validity: a CA
 * may let an old responder key expire while its responses float around. */
static int signer_valid_at(X509 *signer, apr_time_t now, apr_interval_time_t skew)
{
    apr_time_t not_before, not_after;

    return ocspr_asn1_time_get(&not_before, X509_get0_notBefore(signer)) == APR_SUCCESS
           && ocspr_asn1_time_get(&not_after, X509_get0_notAfter(signer)) == APR_SUCCESS
           && not_before <= now + skew && now < not_after;
}

static const char *asn1_text(apr_pool_t *p, const ASN1_TIME *t)
{
    apr_time_t at;

    return ocspr_asn1_time_get(&at, t) == APR_SUCCESS ? ocspr_time_rfc3339(p, at) : "(unreadable)";
}

static apr_status_t check_signer(ocspr_response_info_t *info, apr_pool_t *p, X509 *signer,
                                 const ocspr_cert_t *issuer_cert, apr_time_t now,
                                 apr_interval_time_t skew)
{
    X509 *issuer = ocspr_cert_x509(issuer_cert);

    if (same_identity(signer, issuer)) {
        info->delegated = 0;
        return APR_SUCCESS;
    }
    if (!signer_issued_by(p, signer, issuer_cert)) {
        int impostor = X509_NAME_cmp(X509_get_subject_name(signer),
                                     X509_get_subject_name(issuer)) == 0;

        return reject(info, OCSPR_REJECT_SIGNER_NOT_ISSUED, apr_psprintf(p,
            "responder certificate \"%s\" (issued by \"%s\") is neither the issuer \"%s\""
            " nor a certificate issued and signed by it%s",
            cert_subject(p, signer), name_rfc2253(p, X509_get_issuer_name(signer)),
            cert_subject(p, issuer),
            impostor ? "; it has the issuer's name but another public key" : ""));
    }
    if (!(X509_get_extension_flags(signer) & EXFLAG_XKUSAGE)
        || !(X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN)) {
        return reject(info, OCSPR_REJECT_SIGNER_NO_EKU, apr_psprintf(p,
            "delegated responder certificate \"%s\" lacks the id-kp-OCSPSigning extended"
            " key usage", cert_subject(p, signer)));
    }
    if (!signer_valid_at(signer, now, skew)) {
        return reject(info, OCSPR_REJECT_SIGNER_EXPIRED, apr_psprintf(p,
            "delegated responder certificate \"%s\" is not valid at %s (it is valid from %s"
            " to %s)", cert_subject(p, signer), ocspr_time_rfc3339(p, now),
            asn1_text(p, X509_get0_notBefore(signer)), asn1_text(p, X509_get0_notAfter(signer))));
    }
    info->delegated = 1;
    return APR_SUCCESS;
}

static apr_status_t check_signature(ocspr_response_info_t *info, apr_pool_t *p,
                                    OCSP_BASICRESP *bs, X509 *signer)
{
    STACK_OF(X509) *only_signer = sk_X509_new_null();
    int ok;

    if (only_signer == NULL || !sk_X509_push(only_signer, signer)) {
        sk_X509_free(only_signer);
        return APR_ENOMEM;
    }
    /* No store and OCSP_NOVERIFY: the signer's authority was settled above
     * against the issuer alone, never against the system trust store. */
    ok = OCSP_basic_verify(bs, only_signer, NULL,
                           OCSP_NOINTERN | OCSP_NOVERIFY | OCSP_NOCHECKS);
    sk_X509_free(only_signer);
    if (ok <= 0) {
        return reject(info, OCSPR_REJECT_SIGNATURE, apr_psprintf(p,
            "the signature over ResponseData does not verify with the public key of"
            " \"%s\"", cert_subject(p, signer)));
    }
    return APR_SUCCESS;
}

static apr_status_t check_times(ocspr_response_info_t *info, apr_pool_t *p,
                                ASN1_GENERALIZEDTIME *this_update,
                                ASN1_GENERALIZEDTIME *next_update, apr_time_t now,
                                apr_interval_time_t skew, apr_interval_time_t max_age)
{
    apr_time_t this_t, next_t;

    if (ocspr_asn1_time_get(&this_t, this_update) != APR_SUCCESS) {
        return reject(info, OCSPR_REJECT_PARSE, "thisUpdate is not a valid GeneralizedTime");
    }
    if (this_t > now + skew) {
        return reject(info, OCSPR_REJECT_THIS_UPDATE_FUTURE, apr_psprintf(p,
            "thisUpdate %s is later than now %s plus the tolerated clock skew of %"
            APR_TIME_T_FMT " s", ocspr_time_rfc3339(p, this_t), ocspr_time_rfc3339(p, now), apr_time_sec(skew)));
    }
    if (next_update == NULL) {
        return reject(info, OCSPR_REJECT_NO_NEXT_UPDATE, apr_psprintf(p,
            "nextUpdate is absent (thisUpdate %s): the staple would have no end of validity",
            ocspr_time_rfc3339(p, this_t)));
    }
    if (ocspr_asn1_time_get(&next_t, next_update) != APR_SUCCESS) {
        return reject(info, OCSPR_REJECT_PARSE, "nextUpdate is not a valid GeneralizedTime");
    }
    if (next_t <= this_t) {
        return reject(info, OCSPR_REJECT_BAD_PERIOD, apr_psprintf(p,
            "nextUpdate %s is not after thisUpdate %s", ocspr_time_rfc3339(p, next_t), ocspr_time_rfc3339(p, this_t)));
    }
    if (next_t <= now) {
        return reject(info, OCSPR_REJECT_EXPIRED, apr_psprintf(p,
            "nextUpdate %s is not after now %s (thisUpdate %s)",
            ocspr_time_rfc3339(p, next_t), ocspr_time_rfc3339(p, now), ocspr_time_rfc3339(p, this_t)));
    }
    if (max_age > 0 && now - this_t > max_age) {
        return reject(info, OCSPR_REJECT_TOO_OLD, apr_psprintf(p,
            "thisUpdate %s is %" APR_TIME_T_FMT " s old at %s, more than the configured"
            " maximum age (OCSPRefreshMaxAge) of %" APR_TIME_T_FMT " s",
            ocspr_time_rfc3339(p, this_t), apr_time_sec(now - this_t), ocspr_time_rfc3339(p, now),
            apr_time_sec(max_age)));
    }
    info->this_update = this_t;
    info->next_update = next_t;
    return APR_SUCCESS;
}

/* A responder signs producedAt with its own clock: a time beyond our skew
 * means a broken responder clock or a response made to be replayed later. */
static apr_status_t check_produced_at(ocspr_response_info_t *info, apr_pool_t *p,
                                      const OCSP_BASICRESP *bs, apr_time_t now,
                                      apr_interval_time_t skew)
{
    apr_time_t produced_at;

    if (ocspr_asn1_time_get(&produced_at, OCSP_resp_get0_produced_at(bs)) != APR_SUCCESS) {
        return reject(info, OCSPR_REJECT_PARSE, "producedAt is not a valid GeneralizedTime");
    }
    if (produced_at > now + skew) {
        return reject(info, OCSPR_REJECT_PRODUCED_AT_FUTURE, apr_psprintf(p,
            "producedAt %s is later than now %s plus the tolerated clock skew of %"
            APR_TIME_T_FMT " s", ocspr_time_rfc3339(p, produced_at), ocspr_time_rfc3339(p, now),
            apr_time_sec(skew)));
    }
    info->produced_at = produced_at;
    return APR_SUCCESS;
}

static void info_reset(ocspr_response_info_t *info)
{
    memset(info, 0, sizeof(*info));
    info->reject = OCSPR_REJECT_NONE;
    info->response_status = -1;
    info->cert_status = OCSPR_CERT_STATUS_NONE;
    info->revocation_reason = -1;
}

static apr_status_t record_status(ocspr_response_info_t *info, int status, int reason,
                                  ASN1_GENERALIZEDTIME *revoked_at)
{
    switch (status) {
    case V_OCSP_CERTSTATUS_GOOD:
        info->cert_status = OCSPR_CERT_STATUS_GOOD;
        return APR_SUCCESS;
    case V_OCSP_CERTSTATUS_UNKNOWN:
        info->cert_status = OCSPR_CERT_STATUS_UNKNOWN;
        return APR_SUCCESS;
    case V_OCSP_CERTSTATUS_REVOKED:
        if (ocspr_asn1_time_get(&info->revoked_at, revoked_at) != APR_SUCCESS) {
            return reject(info, OCSPR_REJECT_PARSE, "revocationTime is not a valid GeneralizedTime");
        }
        info->cert_status = OCSPR_CERT_STATUS_REVOKED;
        info->revocation_reason = reason >= 0 ? reason : -1;
        return APR_SUCCESS;
    }
    return reject(info, OCSPR_REJECT_PARSE, "certStatus is none of good, revoked, unknown");
}

apr_status_t ocspr_response_validate(ocspr_response_info_t *info, apr_pool_t *p,
                                     const unsigned char *der, apr_size_t len,
                                     const ocspr_cert_t *cert, const ocspr_cert_t *issuer,
                                     const ocspr_validate_opts_t *opts)
{
    static const ocspr_validate_opts_t default_opts = { 0, -1, 0, 0 };
    apr_size_t max_size;
    const unsigned char *cursor = der;
    OCSP_RESPONSE *resp = NULL;
    OCSP_BASICRESP *bs = NULL;
    OCSP_CERTID *id = NULL;
    STACK_OF(X509) *issuer_only = NULL;
    X509 *leaf_x, *issuer_x, *signer = NULL;
    ASN1_GENERALIZEDTIME *revoked_at, *this_update, *next_update;
    apr_time_t now;
    apr_interval_time_t skew;
    int idx, status, reason;
    apr_status_t rv;

    if (info == NULL || p == NULL || cert == NULL || issuer == NULL
        || (der == NULL && len > 0)) {
        return APR_EINVAL;
    }
    info_reset(info);
    opts = opts != NULL ? opts : &default_opts;
    max_size = opts->max_size ? opts->max_size : OCSPR_RESPONSE_MAX_SIZE;
    now = opts->now ? opts->now : apr_time_now();
    skew = opts->clock_skew < 0 ? DEFAULT_CLOCK_SKEW : opts->clock_skew;
    leaf_x = ocspr_cert_x509(cert);
    issuer_x = ocspr_cert_x509(issuer);
    if (leaf_x == NULL || issuer_x == NULL) {
        return APR_EINVAL;
    }

    if (len == 0) {
        return reject(info, OCSPR_REJECT_EMPTY, "the response is empty (0 bytes)");
    }
    if (len > max_size || len > (apr_size_t)LONG_MAX) {
        return reject(info, OCSPR_REJECT_OVERSIZE, apr_psprintf(p,
            "the response has %" APR_SIZE_T_FMT " bytes, more than the limit of %"
            APR_SIZE_T_FMT, len, max_size));
    }

    /* Only errors raised from here on are ours to discard. */
    ERR_set_mark();
    resp = d2i_OCSP_RESPONSE(NULL, &cursor, (long)len);
    if (resp == NULL) {
        rv = reject(info, OCSPR_REJECT_PARSE, apr_psprintf(p,
            "%" APR_SIZE_T_FMT " bytes that are not a DER OCSPResponse", len));
        goto cleanup;
    }
    if ((apr_size_t)(cursor - der) != len) {
        rv = reject(info, OCSPR_REJECT_PARSE, apr_psprintf(p,
            "%" APR_SIZE_T_FMT " trailing bytes after the %" APR_SIZE_T_FMT
            "-byte OCSPResponse", len - (apr_size_t)(cursor - der), (apr_size_t)(cursor - der)));
        goto cleanup;
    }

    info->response_status = OCSP_response_status(resp);
    if (info->response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        rv = reject(info, OCSPR_REJECT_RESPONSE_STATUS, apr_psprintf(p,
            "responseStatus is %s (%d), expected successful (0)",
            response_status_name(info->response_status), info->response_status));
        goto cleanup;
    }

    bs = OCSP_response_get1_basic(resp);
    if (bs == NULL) {
        rv = reject(info, OCSPR_REJECT_NOT_BASIC,
                    "successful response without a BasicOCSPResponse (id-pkix-ocsp-basic)");
        goto cleanup;
    }

    id = OCSP_cert_to_id(EVP_sha1(), leaf_x, issuer_x);
    if (id == NULL) {
        rv = APR_ENOMEM;
        goto cleanup;
    }
    rv = check_certid(info, p, &idx, bs, id, leaf_x, issuer_x);
    if (rv != APR_SUCCESS) {
        goto cleanup;
    }

    issuer_only = sk_X509_new_null();
    if (issuer_only == NULL || !sk_X509_push(issuer_only, issuer_x)) {
        rv = APR_ENOMEM;
        goto cleanup;
    }
    if (!OCSP_resp_get0_signer(bs, &signer, issuer_only) || signer == NULL) {
        rv = reject(info, OCSPR_REJECT_SIGNER_UNKNOWN, apr_psprintf(p,
            "responder %s matches neither the issuer \"%s\" nor a certificate in the response",
            responder_id_text(p, bs), cert_subject(p, issuer_x)));
        goto cleanup;
    }
    rv = check_signer(info, p, signer, issuer, now, skew);
    if (rv != APR_SUCCESS) {
        goto cleanup;
    }
    rv = check_signature(info, p, bs, signer);
    if (rv != APR_SUCCESS) {
        goto cleanup;
    }

    status = OCSP_single_get0_status(OCSP_resp_get0(bs, idx), &reason, &revoked_at,
                                     &this_update, &next_update);
    rv = check_times(info, p, this_update, next_update, now, skew, opts->max_age);
    if (rv != APR_SUCCESS) {
        goto cleanup;
    }
    rv = check_produced_at(info, p, bs, now, skew);
    if (rv != APR_SUCCESS) {
        goto cleanup;
    }
    rv = record_status(info, status, reason, revoked_at);
    if (rv != APR_SUCCESS) {
        goto cleanup;
    }
    info->responder_id = responder_id_text(p, bs);

cleanup:
    if (rv != APR_SUCCESS) {
        /* The caller sees one consistent verdict: nothing of a rejected
         * response survives but why it was rejected. */
        ocspr_reject_t why = info->reject;
        const char *reason_text = info->reason;
        int response_status = info->response_status;

        info_reset(info);
        info->reject = why;
        info->reason = reason_text;
        info->response_status = response_status;
    }
    ERR_pop_to_mark();
    sk_X509_free(issuer_only);
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    return rv;
}
