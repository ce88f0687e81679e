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
 *   8  fetched (8)
 *  16  this_update (8)
 *  24  next_update (8)
 *  32  der_len (4)      1..OCSPR_RECORD_MAX_DER, header + der_len == record length
 *  36  reserved (4)     zero
 *  40  DER response
 * A decoder never accepts a record it would not encode, and vice versa. */
#ifndef OCSPR_RECORD_H
#define OCSPR_RECORD_H

#include "ocspr_cert.h"

#define OCSPR_RECORD_MAGIC    0x4F435352u  /* "OCSR" */
#define OCSPR_RECORD_VERSION  1
#define OCSPR_RECORD_HDR_LEN  40
#define OCSPR_RECORD_MAX_DER  (1024 * 1024)

/* Key prefix: lets one memcache/redis hold several servers' entries and other
 * modules' data safely. */
#define OCSPR_RECORD_KEY_PREFIX      "ocspr1:"
#define OCSPR_RECORD_KEY_PREFIX_LEN  7
#define OCSPR_RECORD_KEY_LEN         (OCSPR_RECORD_KEY_PREFIX_LEN + OCSPR_CERT_ID_LEN)

typedef struct {
    int cert_status;                  /* ocspr_cert_status_t */
    apr_time_t fetched;               /* when we obtained it */
    apr_time_t this_update;
    apr_time_t next_update;
    const unsigned char *der;         /* points into the encoded buffer after decode */
    apr_size_t der_len;
} ocspr_record_t;

/* The socache key for a certificate id: prefix + raw id bytes (binary, not
 * NUL-terminated, OCSPR_RECORD_KEY_LEN bytes). */
void ocspr_record_key(unsigned char key[OCSPR_RECORD_KEY_LEN],
                      const unsigned char id[OCSPR_CERT_ID_LEN]);

/* Bytes needed to encode rec, or 0 when rec cannot be encoded (see below). */
apr_size_t ocspr_record_encoded_len(const ocspr_record_t *rec);

/* Encode into buf (buflen >= ocspr_record_encoded_len). APR_EINVAL when rec
 * is not encodable: der NULL, der_len 0 or over OCSPR_RECORD_MAX_DER, a
 * cert_status other than good/revoked/unknown, a negative time or
 * next_update <= this_update. Otherwise OCSPR_ETOOSMALL when buflen is short
 * (nothing written). *pwritten may be NULL. */
apr_status_t ocspr_record_encode(unsigned char *buf, apr_size_t buflen, apr_size_t *pwritten,
                                 const ocspr_record_t *rec);

/* Decode without copying: rec->der points into buf. OCSPR_EINVALID (rec
 * untouched) for a short buffer, a wrong magic/version, non-zero reserved
 * bytes, an unknown cert_status, a der_len of 0, over OCSPR_RECORD_MAX_DER or
 * disagreeing with len, a negative time or next_update <= this_update. */
apr_status_t ocspr_record_decode(ocspr_record_t *rec, const unsigned char *buf, apr_size_t len);

#endif /* OCSPR_RECORD_H */
