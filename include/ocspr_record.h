/* The socache record: a small versioned header followed by the DER response.
 * Decoding is strictly bounds-checked and allocation-free, because it runs
 * in every handshake. */
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

/* The socache key for a certificate id: prefix + raw id bytes. */
void ocspr_record_key(unsigned char key[OCSPR_RECORD_KEY_LEN],
                      const unsigned char id[OCSPR_CERT_ID_LEN]);

apr_size_t ocspr_record_encoded_len(const ocspr_record_t *rec);

/* Encode into buf (buflen >= ocspr_record_encoded_len). OCSPR_ETOOSMALL or
 * APR_EINVAL (der_len 0 or over OCSPR_RECORD_MAX_DER) on error. */
apr_status_t ocspr_record_encode(unsigned char *buf, apr_size_t buflen, apr_size_t *pwritten,
                                 const ocspr_record_t *rec);

/* Decode without copying: rec->der points into buf. OCSPR_EINVALID for a
 * wrong magic/version, a length that disagrees with len, or bad times. */
apr_status_t ocspr_record_decode(ocspr_record_t *rec, const unsigned char *buf, apr_size_t len);

#endif /* OCSPR_RECORD_H */
