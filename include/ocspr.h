/* mod_ocsp_refresh core: things every core file shares.
 *
 * The core (ocspr_*.c) knows APR and OpenSSL, never httpd: it is built without
 * httpd's include directory so that a stray httpd header breaks the build.
 * Services that live in httpd (logging) reach it through callbacks.
 */
#ifndef OCSPR_H
#define OCSPR_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_time.h>

/* Our own apr_status_t codes, in APR's user error range. */
#define OCSPR_ERR_BASE        (APR_OS_START_USERERR + 7700)
#define OCSPR_EINVALID        (OCSPR_ERR_BASE + 1)  /* data failed parsing or validation */
#define OCSPR_ENOTFOUND       (OCSPR_ERR_BASE + 2)  /* looked-for item is absent */
#define OCSPR_EFETCH          (OCSPR_ERR_BASE + 3)  /* fetch failed, see the outcome */
#define OCSPR_ETOOSMALL       (OCSPR_ERR_BASE + 4)  /* output buffer too small */

/* The largest response we accept from a responder or the store: real ones
 * are a few KiB, so anything near this is an error or an attack. */
#define OCSPR_RESPONSE_MAX_SIZE ((apr_size_t)64 * 1024)

/* How a fetch-and-validate attempt ended. The names (ocspr_outcome_name) are
 * stable: they appear in logs, JSON and Prometheus labels. */
typedef enum {
    OCSPR_OUTCOME_OK = 0,        /* valid response obtained */
    OCSPR_OUTCOME_BAD_URL,       /* responder URL unusable */
    OCSPR_OUTCOME_HTTPS,         /* https:// responder: not supported */
    OCSPR_OUTCOME_DNS,           /* host name did not resolve */
    OCSPR_OUTCOME_REFUSED,       /* connection refused */
    OCSPR_OUTCOME_PERMISSION,    /* EACCES/EPERM on connect: SELinux or firewall */
    OCSPR_OUTCOME_UNREACHABLE,   /* network/host unreachable, other connect errors */
    OCSPR_OUTCOME_TIMEOUT,       /* connect timeout or total deadline passed */
    OCSPR_OUTCOME_HTTP_STATUS,   /* non-200 HTTP status */
    OCSPR_OUTCOME_REDIRECT,      /* 3xx: reported, never followed */
    OCSPR_OUTCOME_CONTENT_TYPE,  /* not application/ocsp-response */
    OCSPR_OUTCOME_OVERSIZE,      /* body or headers over the cap */
    OCSPR_OUTCOME_TRUNCATED,     /* connection closed before the body was complete */
    OCSPR_OUTCOME_PROTOCOL,      /* malformed HTTP */
    OCSPR_OUTCOME_RESPONDER,     /* OCSP responseStatus not successful (tryLater, ...) */
    OCSPR_OUTCOME_INVALID,       /* OCSP response failed validation */
    OCSPR_OUTCOME_INTERNAL,      /* local error (memory, OpenSSL) */
    OCSPR_OUTCOME_CANCELLED,     /* abandoned: the server is stopping (not a responder failure) */
    OCSPR_OUTCOME_COUNT
} ocspr_outcome_t;

/* Stable lowercase name of an outcome ("ok", "dns", "timeout", ...). */
const char *ocspr_outcome_name(ocspr_outcome_t outcome);

/* Log levels in httpd's APLOG order, so glue can pass them straight through. */
typedef enum {
    OCSPR_LOG_EMERG = 0, OCSPR_LOG_ALERT, OCSPR_LOG_CRIT, OCSPR_LOG_ERR,
    OCSPR_LOG_WARNING, OCSPR_LOG_NOTICE, OCSPR_LOG_INFO, OCSPR_LOG_DEBUG,
    OCSPR_LOG_TRACE1, OCSPR_LOG_TRACE2
} ocspr_log_level_t;

/* A log sink: the glue installs one that calls ap_log_error_ with the
 * core's own file and line (so a message is attributed to the code that
 * wrote it, not to the sink); tests install one that records messages.
 * `tag` is a stable OCSPRnnnn tag or NULL. */
typedef void ocspr_log_fn(void *baton, const char *file, int line, ocspr_log_level_t level,
                          apr_status_t rv, const char *tag, const char *msg);

void ocspr_log_set(ocspr_log_fn *fn, void *baton, ocspr_log_level_t max_level);
int ocspr_log_enabled(ocspr_log_level_t level);
void ocspr_log_at(const char *file, int line, ocspr_log_level_t level, apr_status_t rv,
                  const char *tag, apr_pool_t *p, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 7, 8)))
#endif
    ;
#define ocspr_log(level, rv, tag, p, ...) \
    ocspr_log_at(__FILE__, __LINE__, (level), (rv), (tag), (p), __VA_ARGS__)

/* "2026-11-21T05:21:25Z": RFC 3339 UTC, whole seconds, allocated from p. */
const char *ocspr_time_rfc3339(apr_pool_t *p, apr_time_t t);

/* The monotonic clock (CLOCK_MONOTONIC) in APR microseconds: for every
 * wait, deadline and schedule, which a step of the wall clock must not
 * stall. Its origin is arbitrary but shared by every process of the host. */
apr_time_t ocspr_monotonic_now(void);

/* Lowercase hex of `len` bytes, allocated from p. */
const char *ocspr_hex(apr_pool_t *p, const unsigned char *data, apr_size_t len);

/* A string from a certificate, a responder or a shared cache made safe for
 * one log line, as httpd's ap_escape_logitem does: control bytes (including
 * newline and DEL) and bytes over 0x7E as \xHH, and `\` and `"` as \\ and
 * \", so nothing untrusted can start a line or a forged field. Returns s
 * itself when nothing needs escaping, NULL for NULL. The _mem form takes
 * bytes that may contain NUL. */
const char *ocspr_log_escape(apr_pool_t *p, const char *s);
const char *ocspr_log_escape_mem(apr_pool_t *p, const void *data, apr_size_t len);

#endif /* OCSPR_H */
