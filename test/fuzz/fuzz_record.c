/* libFuzzer target: the socache record codec (ocspr_record.c), which reads
 * bytes from a shared cache in every handshake.
 *
 * Properties asserted:
 * - a decoded record lies inside the buffer: the body is exactly the bytes
 *   after the header, and nothing outside [data, data + size) is read (ASan);
 * - a decoded record carries the id it was asked for, and re-encodes to the
 *   very same bytes (the decoder accepts nothing the encoder would not write);
 * - a record built from the input's bytes either is refused by the encoder
 *   or round-trips through encode and decode unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ocspr_record.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) { abort(); } } while (0)

/* The id the seeds were made for: asked under a fixed key, as a handshake
 * asks for its own certificate. */
static const unsigned char *asked_id(const uint8_t *data, size_t size)
{
    static const unsigned char fixed[OCSPR_CERT_ID_LEN] = { 0 };

    /* Half the inputs ask for the id they carry, so the fuzzer gets past the
     * id check; the other half for a fixed id, which they must then match. */
    if (size >= 8 + OCSPR_CERT_ID_LEN && (data[size - 1] & 1)) {
        return data + 8;
    }
    return fixed;
}

static void check_decoded(const ocspr_record_t *rec, const uint8_t *data, size_t size,
                          const unsigned char *id)
{
    unsigned char *again;
    apr_size_t written = 0;

    FUZZ_ASSERT(size >= OCSPR_RECORD_HDR_LEN && size <= OCSPR_RECORD_MAX_LEN);
    FUZZ_ASSERT(rec->der == data + OCSPR_RECORD_HDR_LEN);
    FUZZ_ASSERT(rec->der_len == size - OCSPR_RECORD_HDR_LEN);
    FUZZ_ASSERT(rec->der_len > 0 && rec->der_len <= OCSPR_RECORD_MAX_DER);
    FUZZ_ASSERT(memcmp(rec->id, id, OCSPR_CERT_ID_LEN) == 0);
    FUZZ_ASSERT(rec->next_update > rec->this_update && rec->this_update >= 0 && rec->fetched >= 0);
    FUZZ_ASSERT(ocspr_record_encoded_len(rec) == size);
    again = malloc(size);
    FUZZ_ASSERT(again != NULL);
    FUZZ_ASSERT(ocspr_record_encode(again, size, &written, rec) == APR_SUCCESS);
    FUZZ_ASSERT(written == size && memcmp(again, data, size) == 0);
    free(again);
}

/* Fields from the input: status, three times, an id, then the body. */
static void check_encoded(const uint8_t *data, size_t size)
{
    enum { FIELDS = 1 + 3 * 8 + OCSPR_CERT_ID_LEN };
    ocspr_record_t rec, out;
    apr_time_t times[3];
    apr_size_t need, written = 0;
    unsigned char *buf;
    int i, j;

    if (size < FIELDS) {
        return;
    }
    rec.cert_status = data[0];
    for (i = 0; i < 3; i++) {
        uint64_t v = 0;

        for (j = 0; j < 8; j++) {
            v = v << 8 | data[1 + 8 * i + j];
        }
        times[i] = (apr_time_t)v;
    }
    rec.fetched = times[0];
    rec.this_update = times[1];
    rec.next_update = times[2];
    memcpy(rec.id, data + 25, OCSPR_CERT_ID_LEN);
    rec.der = data + FIELDS;
    rec.der_len = size - FIELDS;
    need = ocspr_record_encoded_len(&rec);
    if (need == 0) {
        FUZZ_ASSERT(ocspr_record_encode(NULL, 0, NULL, &rec) == APR_EINVAL);
        return;
    }
    FUZZ_ASSERT(need == OCSPR_RECORD_HDR_LEN + rec.der_len);
    buf = malloc(need);
    FUZZ_ASSERT(buf != NULL);
    FUZZ_ASSERT(ocspr_record_encode(buf, need - 1, NULL, &rec) == OCSPR_ETOOSMALL);
    FUZZ_ASSERT(ocspr_record_encode(buf, need, &written, &rec) == APR_SUCCESS && written == need);
    FUZZ_ASSERT(ocspr_record_decode(&out, buf, need, rec.id) == APR_SUCCESS);
    FUZZ_ASSERT(out.cert_status == rec.cert_status && out.fetched == rec.fetched
                && out.this_update == rec.this_update && out.next_update == rec.next_update
                && out.der_len == rec.der_len && memcmp(out.der, rec.der, rec.der_len) == 0
                && memcmp(out.id, rec.id, OCSPR_CERT_ID_LEN) == 0);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char *id = asked_id(data, size);
    ocspr_record_t rec, untouched;

    memset(&rec, 0xa5, sizeof(rec));
    memcpy(&untouched, &rec, sizeof(rec));
    if (ocspr_record_decode(&rec, data, size, id) == APR_SUCCESS) {
        check_decoded(&rec, data, size, id);
    }
    else {
        FUZZ_ASSERT(memcmp(&rec, &untouched, sizeof(rec)) == 0);
    }
    check_encoded(data, size);
    return 0;
}
