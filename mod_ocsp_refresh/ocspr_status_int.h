/* What the status renderers share: the output through the caller's write
 * callback, and small facts about a row. Internal to ocspr_status*.c. */
#ifndef OCSPR_STATUS_INT_H
#define OCSPR_STATUS_INT_H

#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <apr_strings.h>

#include "ocspr_response.h"
#include "ocspr_status.h"

/* --- output --------------------------------------------------------------- */

typedef struct {
    ocspr_write_fn *write;
    void *baton;
    apr_pool_t *p;                      /* temporaries, cleared after each row */
} out_t;

static APR_INLINE void put(out_t *o, const char *s)
{
    if (s && *s) {
        o->write(o->baton, s, strlen(s));
    }
}

static APR_INLINE void putf(out_t *o, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static APR_INLINE void putf(out_t *o, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    put(o, apr_pvsprintf(o->p, fmt, ap));
    va_end(ap);
}

/* Renderers work row by row in a sub-pool, so a page with thousands of
 * certificates does not hold every row's temporaries at once. */
static APR_INLINE void out_init(out_t *o, ocspr_write_fn *write, void *baton, apr_pool_t *p)
{
    o->write = write;
    o->baton = baton;
    apr_pool_create(&o->p, p);
}

static APR_INLINE void out_done(out_t *o)
{
    apr_pool_destroy(o->p);
}

/* "in 3 h" / "5 min ago" */
static APR_INLINE const char *relative(apr_pool_t *p, apr_time_t t, apr_time_t now)
{
    if (t >= now) {
        return apr_pstrcat(p, "in ", ocspr_status_duration(p, t - now), NULL);
    }
    return apr_pstrcat(p, ocspr_status_duration(p, now - t), " ago", NULL);
}

/* Whole seconds from now to t (negative when past). */
static APR_INLINE apr_int64_t seconds_until(apr_time_t t, apr_time_t now)
{
    return apr_time_sec(t - now);
}

static APR_INLINE int has_response(const ocspr_status_row_t *row)
{
    return row->cert_status != OCSPR_CERT_STATUS_NONE;
}

static APR_INLINE apr_uint64_t failures_total(const ocspr_status_row_t *row)
{
    apr_uint64_t n = 0;
    int i;

    for (i = 0; i < OCSPR_OUTCOME_COUNT; i++) {
        if (i != OCSPR_OUTCOME_OK) {
            n += row->attempts[i];
        }
    }
    return n;
}

static APR_INLINE const char *vhost_list(apr_pool_t *p, const ocspr_status_row_t *row, char sep)
{
    return row->vhosts ? apr_array_pstrcat(p, row->vhosts, sep) : "";
}

#define ROW(page, i) (&APR_ARRAY_IDX((page)->rows, (i), ocspr_status_row_t))
#define NROWS(page) ((page)->rows ? (page)->rows->nelts : 0)

/* The ?auto key of a state ("RefreshFailing"). */
const char *ocspr_status_state_camel(ocspr_status_state_t state);
/* Every state but good and not applicable: listed first, in full. */
int ocspr_status_state_needs_attention(ocspr_status_state_t state);

/* --- HTML (ocspr_status_html.c, ocspr_status_html_rows.c) ------------------------ */

#define H(o, s) put((o), ocspr_status_html_escape((o)->p, (s)))

/* <time> with the RFC 3339 form in datetime and a readable UTC text. */
static APR_INLINE void html_time(out_t *o, apr_time_t t)
{
    const char *iso = ocspr_time_rfc3339(o->p, t);

    putf(o, "<time datetime=\"%s\">%.10s %.8s UTC</time>", iso, iso, iso + 11);
}

static APR_INLINE void html_time_rel(out_t *o, apr_time_t t, apr_time_t now)
{
    html_time(o, t);
    putf(o, " (%s)", relative(o->p, t, now));
}

/* One label/value pair of a <dl>: dd() opens the value, the caller writes
 * it and closes with end_dd(). */
static APR_INLINE void dd(out_t *o, const char *label)
{
    putf(o, "<dt>%s</dt><dd>", label);
}

static APR_INLINE void end_dd(out_t *o)
{
    put(o, "</dd>");
}

/* "adopted A, published P, rejected R", R flagged when not zero: for one
 * certificate and for the fleet box's totals. */
static APR_INLINE void html_fleet_counts(out_t *o, apr_uint64_t adopted, apr_uint64_t published,
                                         apr_uint64_t rejected)
{
    putf(o, "adopted %" APR_UINT64_T_FMT ", published %" APR_UINT64_T_FMT ", rejected %s%"
         APR_UINT64_T_FMT "%s", adopted, published, rejected ? "<span class=\"flag bad\">" : "",
         rejected, rejected ? "</span>" : "");
}


/* The rows page->filter selects, most severe first (ties keep the
 * configuration's order). */
typedef struct {
    int rank;
    int index;                          /* into page->rows */
} ocspr_status_row_order_t;

typedef struct {
    ocspr_status_row_order_t *rows;
    int n;
    int attention;                      /* the first `attention` need attention */
} ocspr_status_selection_t;

void ocspr_status_html_select(ocspr_status_selection_t *sel, const ocspr_status_page_t *page,
                              apr_pool_t *p);
/* The full table of the first `count` selected rows. */
void ocspr_status_html_full_table(out_t *o, const ocspr_status_page_t *page,
                                  const ocspr_status_selection_t *sel, int count);
/* The selected rows from `from` on, one line each, paged (page->filter->page). */
void ocspr_status_html_brief_table(out_t *o, const ocspr_status_page_t *page,
                                   const ocspr_status_selection_t *sel, int from);

#endif /* OCSPR_STATUS_INT_H */
