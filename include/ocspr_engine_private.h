/* The refresh engine's internals, shared by its files (ocspr_engine.c: state,
 * decisions, the serving cache, the store, life; ocspr_engine_fleet.c: the
 * fleet exchange; ocspr_engine_pass.c: passes and their workers). Not for
 * any other file: the contract is ocspr_engine.h. */
#ifndef OCSPR_ENGINE_PRIVATE_H
#define OCSPR_ENGINE_PRIVATE_H

#include "ocspr_engine.h"

struct ocspr_engine_t {
    apr_pool_t *pool;
    ocspr_engine_config_t cfg;
    ocspr_engine_ops_t ops;             /* the NULL optional ones filled with defaults */
    ocspr_engine_shared_t *shared;      /* cfg.shared, or the engine's own */
    int leader;                         /* this process holds the leader lock */
    ocspr_engine_cert_t *const *certs;
    int ncerts;
    int *responder_of;                  /* cert index -> responder index */
    const char **responders;            /* "host:port" */
    int nresponders;
    int stop_pipe[2];                   /* readable once stopped: cancels fetches */
    int wake_pipe[2];                   /* readable when a wait should end */
    volatile apr_uint32_t stopping;
    int cache_small_logged;
    int fleet_probe;                    /* the next certificate looked up in the fleet */
    int fleet_offer_failures;           /* the pass's offers that failed in a row */
    int fleet_offer_skip;               /* passes left before offering again */
};

apr_time_t ocspr_eng_wall_now(ocspr_engine_t *e);
apr_time_t ocspr_eng_mono_now(ocspr_engine_t *e);
/* Non-zero when the state may be touched (a failure is logged). */
int ocspr_eng_state_lock(ocspr_engine_t *e, apr_pool_t *p);
void ocspr_eng_state_unlock(ocspr_engine_t *e, apr_pool_t *p);
int ocspr_eng_holds(const ocspr_cert_state_t *st);
void ocspr_eng_schedule(ocspr_engine_t *e, ocspr_cert_state_t *st, apr_time_t now,
                        apr_time_t mono);
void ocspr_eng_due_now(ocspr_cert_state_t *st, apr_time_t now, apr_time_t mono);
void ocspr_eng_validate_opts(ocspr_validate_opts_t *vo, ocspr_engine_t *e);
unsigned char *ocspr_eng_encode_record(apr_size_t *plen, const ocspr_engine_cert_t *c,
                                       const ocspr_response_info_t *info, apr_time_t obtained,
                                       const unsigned char *der, apr_size_t len, apr_pool_t *p);
int ocspr_eng_is_served(ocspr_engine_t *e, const ocspr_engine_cert_t *c, apr_time_t this_update,
                        apr_time_t now, apr_pool_t *p);
int ocspr_eng_put_served(ocspr_engine_t *e, const ocspr_engine_cert_t *c,
                         const ocspr_response_info_t *info, apr_time_t obtained,
                         const unsigned char *der, apr_size_t len, apr_pool_t *p);
int ocspr_eng_take_response(ocspr_engine_t *e, ocspr_engine_cert_t *c,
                            const ocspr_response_info_t *info, const unsigned char *der,
                            apr_size_t len, ocspr_source_t source, apr_pool_t *p);

/* the fleet exchange (ocspr_engine_fleet.c) */
int ocspr_eng_fleet_adopt(ocspr_engine_t *e, ocspr_engine_cert_t *c, apr_pool_t *p);
apr_status_t ocspr_eng_fleet_publish(ocspr_engine_t *e, ocspr_engine_cert_t *c,
                                     const ocspr_response_info_t *info, const unsigned char *der,
                                     apr_size_t len, apr_pool_t *p);
int ocspr_eng_fleet_probe(ocspr_engine_t *e, ocspr_engine_cert_t *c, apr_pool_t *p);

#endif /* OCSPR_ENGINE_PRIVATE_H */
