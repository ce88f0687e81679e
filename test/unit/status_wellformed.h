/* Judges of the status renderers' output, shared by the unit tests
 * (check_status.c) and the fuzz target (test/fuzz/fuzz_status.c): each says
 * whether a text is well formed in its format and, when not, why and where.
 * Strict on purpose: what they accept, a strict consumer accepts.
 *
 *   status_wf_utf8        the whole text is valid UTF-8
 *   status_wf_json        RFC 8259 JSON, one value, no duplicate keys
 *   status_wf_prometheus  text format 0.0.4 as the renderer writes it
 *   status_wf_auto        mod_status ?auto lines "OCSPRefreshKey: value"
 *   status_wf_html        the renderer's HTML: known tags only, attributes
 *                         quoted without < > ", entities well formed,
 *                         elements balanced, no raw '>' in text
 *
 * Each returns NULL when the text is well formed, else a constant reason,
 * with *where (when not NULL) set to the offending position. Header-only
 * (static functions): two programs with different build setups use it. */
#ifndef OCSPR_STATUS_WELLFORMED_H
#define OCSPR_STATUS_WELLFORMED_H

#include <stddef.h>
#include <string.h>

/* In the fuzz target, coverage should lead to new paths in the renderers,
 * not in their judges (and tracing every comparison here would cost most
 * of each run). */
#if defined(__clang__)
#define STATUS_WF_NOCOV __attribute__((no_sanitize("coverage")))
#else
#define STATUS_WF_NOCOV
#endif

STATUS_WF_NOCOV
static const char *status_wf_fail(const char **where, const char *at, const char *why)
{
    if (where) {
        *where = at;
    }
    return why;
}

/* --- UTF-8 ------------------------------------------------------------------- */

STATUS_WF_NOCOV
static const char *status_wf_utf8(const char *text, size_t len, const char **where)
{
    const unsigned char *u = (const unsigned char *)text, *end = u + len;

    while (u < end) {
        unsigned long cp;
        int n, i;

        if (*u < 0x80) {
            u++;
            continue;
        }
        n = (*u & 0xE0) == 0xC0 ? 2 : (*u & 0xF0) == 0xE0 ? 3 : (*u & 0xF8) == 0xF0 ? 4 : 0;
        if (!n || end - u < n) {
            return status_wf_fail(where, (const char *)u, "invalid UTF-8 lead byte");
        }
        cp = *u & (0x7F >> n);
        for (i = 1; i < n; i++) {
            if ((u[i] & 0xC0) != 0x80) {
                return status_wf_fail(where, (const char *)u, "invalid UTF-8 continuation");
            }
            cp = (cp << 6) | (u[i] & 0x3F);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)
            || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return status_wf_fail(where, (const char *)u, "overlong, surrogate or too large");
        }
        u += n;
    }
    return NULL;
}

/* --- JSON (RFC 8259) ------------------------------------------------------------ */

#define STATUS_WF_JSON_DEPTH 32
#define STATUS_WF_JSON_KEYS 128

typedef struct {
    const char *s, *end;
    const char *why, *at;
} status_wf_json_t;

STATUS_WF_NOCOV
static int status_wf_json_err(status_wf_json_t *j, const char *why)
{
    if (!j->why) {
        j->why = why;
        j->at = j->s;
    }
    return 0;
}

STATUS_WF_NOCOV
static void status_wf_json_ws(status_wf_json_t *j)
{
    while (j->s < j->end && (*j->s == ' ' || *j->s == '\t' || *j->s == '\n' || *j->s == '\r')) {
        j->s++;
    }
}

STATUS_WF_NOCOV
static int status_wf_is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

STATUS_WF_NOCOV
static int status_wf_json_string(status_wf_json_t *j)
{
    j->s++;                             /* the opening quote */
    while (j->s < j->end) {
        unsigned char c = (unsigned char)*j->s;

        if (c == '"') {
            j->s++;
            return 1;
        }
        if (c < 0x20) {
            return status_wf_json_err(j, "raw control character in a string");
        }
        if (c == '\\') {
            if (j->end - j->s < 2) {
                break;
            }
            if (j->s[1] == 'u') {
                int i;

                if (j->end - j->s < 6) {
                    break;
                }
                for (i = 2; i < 6; i++) {
                    if (!status_wf_is_hex(j->s[i])) {
                        return status_wf_json_err(j, "bad \\u escape");
                    }
                }
                j->s += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", j->s[1]) || !j->s[1]) {
                return status_wf_json_err(j, "bad escape in a string");
            }
            j->s += 2;
            continue;
        }
        j->s++;
    }
    return status_wf_json_err(j, "unterminated string");
}

STATUS_WF_NOCOV
static int status_wf_json_digits(status_wf_json_t *j)
{
    const char *start = j->s;

    while (j->s < j->end && *j->s >= '0' && *j->s <= '9') {
        j->s++;
    }
    return j->s > start;
}

STATUS_WF_NOCOV
static int status_wf_json_number(status_wf_json_t *j)
{
    if (*j->s == '-') {
        j->s++;
    }
    if (j->s < j->end && *j->s == '0') {
        j->s++;
    }
    else if (!status_wf_json_digits(j)) {
        return status_wf_json_err(j, "bad number");
    }
    if (j->s < j->end && *j->s == '.') {
        j->s++;
        if (!status_wf_json_digits(j)) {
            return status_wf_json_err(j, "bad fraction");
        }
    }
    if (j->s < j->end && (*j->s == 'e' || *j->s == 'E')) {
        j->s++;
        if (j->s < j->end && (*j->s == '+' || *j->s == '-')) {
            j->s++;
        }
        if (!status_wf_json_digits(j)) {
            return status_wf_json_err(j, "bad exponent");
        }
    }
    return 1;
}

STATUS_WF_NOCOV
static int status_wf_json_value(status_wf_json_t *j, int depth);

STATUS_WF_NOCOV
static int status_wf_json_literal(status_wf_json_t *j, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(j->end - j->s) < n || memcmp(j->s, word, n)) {
        return status_wf_json_err(j, "unexpected character");
    }
    j->s += n;
    return 1;
}

/* [ value, ... ] or { "key": value, ... }: keys unique within an object. */
STATUS_WF_NOCOV
static int status_wf_json_container(status_wf_json_t *j, int depth, char close)
{
    const char *keys[STATUS_WF_JSON_KEYS];
    size_t key_len[STATUS_WF_JSON_KEYS];
    int nkeys = 0, i;

    if (depth > STATUS_WF_JSON_DEPTH) {
        return status_wf_json_err(j, "nested too deep");
    }
    j->s++;
    status_wf_json_ws(j);
    if (j->s < j->end && *j->s == close) {
        j->s++;
        return 1;
    }
    for (;;) {
        status_wf_json_ws(j);
        if (close == '}') {
            const char *key = j->s;

            if (j->s >= j->end || *j->s != '"') {
                return status_wf_json_err(j, "object key is not a string");
            }
            if (!status_wf_json_string(j)) {
                return 0;
            }
            for (i = 0; i < nkeys; i++) {
                if (key_len[i] == (size_t)(j->s - key) && !memcmp(keys[i], key, key_len[i])) {
                    j->s = key;
                    return status_wf_json_err(j, "duplicate key in an object");
                }
            }
            if (nkeys < STATUS_WF_JSON_KEYS) {
                keys[nkeys] = key;
                key_len[nkeys++] = (size_t)(j->s - key);
            }
            status_wf_json_ws(j);
            if (j->s >= j->end || *j->s != ':') {
                return status_wf_json_err(j, "no ':' after a key");
            }
            j->s++;
        }
        if (!status_wf_json_value(j, depth + 1)) {
            return 0;
        }
        status_wf_json_ws(j);
        if (j->s < j->end && *j->s == ',') {
            j->s++;
            continue;
        }
        if (j->s < j->end && *j->s == close) {
            j->s++;
            return 1;
        }
        return status_wf_json_err(j, "expected ',' or the closing bracket");
    }
}

STATUS_WF_NOCOV
static int status_wf_json_value(status_wf_json_t *j, int depth)
{
    status_wf_json_ws(j);
    if (j->s >= j->end) {
        return status_wf_json_err(j, "a value is missing");
    }
    switch (*j->s) {
    case '{':
        return status_wf_json_container(j, depth, '}');
    case '[':
        return status_wf_json_container(j, depth, ']');
    case '"':
        return status_wf_json_string(j);
    case 't':
        return status_wf_json_literal(j, "true");
    case 'f':
        return status_wf_json_literal(j, "false");
    case 'n':
        return status_wf_json_literal(j, "null");
    default:
        if (*j->s == '-' || (*j->s >= '0' && *j->s <= '9')) {
            return status_wf_json_number(j);
        }
        return status_wf_json_err(j, "unexpected character");
    }
}

STATUS_WF_NOCOV
static const char *status_wf_json(const char *text, size_t len, const char **where)
{
    status_wf_json_t j = { text, text + len, NULL, NULL };
    const char *why = status_wf_utf8(text, len, where);

    if (why) {
        return why;
    }
    if (status_wf_json_value(&j, 0)) {
        status_wf_json_ws(&j);
        if (j.s != j.end) {
            status_wf_json_err(&j, "text after the value");
        }
    }
    return j.why ? status_wf_fail(where, j.at, j.why) : NULL;
}

/* --- Prometheus text format 0.0.4 ------------------------------------------------- */

STATUS_WF_NOCOV
static int status_wf_name_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'
           || (!first && c >= '0' && c <= '9');
}

/* Comment lines are HELP or TYPE (gauge/counter); samples are
 * name{label="value",...} number; label values use only the \\ \" \n
 * escapes; each sample belongs to the family of the last TYPE line (the
 * family name, or it plus _total for a counter written so). */
STATUS_WF_NOCOV
static const char *status_wf_prometheus(const char *text, size_t len, const char **where)
{
    const char *line = text, *end = text + len, *family = NULL;
    size_t family_len = 0;
    int samples = 0;
    const char *why = status_wf_utf8(text, len, where);

    if (why) {
        return why;
    }
    while (line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line)), *c = line;

        if (!eol) {
            return status_wf_fail(where, line, "last line has no newline");
        }
        if (!strncmp(line, "# HELP ", 7)) {
            for (c = line + 7; c < eol; c++) {
                if ((unsigned char)*c < 0x20) {
                    return status_wf_fail(where, c, "control character in HELP");
                }
            }
        }
        else if (!strncmp(line, "# TYPE ", 7)) {
            const char *name = line + 7, *sp;

            for (sp = name; sp < eol && status_wf_name_char(*sp, sp == name); sp++) {
            }
            if (sp == name || sp >= eol || *sp != ' '
                || !((eol - sp == 6 && !memcmp(sp, " gauge", 6))
                     || (eol - sp == 8 && !memcmp(sp, " counter", 8)))) {
                return status_wf_fail(where, line, "bad TYPE line");
            }
            family = name;
            family_len = (size_t)(sp - name);
        }
        else {
            const char *name = line;

            while (c < eol && status_wf_name_char(*c, c == name)) {
                c++;
            }
            if (c == name || !family || (size_t)(c - name) != family_len
                || memcmp(name, family, family_len)) {
                return status_wf_fail(where, line, "sample outside its family");
            }
            if (c < eol && *c == '{') {
                c++;
                while (c < eol && *c != '}') {
                    const char *label = c;

                    while (c < eol && status_wf_name_char(*c, c == label) && *c != ':') {
                        c++;
                    }
                    if (c == label || eol - c < 2 || c[0] != '=' || c[1] != '"') {
                        return status_wf_fail(where, c, "bad label");
                    }
                    for (c += 2; c < eol && *c != '"'; c++) {
                        if ((unsigned char)*c < 0x20) {
                            return status_wf_fail(where, c, "control character in a label value");
                        }
                        if (*c == '\\') {
                            if (c + 1 >= eol || !strchr("\\\"n", c[1]) || !c[1]) {
                                return status_wf_fail(where, c, "bad escape in a label value");
                            }
                            c++;
                        }
                    }
                    if (c >= eol) {
                        return status_wf_fail(where, line, "unterminated label value");
                    }
                    c++;
                    if (c < eol && *c == ',') {
                        c++;
                    }
                    else if (c >= eol || *c != '}') {
                        return status_wf_fail(where, c, "bad label list");
                    }
                }
                if (c >= eol) {
                    return status_wf_fail(where, line, "unterminated label list");
                }
                c++;
            }
            if (c >= eol || *c != ' ') {
                return status_wf_fail(where, c, "no value");
            }
            c++;
            if (c < eol && *c == '-') {
                c++;
            }
            if (c >= eol || !(*c >= '0' && *c <= '9')) {
                return status_wf_fail(where, c, "bad value");
            }
            while (c < eol && ((*c >= '0' && *c <= '9') || *c == '.')) {
                c++;
            }
            if (c != eol) {
                return status_wf_fail(where, c, "bad value");
            }
            samples++;
        }
        line = eol + 1;
    }
    return samples ? NULL : status_wf_fail(where, text, "no samples");
}

/* --- ?auto ------------------------------------------------------------------------- */

STATUS_WF_NOCOV
static const char *status_wf_auto(const char *text, size_t len, const char **where)
{
    const char *line = text, *end = text + len;
    const char *why = status_wf_utf8(text, len, where);

    if (why) {
        return why;
    }
    while (line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line)), *c;

        if (!eol) {
            return status_wf_fail(where, line, "last line has no newline");
        }
        if (eol - line < 13 || memcmp(line, "OCSPRefresh", 11)) {
            return status_wf_fail(where, line, "a line without the OCSPRefresh prefix");
        }
        for (c = line + 11; c < eol && ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
                                        || (*c >= '0' && *c <= '9')); c++) {
        }
        if (eol - c < 2 || c[0] != ':' || c[1] != ' ') {
            return status_wf_fail(where, c, "no ': ' after the key");
        }
        for (c += 2; c < eol; c++) {
            if ((unsigned char)*c < 0x20 || *c == 0x7F) {
                return status_wf_fail(where, c, "control character in a value");
            }
        }
        line = eol + 1;
    }
    return NULL;
}

/* --- HTML ---------------------------------------------------------------------------- */

/* Every element the renderers write; void ones first. */
static const char *const status_wf_void_tags[] = { "meta", "input", "hr", "br", NULL };
static const char *const status_wf_tags[] = {
    "html", "head", "title", "style", "body", "h1", "h2", "p", "a", "span", "strong",
    "section", "div", "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd", "code",
    "time", "form", "button", "label", "select", "option", "b", NULL
};

STATUS_WF_NOCOV
static int status_wf_tag_in(const char *const *list, const char *name, size_t len)
{
    for (; *list; list++) {
        if (strlen(*list) == len && !memcmp(*list, name, len)) {
            return 1;
        }
    }
    return 0;
}

/* &name; &#123; &#x1F; */
STATUS_WF_NOCOV
static const char *status_wf_entity(const char *c, const char *end)
{
    const char *start = ++c;

    if (c < end && *c == '#') {
        c++;
        if (c < end && (*c == 'x' || *c == 'X')) {
            for (c++, start = c; c < end && status_wf_is_hex(*c); c++) {
            }
        }
        else {
            for (start = c; c < end && *c >= '0' && *c <= '9'; c++) {
            }
        }
    }
    else {
        while (c < end && ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))) {
            c++;
        }
    }
    return c > start && c < end && *c == ';' ? c + 1 : NULL;
}

#define STATUS_WF_HTML_DEPTH 64

STATUS_WF_NOCOV
static const char *status_wf_html(const char *text, size_t len, const char **where)
{
    const char *c = text, *end = text + len;
    const char *stack[STATUS_WF_HTML_DEPTH];
    size_t stack_len[STATUS_WF_HTML_DEPTH];
    int depth = 0;
    const char *why = status_wf_utf8(text, len, where);

    if (why) {
        return why;
    }
    while (c < end) {
        if (*c == '&') {
            const char *next = status_wf_entity(c, end);

            if (!next) {
                return status_wf_fail(where, c, "a raw '&' (not an entity)");
            }
            c = next;
        }
        else if (*c == '>') {
            return status_wf_fail(where, c, "a raw '>' in text");
        }
        else if (*c != '<') {
            c++;
        }
        else if (end - c >= 15 && !memcmp(c, "<!DOCTYPE html>", 15)) {
            c += 15;
        }
        else if (end - c >= 2 && c[1] == '/') {
            const char *name = c + 2;

            for (c = name; c < end && ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9'));
                 c++) {
            }
            if (c == name || c >= end || *c != '>') {
                return status_wf_fail(where, name - 2, "a malformed end tag");
            }
            if (!depth || stack_len[depth - 1] != (size_t)(c - name)
                || memcmp(stack[depth - 1], name, stack_len[depth - 1])) {
                return status_wf_fail(where, name - 2, "an end tag that closes nothing open");
            }
            depth--;
            c++;
        }
        else {
            const char *tag = c, *name = c + 1;
            size_t name_len;
            int is_void;

            for (c = name; c < end && ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9'));
                 c++) {
            }
            name_len = (size_t)(c - name);
            is_void = status_wf_tag_in(status_wf_void_tags, name, name_len);
            if (!is_void && !status_wf_tag_in(status_wf_tags, name, name_len)) {
                return status_wf_fail(where, tag, "an unknown element (data outside an escaper?)");
            }
            for (;;) {
                const char *attr;

                while (c < end && *c == ' ') {
                    c++;
                }
                if (c < end && *c == '>') {
                    c++;
                    break;
                }
                if (end - c >= 2 && c[0] == '/' && c[1] == '>') {
                    c += 2;
                    break;
                }
                for (attr = c; c < end && ((*c >= 'a' && *c <= 'z') || *c == '-'); c++) {
                }
                if (c == attr) {
                    return status_wf_fail(where, c, "a malformed attribute");
                }
                if (c < end && *c == '=') {
                    if (end - c < 2 || c[1] != '"') {
                        return status_wf_fail(where, c, "an unquoted attribute value");
                    }
                    for (c += 2; c < end && *c != '"';) {
                        if (*c == '<' || *c == '>') {
                            return status_wf_fail(where, c, "'<' or '>' in an attribute value");
                        }
                        if (*c == '&') {
                            if (!(c = status_wf_entity(c, end))) {
                                return status_wf_fail(where, tag, "a raw '&' in an attribute");
                            }
                            continue;
                        }
                        c++;
                    }
                    if (c >= end) {
                        return status_wf_fail(where, tag, "an unterminated attribute value");
                    }
                    c++;
                }
            }
            if (!is_void) {
                if (depth == STATUS_WF_HTML_DEPTH) {
                    return status_wf_fail(where, tag, "elements nested too deep");
                }
                stack[depth] = name;
                stack_len[depth++] = name_len;
            }
            /* The style sheet is raw text up to its end tag. */
            if (name_len == 5 && !memcmp(name, "style", 5)) {
                const char *close = c;

                while (close < end && (end - close < 8 || memcmp(close, "</style>", 8))) {
                    close++;
                }
                c = close;
            }
        }
    }
    return depth ? status_wf_fail(where, end, "elements left open") : NULL;
}

#endif /* OCSPR_STATUS_WELLFORMED_H */
