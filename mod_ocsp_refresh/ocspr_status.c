/* The status page's renderers and escapers (see ocspr_status.h). Every
 * string that comes from a certificate or a responder reaches the output
 * only through the escaper of the format being written. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <openssl/evp.h>

#include "ocspr_response.h"
#include "ocspr_status.h"

/* --- output --------------------------------------------------------------- */

typedef struct {
    ocspr_write_fn *write;
    void *baton;
    apr_pool_t *p;                      /* temporaries, cleared after each row */
} out_t;

static void put(out_t *o, const char *s)
{
    if (s && *s) {
        o->write(o->baton, s, strlen(s));
    }
}

static void putf(out_t *o, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void putf(out_t *o, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    put(o, apr_pvsprintf(o->p, fmt, ap));
    va_end(ap);
}

/* Renderers work row by row in a sub-pool, so a page with thousands of
 * certificates does not hold every row's temporaries at once. */
static void out_init(out_t *o, ocspr_write_fn *write, void *baton, apr_pool_t *p)
{
    o->write = write;
    o->baton = baton;
    apr_pool_create(&o->p, p);
}

static void out_done(out_t *o)
{
    apr_pool_destroy(o->p);
}

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

/* "in 3 h" / "5 min ago" */
static const char *relative(apr_pool_t *p, apr_time_t t, apr_time_t now)
{
    if (t >= now) {
        return apr_pstrcat(p, "in ", ocspr_status_duration(p, t - now), NULL);
    }
    return apr_pstrcat(p, ocspr_status_duration(p, now - t), " ago", NULL);
}

/* Whole seconds from now to t (negative when past). */
static apr_int64_t seconds_until(apr_time_t t, apr_time_t now)
{
    return apr_time_sec(t - now);
}

/* --- the model ------------------------------------------------------------- */

static const struct {
    const char *name;                   /* JSON, Prometheus label */
    const char *camel;                  /* ?auto key */
} state_names[OCSPR_STATE_COUNT] = {
    [OCSPR_STATE_GOOD] = { "good", "Good" },
    [OCSPR_STATE_REFRESH_FAILING] = { "refresh_failing", "RefreshFailing" },
    [OCSPR_STATE_REVOKED] = { "revoked", "Revoked" },
    [OCSPR_STATE_UNKNOWN] = { "unknown", "Unknown" },
    [OCSPR_STATE_FAILING] = { "failing", "Failing" },
    [OCSPR_STATE_PENDING] = { "pending", "Pending" },
    [OCSPR_STATE_NOT_APPLICABLE] = { "not_applicable", "NotApplicable" },
};

const char *ocspr_status_state_name(ocspr_status_state_t state)
{
    if ((int)state < 0 || state >= OCSPR_STATE_COUNT) {
        return "invalid";
    }
    return state_names[state].name;
}

static int has_response(const ocspr_status_row_t *row)
{
    return row->cert_status != OCSPR_CERT_STATUS_NONE;
}

int ocspr_status_row_holds_response(const ocspr_status_row_t *row, apr_time_t now)
{
    return has_response(row) && row->next_update > now;
}

ocspr_status_state_t ocspr_status_row_state(const ocspr_status_row_t *row, apr_time_t now)
{
    if (row->not_applicable || !row->responder_url) {
        return OCSPR_STATE_NOT_APPLICABLE;
    }
    if (!ocspr_status_row_holds_response(row, now)) {
        return row->consecutive_failures > 0 ? OCSPR_STATE_FAILING : OCSPR_STATE_PENDING;
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
    if (!ocspr_status_row_holds_response(row, now)) {
        return "none";
    }
    return ocspr_cert_status_name((ocspr_cert_status_t)row->cert_status);
}

/* The statuses the Prometheus status gauge enumerates. */
static const char *const status_names[] = { "good", "revoked", "unknown", "none",
                                            "not_applicable" };

#define ROW(page, i) (&APR_ARRAY_IDX((page)->rows, (i), ocspr_status_row_t))
#define NROWS(page) ((page)->rows ? (page)->rows->nelts : 0)

void ocspr_status_summarize(ocspr_status_summary_t *sum, const ocspr_status_page_t *page)
{
    int i;

    memset(sum, 0, sizeof(*sum));
    for (i = 0; i < NROWS(page); i++) {
        const ocspr_status_row_t *row = ROW(page, i);
        ocspr_status_state_t state = ocspr_status_row_state(row, page->now);

        sum->total++;
        sum->by_state[state]++;
        if (ocspr_status_row_holds_response(row, page->now)
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

static apr_uint64_t failures_total(const ocspr_status_row_t *row)
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

static const char *vhost_list(apr_pool_t *p, const ocspr_status_row_t *row, char sep)
{
    return row->vhosts ? apr_array_pstrcat(p, row->vhosts, sep) : "";
}

/* --- HTML -------------------------------------------------------------------- */

/* The page's whole style; its hash is in the Content-Security-Policy, so
 * any change here is picked up by ocspr_status_html_csp. */
static const char page_style[] =
    "*{box-sizing:border-box}"
    "body{margin:0;padding:16px;font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,"
    "\"Helvetica Neue\",Arial,sans-serif;color:#1c1e21;background:#f4f5f7}"
    "h1{font-size:1.35em;margin:0 0 4px}"
    ".meta{color:#555;font-size:.9em;margin:0 0 12px}"
    ".box{background:#fff;border:1px solid #d6d9de;border-radius:8px;padding:10px 14px;"
    "margin:0 0 14px}"
    ".box p{margin:4px 0}"
    ".counts{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0}"
    ".pill,.badge{display:inline-block;border:1px solid transparent;font-weight:700}"
    ".pill{border-radius:999px;padding:2px 10px;font-size:.9em}"
    ".badge{border-radius:4px;padding:1px 8px;font-size:.85em;letter-spacing:.03em}"
    ".ok{background:#e3f4e6;color:#145a23;border-color:#b7dfbf}"
    ".warn{background:#fff3d6;color:#6b4a00;border-color:#f0d58c}"
    ".bad{background:#fde4e4;color:#8f1010;border-color:#f3b3b3}"
    ".na{background:#eceef1;color:#3f4650;border-color:#d2d6dc}"
    ".notice{background:#e8f0fe;border-color:#b8cdf7}"
    "table{width:100%;border-collapse:separate;border-spacing:0;background:#fff;"
    "border:1px solid #d6d9de;border-radius:8px;overflow:hidden}"
    ".c-cert{width:27%}.c-status{width:19%}.c-resp{width:23%}.c-act{width:1%}"
    "time{white-space:nowrap}"
    "th{text-align:left;font-size:.8em;text-transform:uppercase;letter-spacing:.04em;"
    "color:#555;background:#eef0f3;padding:8px 10px;border-bottom:1px solid #d6d9de}"
    "td{vertical-align:top;padding:10px;border-bottom:1px solid #e3e5e9}"
    "tr:last-child td{border-bottom:0}"
    "tr.problem td:first-child{box-shadow:inset 5px 0 0 #c62828}"
    "tr.attention td:first-child{box-shadow:inset 5px 0 0 #d99a00}"
    ".subject{font-weight:600;overflow-wrap:anywhere}"
    ".why{margin:6px 0 0;font-size:.9em;overflow-wrap:anywhere}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;margin:6px 0 0;"
    "font-size:.9em}"
    "dt{color:#5f6670}"
    "dd{margin:0;overflow-wrap:anywhere}"
    "code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}"
    ".flag{font-weight:700}"
    ".flag.bad,.flag.warn{background:none;border:0}"
    "button{font:inherit;font-size:.9em;padding:4px 10px;border-radius:6px;"
    "border:1px solid #8a94a3;background:#fff;cursor:pointer}"
    "@media (max-width:820px){"
    "body{padding:10px}"
    "table,tbody,tr,td{display:block;width:100%}"
    "thead{display:none}"
    "table{border:0;background:none;overflow:visible}"
    "tr{background:#fff;border:1px solid #d6d9de;border-radius:8px;margin:0 0 12px;"
    "overflow:hidden}"
    "td{border-bottom:1px solid #eceef1}"
    "td::before{content:attr(data-label);display:block;font-size:.75em;"
    "text-transform:uppercase;letter-spacing:.04em;color:#6b7280;margin-bottom:2px}"
    "tr.problem{border-left:6px solid #c62828}"
    "tr.attention{border-left:6px solid #d99a00}"
    "tr.problem td:first-child,tr.attention td:first-child{box-shadow:none}"
    "}";

const char *ocspr_status_html_csp(apr_pool_t *p)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    const char *style_src = "'none'";

    if (EVP_Digest(page_style, sizeof(page_style) - 1, md, &mdlen, EVP_sha256(), NULL) == 1) {
        EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
        style_src = apr_pstrcat(p, "'sha256-", b64, "'", NULL);
    }
    return apr_pstrcat(p, "default-src 'none'; style-src ", style_src, "; form-action 'self'; "
                       "frame-ancestors 'none'; base-uri 'none'", NULL);
}

#define H(o, s) put((o), ocspr_status_html_escape((o)->p, (s)))

/* <time> with the RFC 3339 form in datetime and a readable UTC text. */
static void html_time(out_t *o, apr_time_t t)
{
    const char *iso = ocspr_time_rfc3339(o->p, t);

    putf(o, "<time datetime=\"%s\">%.10s %.8s UTC</time>", iso, iso, iso + 11);
}

static void html_time_rel(out_t *o, apr_time_t t, apr_time_t now)
{
    html_time(o, t);
    putf(o, " (%s)", relative(o->p, t, now));
}

/* One label/value pair of a <dl>: dd() opens the value, the caller writes
 * it and closes with end_dd(). */
static void dd(out_t *o, const char *label)
{
    putf(o, "<dt>%s</dt><dd>", label);
}

static void end_dd(out_t *o)
{
    put(o, "</dd>");
}

#define MAX_CATEGORIES 7

typedef struct {
    const char *label;
    int count;
    const char *cls;                    /* when count > 0 */
    int always;                         /* shown even when 0 */
} category_t;

/* The summary's words, in the order the issue asks for. */
static int summary_categories(category_t *cats, const ocspr_status_summary_t *sum)
{
    const category_t all[] = {
        { "stapled", sum->stapled, "ok", 1 },
        { "with failing refreshes", sum->by_state[OCSPR_STATE_REFRESH_FAILING], "warn", 0 },
        { "failing", sum->by_state[OCSPR_STATE_FAILING], "bad", 1 },
        { "revoked", sum->by_state[OCSPR_STATE_REVOKED], "bad", 1 },
        { "unknown to the responder", sum->by_state[OCSPR_STATE_UNKNOWN], "warn", 0 },
        { "waiting for a first response", sum->by_state[OCSPR_STATE_PENDING], "warn", 0 },
        { "not applicable", sum->by_state[OCSPR_STATE_NOT_APPLICABLE], "na", 1 },
    };
    int i, n = 0;

    for (i = 0; i < (int)(sizeof(all) / sizeof(all[0])); i++) {
        if (all[i].always || all[i].count) {
            cats[n++] = all[i];
        }
    }
    return n;
}

static void html_soonest(out_t *o, const char *what, const ocspr_status_row_t *row,
                         apr_time_t t, apr_time_t now)
{
    putf(o, "<p>%s: <strong>%s</strong> (", what, relative(o->p, t, now));
    html_time(o, t);
    put(o, "), ");
    H(o, row->subject);
    put(o, "</p>\n");
}

static void html_summary(out_t *o, const ocspr_status_page_t *page)
{
    ocspr_status_summary_t sum;
    category_t cats[MAX_CATEGORIES];
    int i, n;

    ocspr_status_summarize(&sum, page);
    putf(o, "<section class=\"box\" id=\"summary\"><p><strong>%d certificate%s</strong>",
         sum.total, sum.total == 1 ? "" : "s");
    if (!sum.total) {
        put(o, ": no SSL virtual host has <code>OCSPRefresh On</code>, or mod_ssl primed no "
               "certificate for one.</p></section>\n");
        return;
    }
    put(o, "</p>\n<div class=\"counts\">");
    n = summary_categories(cats, &sum);
    for (i = 0; i < n; i++) {
        putf(o, "<span class=\"pill %s\">%d %s</span>", cats[i].count ? cats[i].cls : "na",
             cats[i].count, cats[i].label);
    }
    put(o, "</div>\n");
    if (sum.soonest_response) {
        html_soonest(o, "Soonest staple expiry", sum.soonest_response,
                     sum.soonest_response->next_update, page->now);
    }
    else {
        put(o, "<p><span class=\"flag bad\">No certificate has a valid OCSP response.</span></p>\n");
    }
    if (sum.soonest_cert) {
        html_soonest(o, "Soonest certificate expiry", sum.soonest_cert,
                     sum.soonest_cert->cert_not_after, page->now);
    }
    put(o, "</section>\n");
}

static const char *row_class(ocspr_status_state_t state)
{
    switch (state) {
    case OCSPR_STATE_REVOKED:
    case OCSPR_STATE_FAILING:
        return "problem";
    case OCSPR_STATE_REFRESH_FAILING:
    case OCSPR_STATE_UNKNOWN:
    case OCSPR_STATE_PENDING:
        return "attention";
    default:
        return "fine";
    }
}

static void html_cert_cell(out_t *o, const ocspr_status_row_t *row, apr_time_t now)
{
    put(o, "<td data-label=\"Certificate\"><div class=\"subject\">");
    H(o, row->subject);
    put(o, "</div>");
    if (row->must_staple) {
        put(o, "<span class=\"badge warn\">MUST-STAPLE</span>");
    }
    put(o, "<dl>");
    dd(o, "Vhosts");
    H(o, vhost_list(o->p, row, ' '));
    end_dd(o);
    dd(o, "Serial");
    put(o, "<code>");
    H(o, row->serial);
    put(o, "</code>");
    end_dd(o);
    dd(o, "Issuer");
    H(o, row->issuer);
    end_dd(o);
    dd(o, "Key");
    H(o, row->key_type);
    end_dd(o);
    if (row->cert_not_after) {
        dd(o, "Expires");
        if (row->cert_not_after <= now) {
            put(o, "<span class=\"flag bad\">CERTIFICATE EXPIRED</span> ");
        }
        html_time_rel(o, row->cert_not_after, now);
        end_dd(o);
    }
    dd(o, "ID");
    put(o, "<code>");
    H(o, row->id);
    put(o, "</code>");
    end_dd(o);
    put(o, "</dl></td>\n");
}

static void html_status_cell(out_t *o, const ocspr_status_row_t *row,
                             ocspr_status_state_t state, apr_time_t now)
{
    put(o, "<td data-label=\"Status\">");
    switch (state) {
    case OCSPR_STATE_GOOD:
        put(o, "<span class=\"badge ok\">GOOD</span><p class=\"why\">Stapled.</p>");
        break;
    case OCSPR_STATE_REFRESH_FAILING:
        putf(o, "<span class=\"badge warn\">REFRESH FAILING</span><p class=\"why\">Still "
                "stapling the response valid until %s; %d attempt%s in a row failed.</p>",
             relative(o->p, row->next_update, now), row->consecutive_failures,
             row->consecutive_failures == 1 ? "" : "s");
        break;
    case OCSPR_STATE_REVOKED:
        put(o, "<span class=\"badge bad\">REVOKED</span><p class=\"why\">");
        if (row->revoked_at) {
            put(o, "Since ");
            html_time(o, row->revoked_at);
            put(o, ", ");
        }
        putf(o, "reason %s. Clients that check the staple refuse this certificate: replace "
                "it.</p>", ocspr_revocation_reason_name(row->revocation_reason));
        break;
    case OCSPR_STATE_UNKNOWN:
        put(o, "<span class=\"badge warn\">UNKNOWN</span><p class=\"why\">The responder does "
               "not know this certificate (stapled as it is).</p>");
        break;
    case OCSPR_STATE_FAILING:
        putf(o, "<span class=\"badge bad\">FAILING</span><p class=\"why\">Nothing to staple: "
                "%d attempt%s in a row failed", row->consecutive_failures,
             row->consecutive_failures == 1 ? "" : "s");
        if (has_response(row)) {
            putf(o, "; the last response expired %s", relative(o->p, row->next_update, now));
        }
        put(o, ".</p>");
        break;
    case OCSPR_STATE_PENDING:
        put(o, "<span class=\"badge warn\">NO RESPONSE YET</span><p class=\"why\">Nothing "
               "stapled until the first fetch succeeds.</p>");
        break;
    default:
        put(o, "<span class=\"badge na\">NOT APPLICABLE</span><p class=\"why\">Not stapled "
               "by mod_ocsp_refresh: ");
        H(o, row->not_applicable ? row->not_applicable : "no OCSP responder");
        put(o, ".</p>");
        break;
    }
    if (row->must_staple && (state == OCSPR_STATE_FAILING || state == OCSPR_STATE_PENDING)) {
        put(o, "<p class=\"why flag bad\">Must-Staple: browsers refuse this site without a "
               "staple.</p>");
    }
    put(o, "</td>\n");
}

static void html_response_cell(out_t *o, const ocspr_status_row_t *row, apr_time_t now)
{
    put(o, "<td data-label=\"OCSP response\">");
    if (!has_response(row)) {
        put(o, "<p class=\"why\">No response held.</p></td>\n");
        return;
    }
    put(o, "<dl>");
    dd(o, "thisUpdate");
    html_time(o, row->this_update);
    end_dd(o);
    dd(o, "nextUpdate");
    html_time(o, row->next_update);
    end_dd(o);
    dd(o, "Time left");
    if (row->next_update > now) {
        putf(o, "<strong>%s</strong>", ocspr_status_duration(o->p, row->next_update - now));
    }
    else {
        putf(o, "<span class=\"flag bad\">EXPIRED</span> %s",
             relative(o->p, row->next_update, now));
    }
    end_dd(o);
    dd(o, "Size");
    putf(o, "%" APR_SIZE_T_FMT " bytes", row->response_len);
    end_dd(o);
    dd(o, "Source");
    H(o, row->source ? row->source : "-");
    if (row->fetched) {
        putf(o, ", obtained %s", relative(o->p, row->fetched, now));
    }
    end_dd(o);
    put(o, "</dl></td>\n");
}

static void html_attempts(out_t *o, const ocspr_status_row_t *row)
{
    const char *sep = "";
    int i;

    for (i = 0; i < OCSPR_OUTCOME_COUNT; i++) {
        if (row->attempts[i]) {
            putf(o, "%s%s %" APR_UINT64_T_FMT, sep, ocspr_outcome_name((ocspr_outcome_t)i),
                 row->attempts[i]);
            sep = ", ";
        }
    }
    if (!*sep) {
        put(o, "none");
    }
}

static void html_refresh_cell(out_t *o, const ocspr_status_row_t *row, apr_time_t now)
{
    put(o, "<td data-label=\"Refresh\">");
    if (!row->responder_url) {
        put(o, "<p class=\"why\">Not fetched.</p></td>\n");
        return;
    }
    put(o, "<dl>");
    dd(o, "Responder");
    put(o, "<code>");
    H(o, row->responder_url);
    put(o, "</code>");
    end_dd(o);
    dd(o, "Next refresh");
    if (row->refresh_requested) {
        put(o, "requested, within seconds");
    }
    else if (row->next_attempt) {
        html_time_rel(o, row->next_attempt, now);
    }
    else {
        put(o, "not scheduled");
    }
    end_dd(o);
    dd(o, "Last attempt");
    if (row->last_attempt) {
        int ok = row->last_outcome == OCSPR_OUTCOME_OK;

        putf(o, "%s: <span class=\"flag %s\">%s</span>", relative(o->p, row->last_attempt, now),
             ok ? "ok" : "bad", ocspr_outcome_name((ocspr_outcome_t)row->last_outcome));
        if (row->last_reason && *row->last_reason) {
            put(o, " &mdash; ");
            H(o, row->last_reason);
        }
    }
    else {
        put(o, "none yet");
    }
    end_dd(o);
    dd(o, "Failures in a row");
    if (row->consecutive_failures) {
        putf(o, "<span class=\"flag bad\">%d</span>", row->consecutive_failures);
    }
    else {
        put(o, "0");
    }
    end_dd(o);
    if (row->last_attempt) {
        dd(o, "Last latency");
        putf(o, "%" APR_INT64_T_FMT " ms", (apr_int64_t)(row->last_latency / 1000));
        end_dd(o);
    }
    dd(o, "Attempts");
    html_attempts(o, row);
    end_dd(o);
    put(o, "</dl></td>\n");
}

static void html_action_cell(out_t *o, const ocspr_status_page_t *page,
                             const ocspr_status_row_t *row)
{
    put(o, "<td data-label=\"Action\">");
    if (row->responder_url) {
        put(o, "<form method=\"post\"><input type=\"hidden\" name=\"action\" value=\"refresh\">"
               "<input type=\"hidden\" name=\"id\" value=\"");
        H(o, row->id);
        put(o, "\"><input type=\"hidden\" name=\"token\" value=\"");
        H(o, page->action_token);
        put(o, "\"><button type=\"submit\">Refresh now</button></form>");
    }
    put(o, "</td>\n");
}

static void html_meta(out_t *o, const ocspr_status_page_t *page)
{
    put(o, "<p class=\"meta\">");
    if (page->server) {
        H(o, page->server);
        put(o, " &middot; ");
    }
    put(o, "generated ");
    html_time(o, page->now);
    if (!page->active) {
        put(o, " &middot; no certificate is being refreshed");
    }
    else if (page->leader_pid) {
        putf(o, " &middot; refreshed by child %ld", page->leader_pid);
        if (page->last_tick) {
            putf(o, ", last check %s", relative(o->p, page->last_tick, page->now));
        }
    }
    else {
        put(o, " &middot; <span class=\"flag warn\">no child refreshes yet</span>");
    }
    put(o, "</p>\n");
}

/* The page lists problems first, so that a glance at its top is enough;
 * ties keep the configuration's order. */
static int severity(ocspr_status_state_t state)
{
    static const int rank[OCSPR_STATE_COUNT] = {
        [OCSPR_STATE_REVOKED] = 0,
        [OCSPR_STATE_FAILING] = 1,
        [OCSPR_STATE_REFRESH_FAILING] = 2,
        [OCSPR_STATE_UNKNOWN] = 3,
        [OCSPR_STATE_PENDING] = 4,
        [OCSPR_STATE_GOOD] = 5,
        [OCSPR_STATE_NOT_APPLICABLE] = 6,
    };

    return rank[state];
}

typedef struct {
    int rank;
    int index;
} row_order_t;

static int by_rank(const void *a, const void *b)
{
    const row_order_t *x = a, *y = b;

    return x->rank != y->rank ? x->rank - y->rank : x->index - y->index;
}

static void html_row(out_t *o, const ocspr_status_page_t *page, const ocspr_status_row_t *row)
{
    ocspr_status_state_t state = ocspr_status_row_state(row, page->now);

    putf(o, "<tr class=\"cert %s\" id=\"cert-%s\" data-state=\"%s\">\n", row_class(state),
         ocspr_status_html_escape(o->p, row->id), ocspr_status_state_name(state));
    html_cert_cell(o, row, page->now);
    html_status_cell(o, row, state, page->now);
    html_response_cell(o, row, page->now);
    html_refresh_cell(o, row, page->now);
    if (page->action_token) {
        html_action_cell(o, page, row);
    }
    put(o, "</tr>\n");
}

void ocspr_status_render_html(const ocspr_status_page_t *page, ocspr_write_fn *write,
                              void *baton, apr_pool_t *p)
{
    row_order_t *order = apr_palloc(p, sizeof(*order) * (apr_size_t)(NROWS(page) + 1));
    out_t o;
    int i;

    out_init(&o, write, baton, p);
    put(&o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta name=\"referrer\" content=\"no-referrer\"><title>OCSP stapling status");
    if (page->server) {
        put(&o, ": ");
        H(&o, page->server);
    }
    putf(&o, "</title>\n<style>%s</style></head>\n<body>\n<h1>OCSP stapling status</h1>\n",
         page_style);
    html_meta(&o, page);
    if (page->notice) {
        put(&o, "<p class=\"box notice\" id=\"notice\">");
        H(&o, page->notice);
        put(&o, "</p>\n");
    }
    html_summary(&o, page);
    if (NROWS(page)) {
        putf(&o, "<table id=\"certificates\"><thead><tr><th class=\"c-cert\">Certificate</th>"
                 "<th class=\"c-status\">Status</th><th class=\"c-resp\">OCSP response</th>"
                 "<th>Refresh</th>%s</tr></thead>\n<tbody>\n",
             page->action_token ? "<th class=\"c-act\">Action</th>" : "");
    }
    for (i = 0; i < NROWS(page); i++) {
        order[i].rank = severity(ocspr_status_row_state(ROW(page, i), page->now));
        order[i].index = i;
    }
    qsort(order, (size_t)NROWS(page), sizeof(*order), by_rank);
    for (i = 0; i < NROWS(page); i++) {
        html_row(&o, page, ROW(page, order[i].index));
        apr_pool_clear(o.p);
    }
    if (NROWS(page)) {
        put(&o, "</tbody></table>\n");
    }
    put(&o, "<p class=\"meta\">Also as <a href=\"?json\">JSON</a> and "
            "<a href=\"?prometheus\">Prometheus metrics</a>.</p>\n</body></html>\n");
    out_done(&o);
}

void ocspr_status_render_html_section(const ocspr_status_page_t *page, ocspr_write_fn *write,
                                      void *baton, apr_pool_t *p)
{
    ocspr_status_summary_t sum;
    category_t cats[MAX_CATEGORIES];
    out_t o;
    int i, n;

    out_init(&o, write, baton, p);
    ocspr_status_summarize(&sum, page);
    putf(&o, "<hr />\n<h2>OCSP stapling (mod_ocsp_refresh)</h2>\n<p>%d certificate%s",
         sum.total, sum.total == 1 ? "" : "s");
    n = sum.total ? summary_categories(cats, &sum) : 0;
    for (i = 0; i < n; i++) {
        putf(&o, "%s%d %s", i ? ", " : ": ", cats[i].count, cats[i].label);
    }
    put(&o, ".");
    if (sum.soonest_response) {
        putf(&o, " Soonest staple expiry: %s.",
             relative(o.p, sum.soonest_response->next_update, page->now));
    }
    put(&o, "</p>\n");
    if (n) {
        put(&o, "<table border=\"0\"><tr><th>Certificate</th><th>Vhosts</th><th>Status</th>"
                "<th>Valid until</th><th>Next refresh</th><th>Last attempt</th>"
                "<th>Failures</th></tr>\n");
    }
    for (i = 0; i < NROWS(page); i++) {
        const ocspr_status_row_t *row = ROW(page, i);
        ocspr_status_state_t state = ocspr_status_row_state(row, page->now);

        put(&o, "<tr><td>");
        H(&o, row->subject);
        put(&o, "</td><td>");
        H(&o, vhost_list(o.p, row, ' '));
        /* mod_status's page has no colours: problems in bold words. */
        putf(&o, state == OCSPR_STATE_GOOD || state == OCSPR_STATE_NOT_APPLICABLE
                 ? "</td><td>%s</td><td>" : "</td><td><b>%s</b></td><td>",
             ocspr_status_state_name(state));
        if (ocspr_status_row_holds_response(row, page->now)) {
            putf(&o, "%s (%s)", ocspr_time_rfc3339(o.p, row->next_update),
                 relative(o.p, row->next_update, page->now));
        }
        put(&o, "</td><td>");
        if (row->responder_url && row->next_attempt) {
            put(&o, relative(o.p, row->next_attempt, page->now));
        }
        put(&o, "</td><td>");
        if (row->last_attempt) {
            putf(&o, "%s: %s", relative(o.p, row->last_attempt, page->now),
                 ocspr_outcome_name((ocspr_outcome_t)row->last_outcome));
        }
        putf(&o, "</td><td>%d</td></tr>\n", row->consecutive_failures);
        apr_pool_clear(o.p);
    }
    if (n) {
        put(&o, "</table>\n");
    }
    out_done(&o);
}

/* --- JSON -------------------------------------------------------------------- */

/* A JSON object being written: members are separated by commas and
 * indented by depth. */
typedef struct {
    out_t *o;
    int depth;
    int first;
} jobj_t;

static void j_key(jobj_t *j, const char *key)
{
    static const char spaces[] = "                ";
    int indent = j->depth * 2 < (int)sizeof(spaces) - 1 ? j->depth * 2 : (int)sizeof(spaces) - 1;

    put(j->o, j->first ? "\n" : ",\n");
    j->first = 0;
    put(j->o, spaces + sizeof(spaces) - 1 - indent);
    putf(j->o, "\"%s\": ", key);
}

static void j_open(jobj_t *child, jobj_t *parent, const char *key, const char *bracket)
{
    if (parent) {
        j_key(parent, key);
    }
    put(parent ? parent->o : child->o, bracket);
    child->depth = parent ? parent->depth + 1 : 1;
    child->first = 1;
    if (parent) {
        child->o = parent->o;
    }
}

static void j_close(jobj_t *j, const char *bracket)
{
    static const char spaces[] = "                ";
    int indent = (j->depth - 1) * 2;

    if (!j->first) {
        put(j->o, "\n");
        put(j->o, spaces + sizeof(spaces) - 1 - (indent < 16 ? indent : 16));
    }
    put(j->o, bracket);
}

static void j_str(jobj_t *j, const char *key, const char *value)
{
    j_key(j, key);
    if (value) {
        putf(j->o, "\"%s\"", ocspr_status_json_escape(j->o->p, value));
    }
    else {
        put(j->o, "null");
    }
}

static void j_int(jobj_t *j, const char *key, apr_int64_t value)
{
    j_key(j, key);
    putf(j->o, "%" APR_INT64_T_FMT, value);
}

static void j_bool(jobj_t *j, const char *key, int value)
{
    j_key(j, key);
    put(j->o, value ? "true" : "false");
}

static void j_null(jobj_t *j, const char *key)
{
    j_key(j, key);
    put(j->o, "null");
}

/* A timestamp as two members: KEY (RFC 3339) and KEY_epoch (seconds);
 * both null when t is 0 or !present. */
static void j_time(jobj_t *j, const char *key, apr_time_t t, int present)
{
    const char *epoch_key = apr_pstrcat(j->o->p, key, "_epoch", NULL);

    if (!t || !present) {
        j_null(j, key);
        j_null(j, epoch_key);
        return;
    }
    j_str(j, key, ocspr_time_rfc3339(j->o->p, t));
    j_int(j, epoch_key, apr_time_sec(t));
}

static void j_seconds_until(jobj_t *j, const char *key, apr_time_t t, int present,
                            apr_time_t now)
{
    if (!t || !present) {
        j_null(j, key);
    }
    else {
        j_int(j, key, seconds_until(t, now));
    }
}

static void json_row(jobj_t *list, const ocspr_status_row_t *row, apr_time_t now)
{
    ocspr_status_state_t state = ocspr_status_row_state(row, now);
    int held = has_response(row), stapled = row->responder_url != NULL;
    int attempted = stapled && row->last_attempt, i;
    jobj_t j, sub;

    put(list->o, list->first ? "\n" : ",\n");
    list->first = 0;
    put(list->o, "    {");
    j.o = list->o;
    j.depth = 3;
    j.first = 1;
    j_str(&j, "id", row->id);
    j_open(&sub, &j, "vhosts", "[");
    for (i = 0; row->vhosts && i < row->vhosts->nelts; i++) {
        putf(sub.o, "%s\"%s\"", i ? ", " : "",
             ocspr_status_json_escape(sub.o->p, APR_ARRAY_IDX(row->vhosts, i, const char *)));
    }
    put(sub.o, "]");
    j_str(&j, "subject", row->subject);
    j_str(&j, "serial", row->serial);
    j_str(&j, "issuer", row->issuer);
    j_str(&j, "key_type", row->key_type);
    j_bool(&j, "must_staple", row->must_staple);
    j_time(&j, "certificate_not_after", row->cert_not_after, 1);
    j_seconds_until(&j, "certificate_seconds_left", row->cert_not_after, 1, now);
    j_str(&j, "responder_url", row->responder_url);
    j_str(&j, "not_applicable_reason", state == OCSPR_STATE_NOT_APPLICABLE
                                       ? (row->not_applicable ? row->not_applicable
                                                              : "no OCSP responder")
                                       : NULL);
    j_str(&j, "state", ocspr_status_state_name(state));
    j_str(&j, "status", ocspr_status_row_status_name(row, now));
    j_time(&j, "revocation_time", row->revoked_at,
           held && row->cert_status == OCSPR_CERT_STATUS_REVOKED);
    j_str(&j, "revocation_reason", held && row->cert_status == OCSPR_CERT_STATUS_REVOKED
                                   ? ocspr_revocation_reason_name(row->revocation_reason) : NULL);
    j_time(&j, "this_update", row->this_update, held);
    j_time(&j, "next_update", row->next_update, held);
    j_time(&j, "produced_at", row->produced_at, held);
    j_seconds_until(&j, "seconds_left", row->next_update, held, now);
    j_time(&j, "fetched", row->fetched, held);
    j_str(&j, "source", held ? row->source : NULL);
    if (held) {
        j_int(&j, "response_size_bytes", (apr_int64_t)row->response_len);
    }
    else {
        j_null(&j, "response_size_bytes");
    }
    j_time(&j, "next_refresh", row->next_attempt, stapled);
    j_seconds_until(&j, "seconds_to_next_refresh", row->next_attempt, stapled, now);
    j_bool(&j, "refresh_requested", row->refresh_requested);
    j_time(&j, "last_attempt", row->last_attempt, attempted);
    j_str(&j, "last_outcome", attempted
                              ? ocspr_outcome_name((ocspr_outcome_t)row->last_outcome) : NULL);
    j_str(&j, "last_reason", attempted ? row->last_reason : NULL);
    j_key(&j, "last_fetch_latency_seconds");
    if (attempted) {
        putf(j.o, "%.3f", (double)row->last_latency / APR_USEC_PER_SEC);
    }
    else {
        put(j.o, "null");
    }
    j_int(&j, "consecutive_failures", row->consecutive_failures);
    j_open(&sub, &j, "fetch_attempts", "{");
    for (i = 0; i < OCSPR_OUTCOME_COUNT; i++) {
        if (row->attempts[i]) {
            j_int(&sub, ocspr_outcome_name((ocspr_outcome_t)i), (apr_int64_t)row->attempts[i]);
        }
    }
    j_close(&sub, "}");
    j_int(&j, "fetch_failures", (apr_int64_t)failures_total(row));
    j_close(&j, "}");
}

void ocspr_status_render_json(const ocspr_status_page_t *page, ocspr_write_fn *write,
                              void *baton, apr_pool_t *p)
{
    ocspr_status_summary_t sum;
    jobj_t top, sub;
    out_t o;
    int i;

    out_init(&o, write, baton, p);
    ocspr_status_summarize(&sum, page);
    top.o = &o;
    j_open(&top, NULL, NULL, "{");
    j_str(&top, "module", "mod_ocsp_refresh");
    j_str(&top, "server", page->server);
    j_time(&top, "generated", page->now, 1);
    j_bool(&top, "active", page->active);
    if (page->leader_pid) {
        j_int(&top, "leader_pid", page->leader_pid);
    }
    else {
        j_null(&top, "leader_pid");
    }
    j_time(&top, "leader_since", page->leader_since, page->leader_pid != 0);
    j_time(&top, "last_check", page->last_tick, 1);

    j_open(&sub, &top, "summary", "{");
    j_int(&sub, "certificates", sum.total);
    j_int(&sub, "stapled", sum.stapled);
    for (i = 0; i < OCSPR_STATE_COUNT; i++) {
        j_int(&sub, state_names[i].name, sum.by_state[i]);
    }
    j_time(&sub, "soonest_response_expiry",
           sum.soonest_response ? sum.soonest_response->next_update : 0, 1);
    j_str(&sub, "soonest_response_expiry_id", sum.soonest_response ? sum.soonest_response->id
                                                                    : NULL);
    j_time(&sub, "soonest_certificate_expiry",
           sum.soonest_cert ? sum.soonest_cert->cert_not_after : 0, 1);
    j_str(&sub, "soonest_certificate_expiry_id", sum.soonest_cert ? sum.soonest_cert->id : NULL);
    j_close(&sub, "}");

    j_open(&sub, &top, "certificates", "[");
    sub.depth = 2;
    for (i = 0; i < NROWS(page); i++) {
        json_row(&sub, ROW(page, i), page->now);
        apr_pool_clear(o.p);
    }
    j_close(&sub, "]");
    j_close(&top, "}");
    put(&o, "\n");
    out_done(&o);
}

/* --- Prometheus -------------------------------------------------------------- */

static void prom_family(out_t *o, const char *name, const char *type, const char *help)
{
    putf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

typedef enum { SAMPLE_ALL, SAMPLE_STAPLED, SAMPLE_HELD, SAMPLE_ATTEMPTED } sample_when_t;

static int sample_applies(const ocspr_status_row_t *row, sample_when_t when)
{
    switch (when) {
    case SAMPLE_STAPLED:
        return row->responder_url != NULL && !row->not_applicable;
    case SAMPLE_HELD:
        return has_response(row) && row->responder_url != NULL;
    case SAMPLE_ATTEMPTED:
        return row->responder_url != NULL && row->last_attempt != 0;
    default:
        return 1;
    }
}

/* A per-certificate gauge: one sample per row that `when` selects. */
static void prom_gauge(out_t *o, const ocspr_status_page_t *page, const char **labels,
                       const char *name, const char *help, sample_when_t when,
                       apr_int64_t (*value)(const ocspr_status_row_t *, apr_time_t))
{
    int i;

    prom_family(o, name, "gauge", help);
    for (i = 0; i < NROWS(page); i++) {
        const ocspr_status_row_t *row = ROW(page, i);

        if (sample_applies(row, when)) {
            putf(o, "%s{%s} %" APR_INT64_T_FMT "\n", name, labels[i], value(row, page->now));
        }
    }
}

static apr_int64_t v_valid_seconds(const ocspr_status_row_t *r, apr_time_t now)
{
    return seconds_until(r->next_update, now);
}

static apr_int64_t v_next_update(const ocspr_status_row_t *r, apr_time_t now)
{
    return apr_time_sec(r->next_update);
}

static apr_int64_t v_next_refresh(const ocspr_status_row_t *r, apr_time_t now)
{
    return r->refresh_requested || !r->next_attempt ? 0 : seconds_until(r->next_attempt, now);
}

static apr_int64_t v_cert_expiry(const ocspr_status_row_t *r, apr_time_t now)
{
    return seconds_until(r->cert_not_after, now);
}

static apr_int64_t v_failures(const ocspr_status_row_t *r, apr_time_t now)
{
    return r->consecutive_failures;
}

static apr_int64_t v_size(const ocspr_status_row_t *r, apr_time_t now)
{
    return (apr_int64_t)r->response_len;
}

static apr_int64_t v_last_attempt(const ocspr_status_row_t *r, apr_time_t now)
{
    return apr_time_sec(r->last_attempt);
}

void ocspr_status_render_prometheus(const ocspr_status_page_t *page, ocspr_write_fn *write,
                                    void *baton, apr_pool_t *p)
{
    ocspr_status_summary_t sum;
    const char **labels;
    out_t o;
    int i, k;

    out_init(&o, write, baton, p);
    ocspr_status_summarize(&sum, page);
    /* Every per-certificate series carries the id (stable, unique) and the
     * subject (for people reading an alert). */
    labels = apr_palloc(p, sizeof(*labels) * (apr_size_t)(NROWS(page) + 1));
    for (i = 0; i < NROWS(page); i++) {
        labels[i] = apr_psprintf(p, "id=\"%s\",subject=\"%s\"",
                                 ocspr_status_prom_escape(p, ROW(page, i)->id),
                                 ocspr_status_prom_escape(p, ROW(page, i)->subject));
    }

    prom_family(&o, "ocsp_refresh_active", "gauge",
                "1 when mod_ocsp_refresh staples at least one certificate.");
    putf(&o, "ocsp_refresh_active %d\n", page->active ? 1 : 0);
    prom_family(&o, "ocsp_refresh_certificates", "gauge",
                "Certificates of vhosts with OCSPRefresh On, by state.");
    for (i = 0; i < OCSPR_STATE_COUNT; i++) {
        putf(&o, "ocsp_refresh_certificates{state=\"%s\"} %d\n", state_names[i].name,
             sum.by_state[i]);
    }
    if (page->last_tick) {
        prom_family(&o, "ocsp_refresh_last_check_timestamp_seconds", "gauge",
                    "When the refreshing child last checked every certificate (Unix time).");
        putf(&o, "ocsp_refresh_last_check_timestamp_seconds %" APR_INT64_T_FMT "\n",
             (apr_int64_t)apr_time_sec(page->last_tick));
    }
    if (!NROWS(page)) {
        out_done(&o);
        return;
    }

    prom_family(&o, "ocsp_refresh_certificate_info", "gauge",
                "Facts about each certificate; the value is always 1.");
    for (i = 0; i < NROWS(page); i++) {
        const ocspr_status_row_t *row = ROW(page, i);

        putf(&o, "ocsp_refresh_certificate_info{%s,serial=\"%s\",issuer=\"%s\",key_type=\"%s\","
                 "responder=\"%s\",vhosts=\"%s\",must_staple=\"%s\"} 1\n", labels[i],
             ocspr_status_prom_escape(o.p, row->serial),
             ocspr_status_prom_escape(o.p, row->issuer),
             ocspr_status_prom_escape(o.p, row->key_type),
             ocspr_status_prom_escape(o.p, row->responder_url),
             ocspr_status_prom_escape(o.p, vhost_list(o.p, row, ',')),
             row->must_staple ? "true" : "false");
        apr_pool_clear(o.p);
    }

    prom_family(&o, "ocsp_refresh_certificate_status", "gauge",
                "1 for the certificate's current OCSP status (good, revoked, unknown, none: "
                "nothing valid to staple, not_applicable), 0 for the others.");
    for (i = 0; i < NROWS(page); i++) {
        const char *status = ocspr_status_row_status_name(ROW(page, i), page->now);

        for (k = 0; k < (int)(sizeof(status_names) / sizeof(status_names[0])); k++) {
            putf(&o, "ocsp_refresh_certificate_status{%s,status=\"%s\"} %d\n", labels[i],
                 status_names[k], strcmp(status, status_names[k]) ? 0 : 1);
        }
        apr_pool_clear(o.p);
    }

    prom_gauge(&o, page, labels, "ocsp_refresh_response_valid_seconds",
               "Seconds until the held response's nextUpdate (negative: expired).",
               SAMPLE_HELD, v_valid_seconds);
    prom_gauge(&o, page, labels, "ocsp_refresh_response_next_update_timestamp_seconds",
               "The held response's nextUpdate (Unix time).", SAMPLE_HELD, v_next_update);
    prom_gauge(&o, page, labels, "ocsp_refresh_response_size_bytes",
               "Size of the held response (DER).", SAMPLE_HELD, v_size);
    prom_gauge(&o, page, labels, "ocsp_refresh_next_refresh_seconds",
               "Seconds until the next fetch attempt (0: due or requested now).",
               SAMPLE_STAPLED, v_next_refresh);
    prom_gauge(&o, page, labels, "ocsp_refresh_certificate_expiry_seconds",
               "Seconds until the certificate's own notAfter (negative: expired).",
               SAMPLE_ALL, v_cert_expiry);
    prom_gauge(&o, page, labels, "ocsp_refresh_consecutive_failures",
               "Fetch attempts that failed in a row (0 after a success).", SAMPLE_STAPLED,
               v_failures);
    prom_gauge(&o, page, labels, "ocsp_refresh_last_attempt_timestamp_seconds",
               "When the last fetch attempt ended (Unix time).", SAMPLE_ATTEMPTED,
               v_last_attempt);

    prom_family(&o, "ocsp_refresh_last_fetch_latency_seconds", "gauge",
                "Duration of the last fetch attempt.");
    for (i = 0; i < NROWS(page); i++) {
        if (sample_applies(ROW(page, i), SAMPLE_ATTEMPTED)) {
            putf(&o, "ocsp_refresh_last_fetch_latency_seconds{%s} %.6f\n", labels[i],
                 (double)ROW(page, i)->last_latency / APR_USEC_PER_SEC);
        }
    }

    prom_family(&o, "ocsp_refresh_fetch_attempts_total", "counter",
                "Fetch attempts since the server started, by outcome (ok or the failure's "
                "class).");
    for (i = 0; i < NROWS(page); i++) {
        const ocspr_status_row_t *row = ROW(page, i);

        if (!sample_applies(row, SAMPLE_STAPLED)) {
            continue;
        }
        for (k = 0; k < OCSPR_OUTCOME_COUNT; k++) {
            /* ok always, so that every stapled certificate has the family. */
            if (row->attempts[k] || k == OCSPR_OUTCOME_OK) {
                putf(&o, "ocsp_refresh_fetch_attempts_total{%s,outcome=\"%s\"} %"
                         APR_UINT64_T_FMT "\n", labels[i],
                     ocspr_outcome_name((ocspr_outcome_t)k), row->attempts[k]);
            }
        }
    }
    prom_family(&o, "ocsp_refresh_fetch_failures_total", "counter",
                "Failed fetch attempts since the server started.");
    for (i = 0; i < NROWS(page); i++) {
        if (sample_applies(ROW(page, i), SAMPLE_STAPLED)) {
            putf(&o, "ocsp_refresh_fetch_failures_total{%s} %" APR_UINT64_T_FMT "\n", labels[i],
                 failures_total(ROW(page, i)));
        }
    }
    out_done(&o);
}

/* --- mod_status ?auto ---------------------------------------------------------- */

#define A(o, s) put((o), ocspr_status_auto_escape((o)->p, (s)))

void ocspr_status_render_auto(const ocspr_status_page_t *page, ocspr_write_fn *write,
                              void *baton, apr_pool_t *p)
{
    ocspr_status_summary_t sum;
    out_t o;
    int i;

    out_init(&o, write, baton, p);
    ocspr_status_summarize(&sum, page);
    putf(&o, "OCSPRefreshActive: %d\n", page->active ? 1 : 0);
    putf(&o, "OCSPRefreshCertificates: %d\n", sum.total);
    putf(&o, "OCSPRefreshStapled: %d\n", sum.stapled);
    for (i = 0; i < OCSPR_STATE_COUNT; i++) {
        putf(&o, "OCSPRefresh%s: %d\n", state_names[i].camel, sum.by_state[i]);
    }
    if (sum.soonest_response) {
        putf(&o, "OCSPRefreshSoonestExpirySeconds: %" APR_INT64_T_FMT "\n",
             seconds_until(sum.soonest_response->next_update, page->now));
    }
    for (i = 0; i < NROWS(page); i++) {
        const ocspr_status_row_t *row = ROW(page, i);
        const char *k = apr_psprintf(o.p, "OCSPRefreshCert%d", i);
        int attempted = row->responder_url && row->last_attempt;

        putf(&o, "%sId: ", k);
        A(&o, row->id);
        putf(&o, "\n%sSubject: ", k);
        A(&o, row->subject);
        putf(&o, "\n%sVhosts: ", k);
        A(&o, vhost_list(o.p, row, ' '));
        putf(&o, "\n%sState: %s\n", k,
             ocspr_status_state_name(ocspr_status_row_state(row, page->now)));
        putf(&o, "%sStatus: %s\n", k, ocspr_status_row_status_name(row, page->now));
        if (ocspr_status_row_holds_response(row, page->now)) {
            putf(&o, "%sNextUpdate: %s\n", k, ocspr_time_rfc3339(o.p, row->next_update));
            putf(&o, "%sValidSeconds: %" APR_INT64_T_FMT "\n", k,
                 seconds_until(row->next_update, page->now));
        }
        if (row->responder_url && row->next_attempt) {
            putf(&o, "%sNextRefreshSeconds: %" APR_INT64_T_FMT "\n", k,
                 row->refresh_requested ? 0 : seconds_until(row->next_attempt, page->now));
        }
        if (attempted) {
            putf(&o, "%sLastOutcome: %s\n", k,
                 ocspr_outcome_name((ocspr_outcome_t)row->last_outcome));
        }
        putf(&o, "%sConsecutiveFailures: %d\n", k, row->consecutive_failures);
        apr_pool_clear(o.p);
    }
    out_done(&o);
}
