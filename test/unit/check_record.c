/* Tests for ocspr_record.c: the socache record codec. The decoder reads
 * hostile bytes in every handshake, so every truncation and every single-byte
 * corruption of the header is tried (run under valgrind too). */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <openssl/sha.h>

#include "check_support.h"
#include "ocspr_record.h"
#include "ocspr_response.h"

#define DER_LEN 300

static unsigned char sample_der[DER_LEN];
static const unsigned char sample_id[OCSPR_CERT_ID_LEN] = {
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9,
    0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3,
};

/* A certificate id: SHA-1 of some bytes, as real ids are. */
static void make_id(unsigned char id[OCSPR_CERT_ID_LEN], unsigned int n)
{
    char seed[32];
    int len = snprintf(seed, sizeof(seed), "certificate %u", n);

    SHA1((const unsigned char *)seed, (size_t)len, id);
}

static ocspr_record_t sample_record(void)
{
    ocspr_record_t rec;
    int i;

    for (i = 0; i < DER_LEN; i++) {
        sample_der[i] = (unsigned char)(i * 31 + 7);
    }
    memcpy(rec.id, sample_id, OCSPR_CERT_ID_LEN);
    rec.cert_status = OCSPR_CERT_STATUS_REVOKED;
    rec.fetched = apr_time_from_sec(1700000100) + 123;
    rec.this_update = apr_time_from_sec(1700000000);
    rec.next_update = apr_time_from_sec(1700604800);
    rec.der = sample_der;
    rec.der_len = DER_LEN;
    return rec;
}

/* A malloc'ed copy of exactly len bytes (not pool memory), so valgrind
 * flags any read past the end. */
static unsigned char *exact_copy(const unsigned char *buf, apr_size_t len)
{
    unsigned char *copy = malloc(len ? len : 1);

    ck_assert_ptr_nonnull(copy);
    memcpy(copy, buf, len);
    return copy;
}

/* The sample encoded into a pool buffer of exactly its length. */
static unsigned char *sample_encoded(apr_size_t *plen)
{
    ocspr_record_t rec = sample_record();
    unsigned char *buf;

    *plen = ocspr_record_encoded_len(&rec);
    ck_assert_uint_eq(*plen, OCSPR_RECORD_HDR_LEN + DER_LEN);
    buf = apr_palloc(ocspr_test_pool, *plen);
    ck_assert_int_eq(ocspr_record_encode(buf, *plen, NULL, &rec), APR_SUCCESS);
    return buf;
}

static int same_fields(const ocspr_record_t *a, const ocspr_record_t *b)
{
    return memcmp(a->id, b->id, OCSPR_CERT_ID_LEN) == 0 && a->cert_status == b->cert_status && a->fetched == b->fetched
           && a->this_update == b->this_update && a->next_update == b->next_update
           && a->der_len == b->der_len && memcmp(a->der, b->der, a->der_len) == 0;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

START_TEST(key_is_raw_id_then_tag)
{
    unsigned char id[OCSPR_CERT_ID_LEN], key[OCSPR_RECORD_KEY_LEN];
    int i;

    for (i = 0; i < OCSPR_CERT_ID_LEN; i++) {
        id[i] = (unsigned char)(0xf0 - i);
    }
    ocspr_record_key(key, id);
    ck_assert_int_eq(OCSPR_RECORD_KEY_LEN, 27);
    ck_assert_int_eq(memcmp(key, id, OCSPR_CERT_ID_LEN), 0);
    ck_assert_int_eq(memcmp(key + OCSPR_CERT_ID_LEN, ":ocspr2", 7), 0);
}
END_TEST

/* httpd's shmcb stores a key in sub-cache (first key byte & (n - 1)), n a
 * power of two up to 256 chosen from the cache size. Over `count` ids, the
 * fullest sub-cache's load as a multiple of the mean. */
static double fullest_subcache_load(void (*make_key)(unsigned char *, const unsigned char *),
                                    unsigned int subcaches, unsigned int count)
{
    unsigned int load[256] = { 0 }, most = 0, n;

    for (n = 0; n < count; n++) {
        unsigned char id[OCSPR_CERT_ID_LEN], key[OCSPR_RECORD_KEY_LEN];
        unsigned int slot;

        make_id(id, n);
        make_key(key, id);
        slot = key[0] & (subcaches - 1);
        if (++load[slot] > most) {
            most = load[slot];
        }
    }
    return most / ((double)count / subcaches);
}

static void our_key(unsigned char *key, const unsigned char *id)
{
    ocspr_record_key(key, id);
}

/* The version-1 layout ("ocspr1:" + id): what issue 9 measured. */
static void common_prefix_key(unsigned char *key, const unsigned char *id)
{
    memcpy(key, "ocspr1:", 7);
    memcpy(key + 7, id, OCSPR_CERT_ID_LEN);
}

START_TEST(key_spreads_over_shmcb_subcaches)
{
    static const unsigned int subcache_counts[] = { 32, 64, 128, 256 };
    apr_size_t i;

    for (i = 0; i < sizeof(subcache_counts) / sizeof(subcache_counts[0]); i++) {
        unsigned int n = subcache_counts[i];
        double ours = fullest_subcache_load(our_key, n, 1000);
        double prefixed = fullest_subcache_load(common_prefix_key, n, 1000);

        ck_assert_msg(ours <= 3.0, "%u sub-caches: the fullest holds %.1f x the mean", n, ours);
        /* The rule tells the layouts apart: a common prefix is one sub-cache. */
        ck_assert_msg(prefixed == n, "%u sub-caches: prefixed keys load %.1f x", n, prefixed);
    }
}
END_TEST

START_TEST(round_trip)
{
    static const int statuses[] = { OCSPR_CERT_STATUS_GOOD, OCSPR_CERT_STATUS_REVOKED,
                                    OCSPR_CERT_STATUS_UNKNOWN };
    ocspr_record_t rec = sample_record(), out;
    unsigned char buf[OCSPR_RECORD_HDR_LEN + DER_LEN + 16];
    apr_size_t written = 0;
    int i;

    for (i = 0; i < 3; i++) {
        rec.cert_status = statuses[i];
        ck_assert_int_eq(ocspr_record_encode(buf, sizeof(buf), &written, &rec), APR_SUCCESS);
        ck_assert_uint_eq(written, OCSPR_RECORD_HDR_LEN + DER_LEN);
        ck_assert_int_eq(ocspr_record_decode(&out, buf, written, sample_id), APR_SUCCESS);
        ck_assert(same_fields(&rec, &out));
        ck_assert_ptr_eq(out.der, buf + OCSPR_RECORD_HDR_LEN);
    }
}
END_TEST

/* The documented layout, byte for byte: other servers sharing a memcache
 * may read what we write. */
START_TEST(header_layout_is_big_endian)
{
    apr_size_t len;
    unsigned char *buf = sample_encoded(&len);
    static const unsigned char expected[OCSPR_RECORD_HDR_LEN] = {
        'O', 'C', 'S', 'R', 2, OCSPR_CERT_STATUS_REVOKED, 0, 0,
        0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9,     /* certificate id */
        0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3,
        0x00, 0x06, 0x0a, 0x24, 0x1e, 0x14, 0x21, 0x7b,     /* fetched */
        0x00, 0x06, 0x0a, 0x24, 0x18, 0x1e, 0x40, 0x00,     /* this_update */
        0x00, 0x06, 0x0a, 0xb0, 0xe9, 0x01, 0xe0, 0x00,     /* next_update */
        0x00, 0x00, 0x01, 0x2c, 0, 0, 0, 0                  /* der_len 300, reserved */
    };

    ck_assert_int_eq(memcmp(buf, expected, sizeof(expected)), 0);
    ck_assert_int_eq(memcmp(buf + OCSPR_RECORD_HDR_LEN, sample_der, DER_LEN), 0);
}
END_TEST

START_TEST(encode_needs_room)
{
    ocspr_record_t rec = sample_record();
    apr_size_t need = ocspr_record_encoded_len(&rec), written = 999;
    unsigned char *buf = apr_palloc(ocspr_test_pool, need);

    memset(buf, 0xaa, need);
    ck_assert_int_eq(ocspr_record_encode(buf, need - 1, &written, &rec), OCSPR_ETOOSMALL);
    ck_assert_int_eq(ocspr_record_encode(buf, 0, &written, &rec), OCSPR_ETOOSMALL);
    ck_assert_int_eq(ocspr_record_encode(NULL, need, &written, &rec), OCSPR_ETOOSMALL);
    ck_assert_uint_eq(written, 999);
    ck_assert_uint_eq(buf[0], 0xaa);   /* nothing written */
}
END_TEST

typedef struct {
    const char *what;
    int cert_status;
    apr_time_t this_update, next_update;
    int der_null;
    apr_size_t der_len;
} bad_record_row_t;

static const bad_record_row_t bad_records[] = {
    { "der_len 0", OCSPR_CERT_STATUS_GOOD, 100, 200, 0, 0 },
    { "der NULL", OCSPR_CERT_STATUS_GOOD, 100, 200, 1, 10 },
    { "der_len over the maximum", OCSPR_CERT_STATUS_GOOD, 100, 200, 0,
      OCSPR_RECORD_MAX_DER + 1 },
    { "status none", OCSPR_CERT_STATUS_NONE, 100, 200, 0, 10 },
    { "status out of range", 77, 100, 200, 0, 10 },
    { "nextUpdate == thisUpdate", OCSPR_CERT_STATUS_GOOD, 200, 200, 0, 10 },
    { "nextUpdate < thisUpdate", OCSPR_CERT_STATUS_GOOD, 300, 200, 0, 10 },
    { "negative thisUpdate", OCSPR_CERT_STATUS_GOOD, -100, 200, 0, 10 },
};

START_TEST(encode_rejects_unencodable)
{
    const bad_record_row_t *row = &bad_records[_i];
    ocspr_record_t rec = sample_record();
    unsigned char buf[64];

    rec.cert_status = row->cert_status;
    rec.this_update = row->this_update;
    rec.next_update = row->next_update;
    rec.der = row->der_null ? NULL : sample_der;
    rec.der_len = row->der_len;
    ck_assert_msg(ocspr_record_encoded_len(&rec) == 0, "%s", row->what);
    ck_assert_msg(ocspr_record_encode(buf, sizeof(buf), NULL, &rec) == APR_EINVAL, "%s",
                  row->what);
}
END_TEST

/* A record read under one certificate's key must be that certificate's:
 * whatever byte of the id differs, the record is refused. */
START_TEST(decode_checks_the_certificate_id)
{
    apr_size_t len, i;
    unsigned char *buf = sample_encoded(&len);
    unsigned char other[OCSPR_CERT_ID_LEN];
    ocspr_record_t out, untouched;

    memset(&out, 0x5c, sizeof(out));
    memcpy(&untouched, &out, sizeof(out));
    for (i = 0; i < OCSPR_CERT_ID_LEN; i++) {
        memcpy(other, sample_id, OCSPR_CERT_ID_LEN);
        other[i] ^= 0x01;
        ck_assert_msg(ocspr_record_decode(&out, buf, len, other) == OCSPR_EINVALID,
                      "id differing in byte %lu accepted", (unsigned long)i);
    }
    ck_assert_int_eq(ocspr_record_decode(&out, buf, len, NULL), APR_EINVAL);
    ck_assert_int_eq(memcmp(&out, &untouched, sizeof(out)), 0);
    ck_assert_int_eq(ocspr_record_decode(&out, buf, len, sample_id), APR_SUCCESS);
    ck_assert_int_eq(memcmp(out.id, sample_id, OCSPR_CERT_ID_LEN), 0);
}
END_TEST

/* The body cap is the response cap that transport, validator and store
 * apply, and OCSPR_RECORD_MAX_LEN holds the largest record. */
START_TEST(cap_is_the_response_cap)
{
    ck_assert_uint_eq(OCSPR_RECORD_MAX_DER, OCSPR_RESPONSE_MAX_SIZE);
    ck_assert_uint_eq(OCSPR_RECORD_MAX_DER, 64 * 1024);
    ck_assert_uint_eq(OCSPR_RECORD_MAX_LEN, OCSPR_RECORD_HDR_LEN + 64 * 1024);
}
END_TEST

START_TEST(largest_der_round_trips)
{
    ocspr_record_t rec = sample_record(), out;
    unsigned char *der = apr_pcalloc(ocspr_test_pool, OCSPR_RECORD_MAX_DER);
    apr_size_t len;
    unsigned char *buf;

    der[OCSPR_RECORD_MAX_DER - 1] = 0x5a;
    rec.der = der;
    rec.der_len = OCSPR_RECORD_MAX_DER;
    len = ocspr_record_encoded_len(&rec);
    ck_assert_uint_eq(len, OCSPR_RECORD_MAX_LEN);
    buf = apr_palloc(ocspr_test_pool, len);
    ck_assert_int_eq(ocspr_record_encode(buf, len, NULL, &rec), APR_SUCCESS);
    ck_assert_int_eq(ocspr_record_decode(&out, buf, len, sample_id), APR_SUCCESS);
    ck_assert(same_fields(&rec, &out));
}
END_TEST

START_TEST(every_truncation_fails)
{
    apr_size_t len, cut;
    unsigned char *buf = sample_encoded(&len);
    ocspr_record_t out;

    for (cut = 0; cut < len; cut++) {
        unsigned char *copy = exact_copy(buf, cut);
        apr_status_t rv = ocspr_record_decode(&out, copy, cut, sample_id);

        free(copy);
        ck_assert_msg(rv == OCSPR_EINVALID, "length %lu", (unsigned long)cut);
    }
    ck_assert_int_eq(ocspr_record_decode(&out, NULL, 0, sample_id), OCSPR_EINVALID);
}
END_TEST

START_TEST(trailing_bytes_fail)
{
    apr_size_t len;
    unsigned char *buf = sample_encoded(&len);
    unsigned char *longer = apr_pcalloc(ocspr_test_pool, len + 1);
    ocspr_record_t out;

    memcpy(longer, buf, len);
    ck_assert_int_eq(ocspr_record_decode(&out, longer, len + 1, sample_id), OCSPR_EINVALID);
    ck_assert_int_eq(ocspr_record_decode(&out, longer, len, sample_id), APR_SUCCESS);
}
END_TEST

/* Every single-byte change of the header is either rejected or visible in
 * the decoded fields: the decoder never silently ignores a header byte. */
START_TEST(every_header_corruption_is_caught)
{
    static const unsigned char masks[] = { 0x01, 0x02, 0x10, 0x80, 0xff };
    ocspr_record_t orig = sample_record(), out;
    apr_size_t len, pos, m;
    unsigned char *buf = sample_encoded(&len);
    int rejected = 0, changed = 0;

    for (pos = 0; pos < OCSPR_RECORD_HDR_LEN; pos++) {
        for (m = 0; m < sizeof(masks); m++) {
            unsigned char *copy = exact_copy(buf, len);
            int noticed = 1;

            copy[pos] ^= masks[m];
            if (ocspr_record_decode(&out, copy, len, sample_id) != APR_SUCCESS) {
                rejected++;
            }
            else {
                noticed = !same_fields(&orig, &out) && out.der == copy + OCSPR_RECORD_HDR_LEN
                          && out.der_len == len - OCSPR_RECORD_HDR_LEN;
                changed++;
            }
            free(copy);
            ck_assert_msg(noticed, "byte %lu ^ 0x%02x went unnoticed", (unsigned long)pos,
                          masks[m]);
        }
    }
    ck_assert_int_eq(rejected + changed, OCSPR_RECORD_HDR_LEN * (int)sizeof(masks));
    /* Magic, version, reserved, certificate id and der_len corruption are
     * all rejected. */
    ck_assert_int_ge(rejected, (4 + 1 + 2 + OCSPR_CERT_ID_LEN + 4 + 4) * (int)sizeof(masks));
}
END_TEST

typedef struct {
    const char *what;
    apr_size_t offset;
    int width;          /* 1 or 4 */
    uint32_t value;
} header_patch_row_t;

static const header_patch_row_t header_patches[] = {
    { "wrong magic", 0, 4, 0x4F435353u },
    { "version 0", 4, 1, 0 },
    { "version 1 (before the certificate id)", 4, 1, 1 },
    { "version 3", 4, 1, 3 },
    { "status none", 5, 1, OCSPR_CERT_STATUS_NONE },
    { "status 4", 5, 1, 4 },
    { "reserved (first block)", 7, 1, 1 },
    { "reserved (second block)", 59, 1, 1 },
    { "another certificate id (first byte)", 8, 1, 0xa1 },
    { "another certificate id (last byte)", 27, 1, 0 },
    { "der_len 0", 52, 4, 0 },
    { "der_len one short", 52, 4, DER_LEN - 1 },
    { "der_len one long", 52, 4, DER_LEN + 1 },
    { "der_len over the maximum", 52, 4, OCSPR_RECORD_MAX_DER + 1 },
    { "der_len 2^32-1", 52, 4, UINT32_MAX },
    { "negative fetched", 28, 1, 0x80 },
    { "negative thisUpdate", 36, 1, 0x80 },
    { "nextUpdate before thisUpdate", 44, 4, 0 },
};

START_TEST(decode_rejects_each_rule)
{
    const header_patch_row_t *row = &header_patches[_i];
    apr_size_t len;
    unsigned char *buf = sample_encoded(&len);
    ocspr_record_t out, untouched;

    if (row->width == 1) {
        buf[row->offset] = (unsigned char)row->value;
    }
    else {
        put_u32(buf + row->offset, row->value);
    }
    memset(&out, 0x5c, sizeof(out));
    memcpy(&untouched, &out, sizeof(out));
    ck_assert_msg(ocspr_record_decode(&out, buf, len, sample_id) == OCSPR_EINVALID, "%s",
                  row->what);
    ck_assert_msg(memcmp(&out, &untouched, sizeof(out)) == 0, "%s: rec modified", row->what);
}
END_TEST

START_TEST(decode_rejects_next_update_equal_this_update)
{
    apr_size_t len;
    unsigned char *buf = sample_encoded(&len);
    ocspr_record_t out;

    memcpy(buf + 44, buf + 36, 8);
    ck_assert_int_eq(ocspr_record_decode(&out, buf, len, sample_id), OCSPR_EINVALID);
}
END_TEST

/* A der_len over the maximum is rejected even when the buffer really is
 * that long. */
START_TEST(oversized_der_len_with_matching_buffer)
{
    apr_size_t len = OCSPR_RECORD_HDR_LEN + OCSPR_RECORD_MAX_DER + 1;
    unsigned char *buf = apr_pcalloc(ocspr_test_pool, len);
    apr_size_t small_len;
    ocspr_record_t out;

    memcpy(buf, sample_encoded(&small_len), OCSPR_RECORD_HDR_LEN);
    put_u32(buf + 52, OCSPR_RECORD_MAX_DER + 1);
    ck_assert_int_eq(ocspr_record_decode(&out, buf, len, sample_id), OCSPR_EINVALID);
}
END_TEST

#define ROWS(table) (int)(sizeof(table) / sizeof((table)[0]))

Suite *ocspr_suite_record(void)
{
    Suite *s = suite_create("record");
    TCase *tc = tcase_create("record");

    ocspr_tc_add_pool_fixture(tc);
    tcase_add_test(tc, key_is_raw_id_then_tag);
    tcase_add_test(tc, key_spreads_over_shmcb_subcaches);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, header_layout_is_big_endian);
    tcase_add_test(tc, encode_needs_room);
    tcase_add_loop_test(tc, encode_rejects_unencodable, 0, ROWS(bad_records));
    tcase_add_test(tc, decode_checks_the_certificate_id);
    tcase_add_test(tc, cap_is_the_response_cap);
    tcase_add_test(tc, largest_der_round_trips);
    tcase_add_test(tc, every_truncation_fails);
    tcase_add_test(tc, trailing_bytes_fail);
    tcase_add_test(tc, every_header_corruption_is_caught);
    tcase_add_loop_test(tc, decode_rejects_each_rule, 0, ROWS(header_patches));
    tcase_add_test(tc, decode_rejects_next_update_equal_this_update);
    tcase_add_test(tc, oversized_der_len_with_matching_buffer);
    suite_add_tcase(s, tc);
    return s;
}
