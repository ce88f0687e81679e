/* The status page's query string (?json, ?state=failing&vhost=a.example,
 * ...) and the filter it selects: parsed here, in the core, so that every
 * rule is unit-tested and the parser is fuzzed with the renderers. */
#include <stdlib.h>
#include <apr_lib.h>

#include "ocspr_status_int.h"

/* --- filters ------------------------------------------------------------------ */

int ocspr_status_filter_active(const ocspr_status_filter_t *filter)
{
    return filter && (filter->states || filter->vhost || filter->id);
}

/* "a.example" matches the vhost "a.example:443"; "a.example:443" only it. */
static int vhost_matches(const char *want, const char *vhost)
{
    const char *colon = strrchr(vhost, ':');
    apr_size_t name_len = colon ? (apr_size_t)(colon - vhost) : strlen(vhost);

    if (!strcasecmp(want, vhost)) {
        return 1;
    }
    return strlen(want) == name_len && !strncasecmp(want, vhost, name_len);
}

int ocspr_status_filter_matches(const ocspr_status_filter_t *filter,
                                const ocspr_status_row_t *row, apr_time_t now)
{
    int i, found;

    if (!filter) {
        return 1;
    }
    if (filter->states && !(filter->states & (1u << ocspr_status_row_state(row, now)))) {
        return 0;
    }
    if (filter->id && (!row->id || strncasecmp(row->id, filter->id, strlen(filter->id)))) {
        return 0;
    }
    if (filter->vhost) {
        for (i = 0, found = 0; row->vhosts && i < row->vhosts->nelts && !found; i++) {
            const char *v = APR_ARRAY_IDX(row->vhosts, i, const char *);

            found = v && vhost_matches(filter->vhost, v);
        }
        if (!found) {
            return 0;
        }
    }
    return 1;
}

/* --- the query string ------------------------------------------------------------ */

/* The longest vhost= value: a host name is at most 253 bytes, a port 5. */
#define QUERY_VHOST_MAX 260
#define QUERY_PAGE_MAX 1000000

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode %XX and '+' in place; 0 on a malformed escape or an encoded NUL. */
static int percent_decode(char *s)
{
    char *w = s;

    for (; *s; s++) {
        if (*s == '+') {
            *w++ = ' ';
        }
        else if (*s == '%') {
            int hi = hex_value(s[1]), lo = hi < 0 ? -1 : hex_value(s[2]);

            if (lo < 0 || (hi == 0 && lo == 0)) {
                return 0;
            }
            *w++ = (char)(hi * 16 + lo);
            s += 2;
        }
        else {
            *w++ = *s;
        }
    }
    *w = '\0';
    return 1;
}

static const char *state_list(apr_pool_t *p)
{
    const char *list = "problems";
    int i;

    for (i = 0; i < OCSPR_STATE_COUNT; i++) {
        list = apr_pstrcat(p, list, ", ", ocspr_status_state_name((ocspr_status_state_t)i), NULL);
    }
    return list;
}

/* state=NAME[,NAME...] */
static const char *parse_states(unsigned *states, apr_pool_t *p, char *value)
{
    char *last, *name;
    int i;

    for (name = apr_strtok(value, ",", &last); name; name = apr_strtok(NULL, ",", &last)) {
        if (!strcmp(name, "problems")) {
            for (i = 0; i < OCSPR_STATE_COUNT; i++) {
                if (ocspr_status_state_needs_attention((ocspr_status_state_t)i)) {
                    *states |= 1u << i;
                }
            }
            continue;
        }
        for (i = 0; i < OCSPR_STATE_COUNT
                    && strcmp(name, ocspr_status_state_name((ocspr_status_state_t)i)); i++) {
        }
        if (i == OCSPR_STATE_COUNT) {
            return apr_psprintf(p, "state=%s: unknown state (known: %s)",
                                ocspr_status_auto_escape(p, name), state_list(p));
        }
        *states |= 1u << i;
    }
    return NULL;
}

static const char *parse_id(const char **id, apr_pool_t *p, const char *value)
{
    apr_size_t i, n = strlen(value);

    for (i = 0; i < n && hex_value(value[i]) >= 0; i++) {
    }
    if (n == 0 || i < n || n > 40) {
        return apr_psprintf(p, "id=%s: an id is 1 to 40 hex digits (a prefix of the "
                            "certificate's SHA-1 id)", ocspr_status_auto_escape(p, value));
    }
    *id = value;
    return NULL;
}

static const char *parse_vhost(const char **vhost, apr_pool_t *p, const char *value)
{
    const unsigned char *c;

    for (c = (const unsigned char *)value; *c; c++) {
        if (*c <= 0x20 || *c == 0x7f) {
            break;
        }
    }
    if (!*value || *c || strlen(value) > QUERY_VHOST_MAX) {
        return apr_psprintf(p, "vhost=%s: a vhost is a host name or name:port, without "
                            "spaces or control characters, at most %d bytes",
                            ocspr_status_auto_escape(p, value), QUERY_VHOST_MAX);
    }
    *vhost = value;
    return NULL;
}

static const char *parse_page(int *page, apr_pool_t *p, const char *value)
{
    char *end;
    long n = strtol(value, &end, 10);

    if (!*value || *end || n < 1 || n > QUERY_PAGE_MAX || !apr_isdigit(*value)) {
        return apr_psprintf(p, "page=%s: a page is a number from 1",
                            ocspr_status_auto_escape(p, value));
    }
    *page = (int)n;
    return NULL;
}

const char *ocspr_status_parse_query(ocspr_status_query_t *q, apr_pool_t *p, const char *args)
{
    char *copy = args ? apr_pstrdup(p, args) : NULL, *last, *word, *value;
    int format_set = 0;
    const char *why = NULL;

    memset(q, 0, sizeof(*q));
    for (word = copy ? apr_strtok(copy, "&;", &last) : NULL; word && !why;
         word = apr_strtok(NULL, "&;", &last)) {
        value = strchr(word, '=');
        if (value) {
            *value++ = '\0';
        }
        if (!percent_decode(word) || (value && !percent_decode(value))) {
            return apr_psprintf(p, "%s: a malformed %%-escape or an encoded NUL byte",
                                ocspr_status_auto_escape(p, word));
        }
        if (!strcmp(word, "json") || !strcmp(word, "prometheus")) {
            if (!format_set) {
                q->format = *word == 'j' ? OCSPR_STATUS_FORMAT_JSON
                                         : OCSPR_STATUS_FORMAT_PROMETHEUS;
                format_set = 1;
            }
        }
        else if (!strcmp(word, "action") || !strcmp(word, "token")) {
            q->has_action = 1;
        }
        else if (!strcmp(word, "requested")) {
            q->requested = value;
        }
        else if (!value || !*value) {
            /* An empty field of the filter form: no filter on it. */
        }
        else if (!strcmp(word, "state")) {
            why = parse_states(&q->filter.states, p, value);
        }
        else if (!strcmp(word, "vhost")) {
            why = parse_vhost(&q->filter.vhost, p, value);
        }
        else if (!strcmp(word, "id")) {
            why = parse_id(&q->filter.id, p, value);
        }
        else if (!strcmp(word, "page")) {
            why = parse_page(&q->filter.page, p, value);
        }
    }
    return why;
}

/* Everything but unreserved characters is %XX. */
static const char *query_encode(apr_pool_t *p, const char *s)
{
    static const char digits[] = "0123456789ABCDEF";
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *w = out;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (apr_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':') {
            *w++ = (char)c;
        }
        else {
            *w++ = '%';
            *w++ = digits[c >> 4];
            *w++ = digits[c & 15];
        }
    }
    *w = '\0';
    return out;
}

const char *ocspr_status_filter_query(apr_pool_t *p, const ocspr_status_filter_t *filter,
                                      int page)
{
    const char *q = "", *sep = "";
    int i;

    if (filter && filter->states) {
        q = "state=";
        for (i = 0; i < OCSPR_STATE_COUNT; i++) {
            if (filter->states & (1u << i)) {
                q = apr_pstrcat(p, q, sep, ocspr_status_state_name((ocspr_status_state_t)i), NULL);
                sep = ",";
            }
        }
    }
    sep = *q ? "&" : "";
    if (filter && filter->vhost) {
        q = apr_pstrcat(p, q, sep, "vhost=", query_encode(p, filter->vhost), NULL);
        sep = "&";
    }
    if (filter && filter->id) {
        q = apr_pstrcat(p, q, sep, "id=", query_encode(p, filter->id), NULL);
        sep = "&";
    }
    if (page > 0) {
        q = apr_psprintf(p, "%s%spage=%d", q, sep, page);
    }
    return q;
}
