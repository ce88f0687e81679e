/* Shared core utilities: outcome names, the log sink, hex, log escaping. */
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <apr_strings.h>

#include "ocspr.h"

static const char *const outcome_names[OCSPR_OUTCOME_COUNT] = {
    [OCSPR_OUTCOME_OK] = "ok",
    [OCSPR_OUTCOME_BAD_URL] = "bad_url",
    [OCSPR_OUTCOME_HTTPS] = "https_unsupported",
    [OCSPR_OUTCOME_DNS] = "dns",
    [OCSPR_OUTCOME_REFUSED] = "refused",
    [OCSPR_OUTCOME_PERMISSION] = "permission",
    [OCSPR_OUTCOME_UNREACHABLE] = "unreachable",
    [OCSPR_OUTCOME_TIMEOUT] = "timeout",
    [OCSPR_OUTCOME_HTTP_STATUS] = "http_status",
    [OCSPR_OUTCOME_REDIRECT] = "redirect",
    [OCSPR_OUTCOME_CONTENT_TYPE] = "content_type",
    [OCSPR_OUTCOME_OVERSIZE] = "oversize",
    [OCSPR_OUTCOME_TRUNCATED] = "truncated",
    [OCSPR_OUTCOME_PROTOCOL] = "protocol",
    [OCSPR_OUTCOME_RESPONDER] = "responder_status",
    [OCSPR_OUTCOME_INVALID] = "invalid_response",
    [OCSPR_OUTCOME_INTERNAL] = "internal",
    [OCSPR_OUTCOME_CANCELLED] = "cancelled",
};

const char *ocspr_outcome_name(ocspr_outcome_t outcome)
{
    if ((int)outcome < 0 || outcome >= OCSPR_OUTCOME_COUNT) {
        return "unknown";
    }
    return outcome_names[outcome];
}

/* One process-wide sink: installed once in the parent before any thread
 * exists, then only read. */
static ocspr_log_fn *log_fn;
static void *log_baton;
static ocspr_log_level_t log_max = OCSPR_LOG_WARNING;

void ocspr_log_set(ocspr_log_fn *fn, void *baton, ocspr_log_level_t max_level)
{
    log_fn = fn;
    log_baton = baton;
    log_max = max_level;
}

int ocspr_log_enabled(ocspr_log_level_t level)
{
    return log_fn != NULL && level <= log_max;
}

void ocspr_log_at(const char *file, int line, ocspr_log_level_t level, apr_status_t rv,
                  const char *tag, apr_pool_t *p, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    if (!ocspr_log_enabled(level)) {
        return;
    }
    va_start(ap, fmt);
    msg = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    log_fn(log_baton, file, line, level, rv, tag, msg);
}

const char *ocspr_time_rfc3339(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t tm;

    apr_time_exp_gmt(&tm, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

const char *ocspr_hex(apr_pool_t *p, const unsigned char *data, apr_size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *out = apr_palloc(p, len * 2 + 1);
    apr_size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 0x0f];
    }
    out[len * 2] = '\0';
    return out;
}

static int needs_log_escape(unsigned char c)
{
    return c < 0x20 || c > 0x7e || c == '\\' || c == '"';
}

const char *ocspr_log_escape_mem(apr_pool_t *p, const void *data, apr_size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *in = data;
    apr_size_t i, extra = 0;
    char *out, *o;

    for (i = 0; i < len; i++) {
        extra += in[i] == '\\' || in[i] == '"' ? 1 : needs_log_escape(in[i]) ? 3 : 0;
    }
    o = out = apr_palloc(p, len + extra + 1);
    for (i = 0; i < len; i++) {
        if (!needs_log_escape(in[i])) {
            *o++ = (char)in[i];
        }
        else if (in[i] == '\\' || in[i] == '"') {
            *o++ = '\\';
            *o++ = (char)in[i];
        }
        else {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = digits[in[i] >> 4];
            *o++ = digits[in[i] & 0x0f];
        }
    }
    *o = '\0';
    return out;
}

const char *ocspr_log_escape(apr_pool_t *p, const char *s)
{
    const char *c;

    if (s == NULL) {
        return NULL;
    }
    for (c = s; *c && !needs_log_escape((unsigned char)*c); c++) {
    }
    return *c ? ocspr_log_escape_mem(p, s, strlen(s)) : s;
}

apr_time_t ocspr_monotonic_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (apr_time_t)ts.tv_sec * APR_USEC_PER_SEC + ts.tv_nsec / 1000;
}
