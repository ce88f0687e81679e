/* The refresh engine and the fleet exchange: adopt-before-fetch,
 * publish-after-fetch, the pass's look-up, and the exchange's health. Nothing
 * read from the exchange is trusted: every record is validated like a
 * response fresh from the responder. */
#include <string.h>

#include <apr_strings.h>

#include "ocspr_engine_private.h"
#include "ocspr_tags.h"

/* --- the fleet exchange ---------------------------------------------------- */

static void fleet_result(ocspr_engine_t *e, apr_status_t rv, int is_read, apr_pool_t *p)
{
    ocspr_fleet_health_t *h = &e->shared->fleet;
    char err[120];

    /* "Absent" answers a read but proves nothing: apr_memcache says the same
     * when no server is up. Only a record read or a write accepted is good
     * news. */
    if ((is_read && APR_STATUS_IS_NOTFOUND(rv)) || !ocspr_eng_state_lock(e, p)) {
        return;
    }
    if (rv == APR_SUCCESS) {
        h->last_ok = ocspr_eng_wall_now(e);
    }
    else {
        h->errors++;
        h->last_error_time = ocspr_eng_wall_now(e);
        /* apr_memcache says "not found" when no server answers at all. */
        apr_snprintf(h->last_error, sizeof(h->last_error), "%s %s: %s",
                     is_read ? "reading from" : "writing to",
                     e->ops.fleet.desc ? e->ops.fleet.desc : "the fleet exchange",
                     APR_STATUS_IS_NOTFOUND(rv) ? "no server of the exchange answers"
                                                : apr_strerror(rv, err, sizeof(err)));
    }
    ocspr_eng_state_unlock(e, p);
}

static apr_status_t fleet_get(ocspr_engine_t *e, const ocspr_engine_cert_t *c,
                              unsigned char *buf, apr_size_t *len, apr_pool_t *p)
{
    apr_status_t rv = e->ops.fleet.get(e->ops.fleet.baton, c, buf, len, p);

    fleet_result(e, rv, 1, p);
    return rv;
}

static apr_status_t fleet_put(ocspr_engine_t *e, const ocspr_engine_cert_t *c,
                              const unsigned char *rec, apr_size_t len, apr_time_t expiry,
                              apr_pool_t *p)
{
    apr_status_t rv = e->ops.fleet.put(e->ops.fleet.baton, c, rec, len, expiry, p);

    fleet_result(e, rv, 0, p);
    return rv;
}

/* A fleet record for c, decoded and validated like a fresh response.
 * Returns 1 valid, 0 absent or unreadable (the glue reports outages),
 * -1 refused (*why says why). */
static int fleet_read(ocspr_engine_t *e, const ocspr_engine_cert_t *c, ocspr_record_t *rec,
                      ocspr_response_info_t *info, const char **why, apr_pool_t *p)
{
    apr_size_t len = OCSPR_RECORD_MAX_LEN;
    unsigned char *buf = apr_palloc(p, len);
    ocspr_validate_opts_t vo;

    if (fleet_get(e, c, buf, &len, p) != APR_SUCCESS) {
        return 0;
    }
    if (ocspr_record_decode(rec, buf, len, c->id) != APR_SUCCESS) {
        *why = "not a record for this certificate (malformed, or another certificate's)";
        return -1;
    }
    ocspr_eng_validate_opts(&vo, e);
    if (ocspr_response_validate(info, p, rec->der, rec->der_len, c->cert, c->issuer,
                                &vo) != APR_SUCCESS) {
        *why = apr_psprintf(p, "the response in it fails validation (%s): %s",
                            ocspr_reject_name(info->reject), info->reason ? info->reason : "");
        return -1;
    }
    return 1;
}

static void fleet_refused(ocspr_engine_t *e, ocspr_engine_cert_t *c, const char *why,
                          apr_pool_t *p)
{
    ocspr_cert_state_t *st = c->state;
    apr_size_t kind;
    int repeated;

    if (!ocspr_eng_state_lock(e, p)) {
        return;
    }
    st->fleet_rejected++;
    /* The same kind of refusal (the words before the first detail, which
     * may carry times) is logged once. */
    kind = strcspn(why, ":(");
    repeated = !strncmp(st->fleet_reject_reason, why, kind);
    apr_cpystrn(st->fleet_reject_reason, why, sizeof(st->fleet_reject_reason));
    ocspr_eng_state_unlock(e, p);
    /* Once per certificate and reason: a forged record stays in the
     * exchange until it expires there, and is read at every due time. */
    ocspr_log(repeated ? OCSPR_LOG_DEBUG : OCSPR_LOG_WARNING, 0, OCSPR_T_FLEET_REJECTED, p,
              "refused the fleet's record for %s: %s; it is not stapled", c->label, why);
}

/* What the exchange holds for c, against what this host holds. */
typedef enum {
    FLEET_ADOPTED,          /* newer and valid: taken */
    FLEET_CURRENT,          /* as new as ours (or newer but not taken): nothing to do */
    FLEET_LACKS             /* absent, refused or older: ours belongs there */
} fleet_look_t;

static fleet_look_t fleet_look(ocspr_engine_t *e, ocspr_engine_cert_t *c, apr_pool_t *p)
{
    ocspr_response_info_t info;
    ocspr_record_t rec;
    const char *why = NULL;
    apr_time_t held_this = 0;
    int found = fleet_read(e, c, &rec, &info, &why, p);

    if (found < 0) {
        fleet_refused(e, c, why, p);
        return FLEET_LACKS;
    }
    if (!found || !ocspr_eng_state_lock(e, p)) {
        return found ? FLEET_CURRENT : FLEET_LACKS;
    }
    if (ocspr_eng_holds(c->state) && c->state->next_update > ocspr_eng_wall_now(e)) {
        held_this = c->state->this_update;
    }
    ocspr_eng_state_unlock(e, p);
    if (held_this && info.this_update < held_this) {
        fleet_refused(e, c, apr_psprintf(p, "older than the response held here (thisUpdate "
                                         "%s before %s): a replay, or a host that lags",
                                         ocspr_time_rfc3339(p, info.this_update),
                                         ocspr_time_rfc3339(p, held_this)), p);
        return FLEET_LACKS;
    }
    if ((held_this && info.this_update == held_this)
        || !ocspr_eng_take_response(e, c, &info, rec.der, rec.der_len, OCSPR_SOURCE_FLEET, p)) {
        return FLEET_CURRENT;
    }
    if (ocspr_eng_state_lock(e, p)) {
        c->state->fleet_adopted++;
        ocspr_eng_state_unlock(e, p);
    }
    return FLEET_ADOPTED;
}

/* Adopt-before-fetch: a newer valid response in the fleet saves a fetch.
 * Returns non-zero when one was adopted. */
int ocspr_eng_fleet_adopt(ocspr_engine_t *e, ocspr_engine_cert_t *c, apr_pool_t *p)
{
    return e->ops.fleet.get && fleet_look(e, c, p) == FLEET_ADOPTED;
}

/* Put ours into the exchange. */
static apr_status_t fleet_write(ocspr_engine_t *e, ocspr_engine_cert_t *c,
                                const ocspr_response_info_t *info, const unsigned char *der,
                                apr_size_t len, apr_pool_t *p)
{
    apr_size_t reclen = 0;
    unsigned char *buf = ocspr_eng_encode_record(&reclen, c, info, ocspr_eng_wall_now(e), der,
                                                 len, p);
    apr_status_t rv;

    if (!buf) {
        return APR_EINVAL;
    }
    rv = fleet_put(e, c, buf, reclen, info->next_update, p);
    if (rv == APR_SUCCESS && ocspr_eng_state_lock(e, p)) {
        c->state->fleet_published++;
        ocspr_eng_state_unlock(e, p);
    }
    return rv;
}

/* Publish-after-fetch, never over a newer valid response. Returns the
 * write's result (APR_SUCCESS when nothing needed writing). */
apr_status_t ocspr_eng_fleet_publish(ocspr_engine_t *e, ocspr_engine_cert_t *c,
                                     const ocspr_response_info_t *info, const unsigned char *der,
                                     apr_size_t len, apr_pool_t *p)
{
    ocspr_response_info_t theirs;
    ocspr_record_t rec;
    const char *why = NULL;

    if (!e->ops.fleet.put) {
        return APR_SUCCESS;
    }
    if (e->ops.fleet.get && fleet_read(e, c, &rec, &theirs, &why, p) > 0
        && theirs.this_update >= info->this_update) {
        return APR_SUCCESS;
    }
    return fleet_write(e, c, info, der, len, p);
}

/* The pass's look at the fleet for one certificate: adopt what is newer
 * there, else offer what this host serves (a restarted, emptied exchange
 * fills again; an unreachable one shows in its health). */
int ocspr_eng_fleet_probe(ocspr_engine_t *e, ocspr_engine_cert_t *c, apr_pool_t *p)
{
    apr_size_t len = OCSPR_RECORD_MAX_LEN;
    unsigned char *buf;
    ocspr_response_info_t info;
    ocspr_record_t rec;
    fleet_look_t look = fleet_look(e, c, p);

    if (look != FLEET_LACKS || !e->ops.fleet.put) {
        return look == FLEET_ADOPTED;
    }
    if (e->fleet_offer_skip > 0) {
        /* The exchange refused the last offers: every refused write is an
         * error line of the socache provider, so offer less often (a fetch
         * still publishes at once). */
        e->fleet_offer_skip--;
        return 0;
    }
    buf = apr_palloc(p, len);
    if (e->ops.cache.get(e->ops.cache.baton, c, buf, &len, p) == APR_SUCCESS
        && ocspr_record_decode(&rec, buf, len, c->id) == APR_SUCCESS
        && rec.next_update > ocspr_eng_wall_now(e)) {
        memset(&info, 0, sizeof(info));
        info.cert_status = rec.cert_status;
        info.this_update = rec.this_update;
        info.next_update = rec.next_update;
        /* The look just now found nothing as new as ours there: write
         * without reading the exchange a second time. */
        if (fleet_write(e, c, &info, rec.der, rec.der_len, p) == APR_SUCCESS) {
            e->fleet_offer_failures = 0;
        }
        else {
            e->fleet_offer_failures++;
            e->fleet_offer_skip = (1 << (e->fleet_offer_failures < 3 ? e->fleet_offer_failures
                                                                     : 3)) - 1;
        }
    }
    return 0;
}
