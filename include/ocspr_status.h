/* The status page's rendering: HTML for people, JSON and Prometheus for
 * machines, `?auto` lines for mod_status. Pure functions of a snapshot the
 * glue builds (no httpd, no shared memory here), so every renderer and every
 * escaper is unit-tested with hostile input. Everything that comes from a
 * certificate or a responder is untrusted text: the renderers escape it for
 * the format they write, and replace invalid UTF-8 with U+FFFD. */
#ifndef OCSPR_STATUS_H
#define OCSPR_STATUS_H

#include <apr_tables.h>
#include "ocspr.h"

/* Where output goes: the glue writes to the client (ap_rwrite), tests
 * collect into a buffer. */
typedef void ocspr_write_fn(void *baton, const char *data, apr_size_t len);

/* One certificate, as the page shows it. Strings may be NULL (shown as
 * absent); times are 0 when unknown/never. */
typedef struct {
    const char *id;                     /* hex SHA-1 of the certificate's DER */
    apr_array_header_t *vhosts;         /* const char* "name:port"; may be NULL */
    const char *subject;                /* RFC 2253 */
    const char *serial;                 /* uppercase hex */
    const char *issuer;
    const char *key_type;               /* "RSA-2048", "EC-prime256v1" */
    apr_time_t cert_not_after;          /* the certificate's own expiry */
    int must_staple;
    const char *responder_url;          /* NULL when not applicable */
    const char *not_applicable;         /* why it is not stapled, or NULL */

    /* the held response (cert_status OCSPR_CERT_STATUS_NONE: none) */
    int cert_status;                    /* ocspr_cert_status_t values */
    apr_time_t this_update;
    apr_time_t next_update;
    apr_time_t produced_at;
    apr_time_t revoked_at;
    int revocation_reason;              /* CRLReason, -1 none */
    apr_time_t fetched;                 /* when it was obtained */
    apr_size_t response_len;            /* DER bytes */
    const char *source;                 /* "store", "network" or NULL */

    /* refresh attempts */
    apr_time_t next_attempt;            /* 0: none scheduled */
    int refresh_requested;              /* a "refresh now" is pending */
    apr_time_t last_attempt;            /* 0: no network attempt yet */
    int last_outcome;                   /* ocspr_outcome_t */
    const char *last_reason;            /* text of the last outcome */
    int consecutive_failures;
    apr_interval_time_t last_latency;
    apr_uint64_t attempts[OCSPR_OUTCOME_COUNT];  /* by outcome, since start */
} ocspr_status_row_t;

/* What a certificate's row amounts to, one word each; disjoint. The names
 * (ocspr_status_state_name) are stable: JSON, Prometheus and ?auto use them. */
typedef enum {
    OCSPR_STATE_GOOD = 0,        /* a good response is stapled, last attempt fine */
    OCSPR_STATE_REFRESH_FAILING, /* a good response is stapled, refreshes fail */
    OCSPR_STATE_REVOKED,         /* the responder says revoked (stapled) */
    OCSPR_STATE_UNKNOWN,         /* the responder does not know it (stapled) */
    OCSPR_STATE_FAILING,         /* nothing valid to staple, attempts fail */
    OCSPR_STATE_PENDING,         /* nothing yet, no attempt finished */
    OCSPR_STATE_NOT_APPLICABLE,  /* never stapled by us (no usable responder) */
    OCSPR_STATE_COUNT
} ocspr_status_state_t;

const char *ocspr_status_state_name(ocspr_status_state_t state);
/* A held response counts only while now < nextUpdate. */
int ocspr_status_row_holds_response(const ocspr_status_row_t *row, apr_time_t now);
ocspr_status_state_t ocspr_status_row_state(const ocspr_status_row_t *row, apr_time_t now);
/* The status name of the row: "good", "revoked", "unknown", "none" (nothing
 * valid held) or "not_applicable". */
const char *ocspr_status_row_status_name(const ocspr_status_row_t *row, apr_time_t now);

/* The whole page. */
typedef struct {
    apr_time_t now;
    const char *server;                 /* the server's name, for the title; may be NULL */
    int active;                         /* stapling runs (shared state exists) */
    long leader_pid;                    /* 0: no child leads yet */
    apr_time_t leader_since;
    apr_time_t last_tick;               /* the leader's last maintenance pass */
    apr_array_header_t *rows;           /* ocspr_status_row_t, may be empty */
    /* HTML page only */
    const char *action_token;           /* non-NULL: refresh forms are shown */
    const char *notice;                 /* plain text shown above the table, or NULL */
} ocspr_status_page_t;

typedef struct {
    int total;
    int by_state[OCSPR_STATE_COUNT];
    int stapled;                        /* GOOD + REFRESH_FAILING */
    const ocspr_status_row_t *soonest_response;  /* smallest valid nextUpdate */
    const ocspr_status_row_t *soonest_cert;      /* smallest certificate notAfter */
} ocspr_status_summary_t;

void ocspr_status_summarize(ocspr_status_summary_t *sum, const ocspr_status_page_t *page);

/* Renderers. p holds temporaries (a request pool). */
void ocspr_status_render_html(const ocspr_status_page_t *page, ocspr_write_fn *write,
                              void *baton, apr_pool_t *p);
/* The section inside mod_status's /server-status page (an HTML fragment). */
void ocspr_status_render_html_section(const ocspr_status_page_t *page, ocspr_write_fn *write,
                                      void *baton, apr_pool_t *p);
void ocspr_status_render_json(const ocspr_status_page_t *page, ocspr_write_fn *write,
                              void *baton, apr_pool_t *p);
/* Prometheus text exposition format 0.0.4. */
void ocspr_status_render_prometheus(const ocspr_status_page_t *page, ocspr_write_fn *write,
                                    void *baton, apr_pool_t *p);
/* mod_status's ?auto: "OCSPRefreshKey: value" lines, totals first. */
void ocspr_status_render_auto(const ocspr_status_page_t *page, ocspr_write_fn *write,
                              void *baton, apr_pool_t *p);

/* The Content-Security-Policy the HTML page needs: no scripts at all, only
 * its own inline style (by hash), forms posting to itself. */
const char *ocspr_status_html_csp(apr_pool_t *p);

/* Escapers, each returning a valid UTF-8 string from p (invalid bytes become
 * U+FFFD). NULL input gives "".
 * html: & < > " ' as entities; control bytes as visible control pictures.
 * json: the inside of a JSON string: " \ and control bytes (\u00XX), also
 *       < > & U+2028 U+2029 so that the text is safe inside HTML and JS.
 * prom: a Prometheus label value: \ " and newline escaped; other control
 *       bytes become U+FFFD.
 * auto: one ?auto value: \ and control bytes as \xNN, so a value is one line. */
const char *ocspr_status_html_escape(apr_pool_t *p, const char *s);
const char *ocspr_status_json_escape(apr_pool_t *p, const char *s);
const char *ocspr_status_prom_escape(apr_pool_t *p, const char *s);
const char *ocspr_status_auto_escape(apr_pool_t *p, const char *s);

/* A duration for people: "3 d 4 h", "12 min 5 s", "45 s"; negative as "-..". */
const char *ocspr_status_duration(apr_pool_t *p, apr_interval_time_t d);

#endif /* OCSPR_STATUS_H */
