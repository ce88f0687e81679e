/* The socache record: a small versioned header followed by the DER response.
 * Decoding is strictly bounds-checked and allocation-free, because it runs
 * in every handshake.
 *
 * Header (OCSPR_RECORD_HDR_LEN bytes, integers big-endian, times in APR
 * microseconds since the epoch as signed 64-bit):
 *   0  magic (4)        OCSPR_RECORD_MAGIC
 *   4  version (1)      OCSPR_RECORD_VERSION
 *   5  cert_status (1)  good, revoked or unknown
 *   6  reserved (2)     zero
 *   8  cert id (20)     the certificate the response is for (OCSPR_CERT_ID_LEN)
 *  28  fetched (8)
 *  36  this_update (8)
 *  44  next_update (8)
 *  52  der_len (4)      1..OCSPR_RECORD_MAX_DER, header + der_len == record length
 *  56  reserved (4)     zero
 *  60  DER response
 * The id in the value, not only in the key, is what lets a reader refuse a
 * record stored under the wrong key (a fleet peer's bug, a hostile cache).
 * A decoder never accepts a record it would not encode, and vice versa. */
#ifndef OCSPR_RECORD_H
#define OCSPR_RECORD_H

#include "ocspr_cert.h"

#define OCSPR_RECORD_MAGIC    0x4F435352u  /* "OCSR" */
#define OCSPR_RECORD_VERSION  2
#define OCSPR_RECORD_HDR_LEN  60
/* The body cap is the one every other reader of responses applies. */
#define OCSPR_RECORD_MAX_DER  OCSPR_RESPONSE_MAX_SIZE
/* The largest record: a buffer of this size holds any record we accept. */
#define OCSPR_RECORD_MAX_LEN  (OCSPR_RECORD_HDR_LEN + OCSPR_RECORD_MAX_DER)

/* socache key: the raw certificate id FIRST, then a fixed tag. httpd's shmcb
 * picks the sub-cache from the key's first byte (SHMCB_MASK: first byte &
 * (subcaches - 1)), so a key with a common prefix would put every
 * certificate into one sub-cache and evict most of them. The tag keeps our
 * entries apart from other data in a shared memcache/redis and names the
 * record version, so old and new servers never read each other's values. */
#define OCSPR_RECORD_KEY_TAG      ":ocspr2"
#define OCSPR_RECORD_KEY_TAG_LEN  7
#define OCSPR_RECORD_KEY_LEN      (OCSPR_CERT_ID_LEN + OCSPR_RECORD_KEY_TAG_LEN)

typedef struct {
    unsigned char id[OCSPR_CERT_ID_LEN];  /* certificate id (SHA-1 of its DER) */
    int cert_status;                  /* ocspr_cert_status_t */
    apr_time_t fetched;               /* when we obtained it */
    apr_time_t this_update;
    apr_time_t next_update;
    const unsigned char *der;         /* points into the encoded buffer after decode */
    apr_size_t der_len;
} ocspr_record_t;

/* The socache key for a certificate id: raw id bytes + tag (binary, not
 * NUL-terminated, OCSPR_RECORD_KEY_LEN bytes). */
void ocspr_record_key(unsigned char key[OCSPR_RECORD_KEY_LEN],
                      const unsigned char id[OCSPR_CERT_ID_LEN]);

/* Bytes needed to encode rec, or 0 when rec cannot be encoded (see below). */
apr_size_t ocspr_record_encoded_len(const ocspr_record_t *rec);

/* Encode rec (its id included) into buf (buflen >= ocspr_record_encoded_len).
 * APR_EINVAL when rec is not encodable: der NULL, der_len 0 or over
 * OCSPR_RECORD_MAX_DER, a cert_status other than good/revoked/unknown, a
 * negative time or next_update <= this_update. Otherwise OCSPR_ETOOSMALL
 * when buflen is short (nothing written). *pwritten may be NULL. */
apr_status_t ocspr_record_encode(unsigned char *buf, apr_size_t buflen, apr_size_t *pwritten,
                                 const ocspr_record_t *rec);

/* Decode without copying the body: rec->der points into buf. expected_id is
 * the certificate the caller asked for; a record for any other certificate
 * is OCSPR_EINVALID. OCSPR_EINVALID (rec untouched) also for a short buffer,
 * a wrong magic/version, non-zero reserved bytes, an unknown cert_status, a
 * der_len of 0, over OCSPR_RECORD_MAX_DER or disagreeing with len, a
 * negative time or next_update <= this_update. APR_EINVAL when expected_id
 * is NULL. */
apr_status_t ocspr_record_decode(ocspr_record_t *rec, const unsigned char *buf, apr_size_t len,
                                 const unsigned char expected_id[OCSPR_CERT_ID_LEN]);

#endif /* OCSPR_RECORD_H */
