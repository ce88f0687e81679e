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
    const char *source;                 /* "network", "store", "fleet" or NULL */
    /* What a handshake gets now: the serving cache returned the held
     * response at the engine's last check. Stapled = served && valid. */
    int served;

    /* refresh attempts */
    apr_time_t next_attempt;            /* 0: none scheduled */
    int refresh_requested;              /* a "refresh now" is pending */
    apr_time_t last_attempt;            /* 0: no network attempt yet */
    int last_outcome;                   /* ocspr_outcome_t */
    const char *last_reason;            /* text of the last outcome */
    int consecutive_failures;
    apr_interval_time_t last_latency;
    apr_uint64_t attempts[OCSPR_OUTCOME_COUNT];  /* by outcome, since start */

    /* the fleet exchange (0 / NULL without one) */
    apr_uint64_t fleet_adopted;         /* responses taken from the fleet instead of a fetch */
    apr_uint64_t fleet_published;       /* responses this host put into the fleet */
    apr_uint64_t fleet_rejected;        /* fleet records refused */
    const char *fleet_reject_reason;    /* the last refusal; NULL or "" when none */
} ocspr_status_row_t;

/* What a certificate's row amounts to, one word each; disjoint. The names
 * (ocspr_status_state_name) are stable: JSON, Prometheus and ?auto use them. */
typedef enum {
    OCSPR_STATE_GOOD = 0,        /* a good response is stapled, last attempt fine */
    OCSPR_STATE_REFRESH_FAILING, /* a good response is stapled, refreshes fail */
    OCSPR_STATE_REVOKED,         /* the responder says revoked (stapled) */
    OCSPR_STATE_UNKNOWN,         /* the responder does not know it (stapled) */
    OCSPR_STATE_FAILING,         /* nothing valid to staple, attempts fail */
    OCSPR_STATE_NOT_SERVED,      /* a valid response is held, but the serving cache does
                                    not return it: handshakes get no staple */
    OCSPR_STATE_PENDING,         /* nothing yet, no attempt finished */
    OCSPR_STATE_NOT_APPLICABLE,  /* never stapled by us (no usable responder) */
    OCSPR_STATE_COUNT
} ocspr_status_state_t;

const char *ocspr_status_state_name(ocspr_status_state_t state);
/* A held response counts only while now < nextUpdate. */
int ocspr_status_row_holds_response(const ocspr_status_row_t *row, apr_time_t now);
/* What a handshake gets now: a held, valid response that the serving cache
 * returns (served). Every "stapled" on every page derives from this. */
int ocspr_status_row_stapled(const ocspr_status_row_t *row, apr_time_t now);
ocspr_status_state_t ocspr_status_row_state(const ocspr_status_row_t *row, apr_time_t now);
/* The status of the staple handshakes get: "good", "revoked", "unknown",
 * "none" (nothing stapled: nothing valid held, or held but not served) or
 * "not_applicable". */
const char *ocspr_status_row_status_name(const ocspr_status_row_t *row, apr_time_t now);
/* The status of the held valid response whether served or not, or NULL. */
const char *ocspr_status_row_held_status_name(const ocspr_status_row_t *row, apr_time_t now);

/* Which certificates a page shows (HTML and JSON); summaries always count
 * every certificate. A zeroed filter shows everything. */
typedef struct {
    unsigned states;                    /* bit (1u << state) per state shown; 0: any */
    const char *vhost;                  /* "name" or "name:port", any case; NULL: any */
    const char *id;                     /* a prefix of the hex id, any case; NULL: any */
    int page;                           /* page of the compact HTML list, from 1; 0: first */
} ocspr_status_filter_t;

int ocspr_status_filter_active(const ocspr_status_filter_t *filter);
int ocspr_status_filter_matches(const ocspr_status_filter_t *filter,
                                const ocspr_status_row_t *row, apr_time_t now);

typedef enum {
    OCSPR_STATUS_FORMAT_HTML = 0,
    OCSPR_STATUS_FORMAT_JSON,
    OCSPR_STATUS_FORMAT_PROMETHEUS
} ocspr_status_format_t;

/* A status page request's query string, parsed. */
typedef struct {
    ocspr_status_format_t format;       /* "json" / "prometheus": the first one decides */
    ocspr_status_filter_t filter;       /* state=NAME[,NAME] (repeatable; "problems": every
                                           state but good and not_applicable), vhost=, id=,
                                           page= */
    const char *requested;              /* requested=ID: a refresh was just asked for */
    int has_action;                     /* action= or token= (a GET never acts) */
} ocspr_status_query_t;

/* Parse args (the part after '?', NULL for none; percent-escapes decoded).
 * Unknown words are ignored. Returns NULL, or a sentence saying which value
 * is wrong and what is accepted (the request is then refused with 400). */
const char *ocspr_status_parse_query(ocspr_status_query_t *q, apr_pool_t *p, const char *args);
/* The query string ("state=failing&vhost=a.example&page=2", "" when none)
 * that selects filter, on page `page` (0: no page=), percent-encoded. */
const char *ocspr_status_filter_query(apr_pool_t *p, const ocspr_status_filter_t *filter,
                                      int page);

/* The whole page. */
typedef struct {
    apr_time_t now;
    const char *server;                 /* the server's name, for the title; may be NULL */
    int active;                         /* stapling runs (shared state exists) */
    long leader_pid;                    /* 0: no child leads yet */
    apr_time_t leader_since;
    apr_time_t last_tick;               /* the leader's last maintenance pass */
    apr_array_header_t *rows;           /* ocspr_status_row_t, may be empty */
    const char *version;                /* the module's version, or NULL */
    /* the fleet exchange's health; fleet_desc NULL: no fleet exchange */
    const char *fleet_desc;             /* "memcache:127.0.0.1:11211" */
    apr_uint64_t fleet_errors;          /* get/put calls that failed */
    apr_time_t fleet_last_ok;           /* 0: never */
    apr_time_t fleet_last_error_time;   /* 0: never */
    const char *fleet_last_error;
    /* HTML and JSON: the certificates to list (NULL: all) */
    const ocspr_status_filter_t *filter;
    /* HTML page only */
    const char *action_token;           /* non-NULL: refresh forms are shown */
    const char *notice;                 /* plain text shown above the table, or NULL */
} ocspr_status_page_t;

typedef struct {
    int total;
    int by_state[OCSPR_STATE_COUNT];
    int stapled;                        /* GOOD + REFRESH_FAILING: a good staple is served */
    apr_uint64_t fleet_adopted, fleet_published, fleet_rejected;  /* over every row */
    const ocspr_status_row_t *soonest_response;  /* smallest valid nextUpdate */
    const ocspr_status_row_t *soonest_cert;      /* smallest certificate notAfter */
} ocspr_status_summary_t;

void ocspr_status_summarize(ocspr_status_summary_t *sum, const ocspr_status_page_t *page);

/* How the HTML page stays readable (and under 1 MB) at thousands of
 * certificates: rows needing attention come first, in full, at most
 * FULL_ROWS of them; every other selected row is one compact line, at most
 * COMPACT_ROWS a page. A selection of at most SMALL rows is shown in full. */
#define OCSPR_STATUS_HTML_FULL_ROWS    100
#define OCSPR_STATUS_HTML_COMPACT_ROWS 1000
#define OCSPR_STATUS_HTML_SMALL        25

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
