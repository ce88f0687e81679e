/* The socache record codec (layout in ocspr_record.h). Byte-wise big-endian
 * access: the buffer comes from a shared cache, so it may be unaligned and
 * must be read as hostile. */
#include <string.h>

#include "ocspr_record.h"
#include "ocspr_response.h"

#define OFF_MAGIC        0
#define OFF_VERSION      4
#define OFF_STATUS       5
#define OFF_RESERVED1    6
#define OFF_ID           8
#define OFF_FETCHED      28
#define OFF_THIS_UPDATE  36
#define OFF_NEXT_UPDATE  44
#define OFF_DER_LEN      52
#define OFF_RESERVED2    56
#define RESERVED1_LEN    2
#define RESERVED2_LEN    4

void ocspr_record_key(unsigned char key[OCSPR_RECORD_KEY_LEN],
                      const unsigned char id[OCSPR_CERT_ID_LEN])
{
    memcpy(key, id, OCSPR_CERT_ID_LEN);
    memcpy(key + OCSPR_CERT_ID_LEN, OCSPR_RECORD_KEY_TAG, OCSPR_RECORD_KEY_TAG_LEN);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void put_time(unsigned char *p, apr_time_t t)
{
    uint64_t v = (uint64_t)t;

    put_u32(p, (uint32_t)(v >> 32));
    put_u32(p + 4, (uint32_t)v);
}

static apr_time_t get_time(const unsigned char *p)
{
    return (apr_time_t)((uint64_t)get_u32(p) << 32 | get_u32(p + 4));
}

static int is_stapled_status(int status)
{
    return status == OCSPR_CERT_STATUS_GOOD || status == OCSPR_CERT_STATUS_REVOKED
           || status == OCSPR_CERT_STATUS_UNKNOWN;
}

/* The field rules shared by encode and decode, so neither accepts what the
 * other would refuse. */
static int fields_are_valid(int cert_status, apr_time_t fetched, apr_time_t this_update,
                            apr_time_t next_update, apr_size_t der_len)
{
    return is_stapled_status(cert_status) && fetched >= 0 && this_update >= 0
           && next_update > this_update && der_len > 0 && der_len <= OCSPR_RECORD_MAX_DER;
}

static int is_encodable(const ocspr_record_t *rec)
{
    return rec->der != NULL
           && fields_are_valid(rec->cert_status, rec->fetched, rec->this_update,
                               rec->next_update, rec->der_len);
}

apr_size_t ocspr_record_encoded_len(const ocspr_record_t *rec)
{
    return is_encodable(rec) ? OCSPR_RECORD_HDR_LEN + rec->der_len : 0;
}

apr_status_t ocspr_record_encode(unsigned char *buf, apr_size_t buflen, apr_size_t *pwritten,
                                 const ocspr_record_t *rec)
{
    apr_size_t total = ocspr_record_encoded_len(rec);

    if (total == 0) {
        return APR_EINVAL;
    }
    if (buf == NULL || buflen < total) {
        return OCSPR_ETOOSMALL;
    }
    put_u32(buf + OFF_MAGIC, OCSPR_RECORD_MAGIC);
    buf[OFF_VERSION] = OCSPR_RECORD_VERSION;
    buf[OFF_STATUS] = (unsigned char)rec->cert_status;
    memset(buf + OFF_RESERVED1, 0, RESERVED1_LEN);
    memcpy(buf + OFF_ID, rec->id, OCSPR_CERT_ID_LEN);
    put_time(buf + OFF_FETCHED, rec->fetched);
    put_time(buf + OFF_THIS_UPDATE, rec->this_update);
    put_time(buf + OFF_NEXT_UPDATE, rec->next_update);
    put_u32(buf + OFF_DER_LEN, (uint32_t)rec->der_len);
    memset(buf + OFF_RESERVED2, 0, RESERVED2_LEN);
    memcpy(buf + OCSPR_RECORD_HDR_LEN, rec->der, rec->der_len);
    if (pwritten) {
        *pwritten = total;
    }
    return APR_SUCCESS;
}

static int all_zero(const unsigned char *p, apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (p[i] != 0) {
            return 0;
        }
    }
    return 1;
}

apr_status_t ocspr_record_decode(ocspr_record_t *rec, const unsigned char *buf, apr_size_t len,
                                 const unsigned char expected_id[OCSPR_CERT_ID_LEN])
{
    int cert_status;
    apr_time_t fetched, this_update, next_update;
    apr_size_t der_len;

    if (expected_id == NULL) {
        return APR_EINVAL;
    }
    if (buf == NULL || len < OCSPR_RECORD_HDR_LEN
        || get_u32(buf + OFF_MAGIC) != OCSPR_RECORD_MAGIC
        || buf[OFF_VERSION] != OCSPR_RECORD_VERSION
        || !all_zero(buf + OFF_RESERVED1, RESERVED1_LEN)
        || !all_zero(buf + OFF_RESERVED2, RESERVED2_LEN)
        || memcmp(buf + OFF_ID, expected_id, OCSPR_CERT_ID_LEN) != 0) {
        return OCSPR_EINVALID;
    }
    cert_status = buf[OFF_STATUS];
    fetched = get_time(buf + OFF_FETCHED);
    this_update = get_time(buf + OFF_THIS_UPDATE);
    next_update = get_time(buf + OFF_NEXT_UPDATE);
    der_len = get_u32(buf + OFF_DER_LEN);
    if (!fields_are_valid(cert_status, fetched, this_update, next_update, der_len)
        || der_len != len - OCSPR_RECORD_HDR_LEN) {
        return OCSPR_EINVALID;
    }
    memcpy(rec->id, buf + OFF_ID, OCSPR_CERT_ID_LEN);
    rec->cert_status = cert_status;
    rec->fetched = fetched;
    rec->this_update = this_update;
    rec->next_update = next_update;
    rec->der = buf + OCSPR_RECORD_HDR_LEN;
    rec->der_len = der_len;
    return APR_SUCCESS;
}
