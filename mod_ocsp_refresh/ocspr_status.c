/* The status page's model and escapers (see ocspr_status.h). Every string
 * that comes from a certificate or a responder reaches the output only
 * through the escaper of the format being written; the renderers are in
 * ocspr_status_html.c, ocspr_status_json.c and ocspr_status_metrics.c. */
#include <stdlib.h>
#include <apr_lib.h>

#include "ocspr_status_int.h"

/* --- escaping --------------------------------------------------------------- */

typedef enum { ESC_HTML, ESC_JSON, ESC_PROM, ESC_AUTO } esc_kind_t;

/* Length (1-4) of the well-formed UTF-8 sequence at s, with its code point
 * in *pcp; 0 when s starts an invalid one (stray continuation byte,
 * overlong form, surrogate, beyond U+10FFFF, truncated). */
static apr_size_t utf8_char(apr_uint32_t *pcp, const unsigned char *s, apr_size_t avail)
{
    static const apr_uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    apr_uint32_t cp;
    apr_size_t n, i;

    if (s[0] < 0x80) {
        *pcp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2;
        cp = s[0] & 0x1F;
    }
    else if ((s[0] & 0xF0) == 0xE0) {
        n = 3;
        cp = s[0] & 0x0F;
    }
    else if ((s[0] & 0xF8) == 0xF0) {
        n = 4;
        cp = s[0] & 0x07;
    }
    else {
        return 0;
    }
    if (n > avail) {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    *pcp = cp;
    return n;
}

static const char REPLACEMENT[] = "\xEF\xBF\xBD";   /* U+FFFD */

/* Write code point cp (originally the n bytes at src) escaped for kind into
 * dst; returns the bytes written (at most ESC_MAX_EXPANSION * n). */
static apr_size_t escape_char(char *dst, esc_kind_t kind, apr_uint32_t cp,
                              const unsigned char *src, apr_size_t n)
{
    const char *entity = NULL;
    int control = cp < 0x20 || cp == 0x7F;

    switch (kind) {
    case ESC_HTML:
        switch (cp) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        case '\'': entity = "&#39;"; break;
        }
        if (entity) {
            memcpy(dst, entity, strlen(entity));
            return strlen(entity);
        }
        if (control) {
            /* Visible: a newline in a subject must not pass for a space.
             * U+2400 + c are the control pictures, U+2421 is DEL's. */
            apr_uint32_t pic = cp == 0x7F ? 0x2421 : 0x2400 + cp;

            dst[0] = (char)0xE2;
            dst[1] = (char)(0x80 | ((pic >> 6) & 0x3F));
            dst[2] = (char)(0x80 | (pic & 0x3F));
            return 3;
        }
        break;
    case ESC_JSON:
        if (cp == '"' || cp == '\\') {
            dst[0] = '\\';
            dst[1] = (char)cp;
            return 2;
        }
        /* < > & too, so the text stays inert inside HTML; U+2028/9 end a
         * line in JavaScript. */
        if (control || cp == '<' || cp == '>' || cp == '&' || cp == 0x2028 || cp == 0x2029) {
            apr_snprintf(dst, 7, "\\u%04x", (unsigned)cp);
            return 6;
        }
        break;
    case ESC_PROM:
        if (cp == '"' || cp == '\\') {
            dst[0] = '\\';
            dst[1] = (char)cp;
            return 2;
        }
        if (cp == '\n') {
            memcpy(dst, "\\n", 2);
            return 2;
        }
        if (control) {
            /* The format defines no escape for them. */
            memcpy(dst, REPLACEMENT, 3);
            return 3;
        }
        break;
    case ESC_AUTO:
        if (cp == '\\') {
            memcpy(dst, "\\\\", 2);
            return 2;
        }
        if (control) {
            apr_snprintf(dst, 5, "\\x%02x", (unsigned)cp);
            return 4;
        }
        break;
    }
    memcpy(dst, src, n);
    return n;
}

/* The largest output per input byte: a control byte as \u00XX. */
#define ESC_MAX_EXPANSION 6

static const char *escape(apr_pool_t *p, const char *s, esc_kind_t kind)
{
    const unsigned char *in = (const unsigned char *)s;
    apr_size_t len, i = 0, n;
    apr_uint32_t cp;
    char *out, *w;

    if (!s) {
        return "";
    }
    len = strlen(s);
    w = out = apr_palloc(p, len * ESC_MAX_EXPANSION + 1);
    while (i < len) {
        n = utf8_char(&cp, in + i, len - i);
        if (n == 0) {
            memcpy(w, REPLACEMENT, 3);
            w += 3;
            i++;
            continue;
        }
        w += escape_char(w, kind, cp, in + i, n);
        i += n;
    }
    *w = '\0';
    return out;
}

const char *ocspr_status_html_escape(apr_pool_t *p, const char *s)
{
    return escape(p, s, ESC_HTML);
}

const char *ocspr_status_json_escape(apr_pool_t *p, const char *s)
{
    return escape(p, s, ESC_JSON);
}

const char *ocspr_status_prom_escape(apr_pool_t *p, const char *s)
{
    return escape(p, s, ESC_PROM);
}

const char *ocspr_status_auto_escape(apr_pool_t *p, const char *s)
{
    return escape(p, s, ESC_AUTO);
}

/* --- times ----------------------------------------------------------------- */

const char *ocspr_status_duration(apr_pool_t *p, apr_interval_time_t d)
{
    static const struct {
        apr_int64_t secs;
        const char *unit;
    } units[] = { { 86400, "d" }, { 3600, "h" }, { 60, "min" }, { 1, "s" } };
    const int nunits = (int)(sizeof(units) / sizeof(units[0]));
    const char *sign = d < 0 ? "-" : "";
    apr_int64_t secs = apr_time_sec(d < 0 ? -d : d), major, minor;
    int i;

    for (i = 0; i < nunits - 1 && secs < units[i].secs; i++) {
    }
    major = secs / units[i].secs;
    minor = i < nunits - 1 ? (secs % units[i].secs) / units[i + 1].secs : 0;
    if (minor) {
        return apr_psprintf(p, "%s%" APR_INT64_T_FMT " %s %" APR_INT64_T_FMT " %s", sign, major,
                            units[i].unit, minor, units[i + 1].unit);
    }
    return apr_psprintf(p, "%s%" APR_INT64_T_FMT " %s", sign, major, units[i].unit);
}

/* --- the model ------------------------------------------------------------- */

static const struct {
    const char *name;                   /* JSON, Prometheus label, ?state= */
    const char *camel;                  /* ?auto key */
} state_names[OCSPR_STATE_COUNT] = {
    [OCSPR_STATE_GOOD] = { "good", "Good" },
    [OCSPR_STATE_REFRESH_FAILING] = { "refresh_failing", "RefreshFailing" },
    [OCSPR_STATE_REVOKED] = { "revoked", "Revoked" },
    [OCSPR_STATE_UNKNOWN] = { "unknown", "Unknown" },
    [OCSPR_STATE_FAILING] = { "failing", "Failing" },
    [OCSPR_STATE_NOT_SERVED] = { "not_served", "NotServed" },
    [OCSPR_STATE_PENDING] = { "pending", "Pending" },
    [OCSPR_STATE_NOT_APPLICABLE] = { "not_applicable", "NotApplicable" },
};

const char *ocspr_status_state_camel(ocspr_status_state_t state)
{
    if ((int)state < 0 || state >= OCSPR_STATE_COUNT) {
        return "Invalid";
    }
    return state_names[state].camel;
}

const char *ocspr_status_state_name(ocspr_status_state_t state)
{
    if ((int)state < 0 || state >= OCSPR_STATE_COUNT) {
        return "invalid";
    }
    return state_names[state].name;
}

int ocspr_status_state_needs_attention(ocspr_status_state_t state)
{
    return state != OCSPR_STATE_GOOD && state != OCSPR_STATE_NOT_APPLICABLE;
}

int ocspr_status_row_holds_response(const ocspr_status_row_t *row, apr_time_t now)
{
    return has_response(row) && row->next_update > now;
}

int ocspr_status_row_stapled(const ocspr_status_row_t *row, apr_time_t now)
{
    return row->served && ocspr_status_row_holds_response(row, now);
}

ocspr_status_state_t ocspr_status_row_state(const ocspr_status_row_t *row, apr_time_t now)
{
    if (row->not_applicable || !row->responder_url) {
        return OCSPR_STATE_NOT_APPLICABLE;
    }
    if (!ocspr_status_row_holds_response(row, now)) {
        return row->consecutive_failures > 0 ? OCSPR_STATE_FAILING : OCSPR_STATE_PENDING;
    }
    if (!row->served) {
        return OCSPR_STATE_NOT_SERVED;
    }
    switch (row->cert_status) {
    case OCSPR_CERT_STATUS_REVOKED:
        return OCSPR_STATE_REVOKED;
    case OCSPR_CERT_STATUS_UNKNOWN:
        return OCSPR_STATE_UNKNOWN;
    default:
        return row->consecutive_failures > 0 ? OCSPR_STATE_REFRESH_FAILING : OCSPR_STATE_GOOD;
    }
}

const char *ocspr_status_row_status_name(const ocspr_status_row_t *row, apr_time_t now)
{
    if (ocspr_status_row_state(row, now) == OCSPR_STATE_NOT_APPLICABLE) {
        return "not_applicable";
    }
    if (!ocspr_status_row_stapled(row, now)) {
        return "none";
    }
    return ocspr_cert_status_name((ocspr_cert_status_t)row->cert_status);
}

const char *ocspr_status_row_held_status_name(const ocspr_status_row_t *row, apr_time_t now)
{
    if (ocspr_status_row_state(row, now) == OCSPR_STATE_NOT_APPLICABLE
        || !ocspr_status_row_holds_response(row, now)) {
        return NULL;
    }
    return ocspr_cert_status_name((ocspr_cert_status_t)row->cert_status);
}

void ocspr_status_summarize(ocspr_status_summary_t *sum, const ocspr_status_page_t *page)
{
    int i;

    memset(sum, 0, sizeof(*sum));
    for (i = 0; i < NROWS(page); i++) {
        const ocspr_status_row_t *row = ROW(page, i);
        ocspr_status_state_t state = ocspr_status_row_state(row, page->now);

        sum->total++;
        sum->by_state[state]++;
        sum->fleet_adopted += row->fleet_adopted;
        sum->fleet_published += row->fleet_published;
        sum->fleet_rejected += row->fleet_rejected;
        if (ocspr_status_row_stapled(row, page->now)
            && state != OCSPR_STATE_NOT_APPLICABLE
            && (!sum->soonest_response || row->next_update < sum->soonest_response->next_update)) {
            sum->soonest_response = row;
        }
        if (row->cert_not_after
            && (!sum->soonest_cert || row->cert_not_after < sum->soonest_cert->cert_not_after)) {
            sum->soonest_cert = row;
        }
    }
    sum->stapled = sum->by_state[OCSPR_STATE_GOOD] + sum->by_state[OCSPR_STATE_REFRESH_FAILING];
}
