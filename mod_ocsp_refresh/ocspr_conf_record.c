/* A server's configuration record: made unset, merged, and read with the
 * defaults applied (contract in ocspr_conf.h). */
#include <string.h>

#include "ocspr_conf.h"

#define OR_DEFAULT(v, d) ((v) == OCSPR_CONF_UNSET ? (d) : (v))

ocspr_conf_t *ocspr_conf_create(apr_pool_t *p)
{
    ocspr_conf_t *conf = apr_palloc(p, sizeof(*conf));

    conf->enabled = OCSPR_CONF_UNSET;
    conf->responder = NULL;
    conf->cache_spec = NULL;
    conf->store_dir = NULL;
    conf->window_percent = OCSPR_CONF_UNSET;
    conf->check_interval = OCSPR_CONF_UNSET;
    conf->timeout = OCSPR_CONF_UNSET;
    conf->startup_timeout = OCSPR_CONF_UNSET;
    conf->max_age = OCSPR_CONF_UNSET;
    conf->proxy = NULL;
    conf->strict = OCSPR_CONF_UNSET;
    conf->diagnostics = OCSPR_CONF_UNSET;
    conf->status_actions = OCSPR_CONF_UNSET;
    return conf;
}

#define MERGE_NUM(field) conf->field = (add->field != OCSPR_CONF_UNSET) ? add->field : base->field
#define MERGE_PTR(field) conf->field = add->field ? add->field : base->field

ocspr_conf_t *ocspr_conf_merge(apr_pool_t *p, const ocspr_conf_t *base, const ocspr_conf_t *add)
{
    ocspr_conf_t *conf = apr_palloc(p, sizeof(*conf));

    MERGE_NUM(enabled);
    MERGE_PTR(responder);
    MERGE_PTR(cache_spec);
    MERGE_PTR(store_dir);
    MERGE_NUM(window_percent);
    MERGE_NUM(check_interval);
    MERGE_NUM(timeout);
    MERGE_NUM(startup_timeout);
    MERGE_NUM(max_age);
    MERGE_PTR(proxy);
    MERGE_NUM(strict);
    MERGE_NUM(diagnostics);
    MERGE_NUM(status_actions);
    return conf;
}

int ocspr_conf_enabled(const ocspr_conf_t *conf)
{
    return OR_DEFAULT(conf->enabled, ocspr_conf_defaults.enabled);
}

int ocspr_conf_strict(const ocspr_conf_t *conf)
{
    return OR_DEFAULT(conf->strict, ocspr_conf_defaults.strict);
}

int ocspr_conf_diagnostics(const ocspr_conf_t *conf)
{
    return OR_DEFAULT(conf->diagnostics, ocspr_conf_defaults.diagnostics);
}

int ocspr_conf_status_actions(const ocspr_conf_t *conf)
{
    return OR_DEFAULT(conf->status_actions, ocspr_conf_defaults.status_actions);
}

const char *ocspr_conf_cache_spec(const ocspr_conf_t *conf)
{
    return conf->cache_spec ? conf->cache_spec : ocspr_conf_defaults.cache_spec;
}

apr_interval_time_t ocspr_conf_startup_timeout(const ocspr_conf_t *conf)
{
    return OR_DEFAULT(conf->startup_timeout, ocspr_conf_defaults.startup_timeout);
}

void ocspr_conf_engine(ocspr_engine_config_t *cfg, const ocspr_conf_t *conf)
{
    memset(cfg, 0, sizeof(*cfg));
    ocspr_conf_apply_policy(&cfg->policy, conf->window_percent, conf->check_interval);
    ocspr_conf_apply_http(&cfg->http, conf->timeout, conf->proxy);
    ocspr_conf_apply_validate(&cfg->validate, conf->max_age);
}
