/* The status page: build one snapshot of every certificate from the engine
 * and the shared state, and hand it to the core's renderers. Also the
 * "refresh now" action, which is refused unless OCSPRefreshStatusActions is
 * On, the request is a POST from the same origin, and it carries this
 * generation's form token. */
#include <apr_strings.h>

#include "mod_ocsp_refresh.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_optional_hooks.h"
#include "mod_status.h"

#include "mod_ocsp_refresh_module.h"
#include "mod_ocsp_refresh_status.h"
#include "ocspr_status_model.h"

/* A form has three short fields; anything bigger is not ours. */
#define ACTION_FORM_MAX 4096

/* Minted by the parent in post_config, so every child of a generation
 * accepts the forms every other child rendered; a restart invalidates old
 * pages' forms. */
static const char *action_token;

static apr_status_t forget_token(void *data)
{
    action_token = NULL;
    return APR_SUCCESS;
}

static int status_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                              server_rec *s)
{
    apr_status_t rv = ocspr_status_new_token(&action_token, pconf);

    if (rv != APR_SUCCESS) {
        /* Without a token no action can be accepted; the page still works. */
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, OCSPR_T_STATUS_REFUSED ": no random bytes "
                     "for the status page's form token; refresh actions are disabled");
        return OK;
    }
    apr_pool_cleanup_register(pconf, NULL, forget_token, apr_pool_cleanup_null);
    return OK;
}

/* --- the snapshot ------------------------------------------------------------ */

/* Every certificate of the current generation, with the shared state of
 * one moment. A process without an engine (nothing stapled) shows only the
 * certificates. */
static ocspr_status_page_t *build_page(request_rec *r, ocspr_module_t *m)
{
    ocspr_status_page_t *page = apr_pcalloc(r->pool, sizeof(*page));
    ocspr_cert_state_t *states = NULL;
    ocspr_engine_shared_t *shared = NULL;

    page->now = apr_time_now();
    page->server = ap_get_server_name(r);
#ifdef OCSPR_VERSION
    page->version = OCSPR_VERSION;
#endif
    if (m && m->engine) {
        states = apr_pcalloc(r->pool, sizeof(*states) * (apr_size_t)(m->reg->stapled + 1));
        shared = apr_pcalloc(r->pool, sizeof(*shared));
        ocspr_engine_snapshot(m->engine, states, shared, r->pool);
    }
    ocspr_status_page_fill(page, m ? m->reg : NULL, states, shared,
                           m ? m->engine_ops.fleet.desc : NULL, r->pool);
    return page;
}

static void write_to_request(void *baton, const char *data, apr_size_t len)
{
    request_rec *r = baton;

    while (len > 0) {
        int chunk = len > (1 << 20) ? (1 << 20) : (int)len;

        if (ap_rwrite(data, chunk, r) < 0) {
            return;                     /* the client left */
        }
        data += chunk;
        len -= (apr_size_t)chunk;
    }
}

/* --- the action ---------------------------------------------------------------- */

/* A refusal the admin can read in the browser. */
static int refuse(request_rec *r, int status, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, OCSPR_T_STATUS_REFUSED ": status page request "
                  "from %s refused (%d): %s", r->useragent_ip, status, why);
    if (status == HTTP_METHOD_NOT_ALLOWED) {
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD, POST");
    }
    r->status = status;
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_type(r, "text/plain; charset=utf-8");
    ap_rvputs(r, why, "\n", NULL);
    return OK;
}

/* The request's own origin, from the Host header it was sent to. */
static const char *own_origin(request_rec *r)
{
    const char *host = apr_table_get(r->headers_in, "Host");

    return host ? apr_pstrcat(r->pool, ap_http_scheme(r), "://", host, NULL) : NULL;
}

static const char *form_value(request_rec *r, apr_array_header_t *pairs, const char *name)
{
    int i;

    for (i = 0; i < pairs->nelts; i++) {
        ap_form_pair_t *pair = &APR_ARRAY_IDX(pairs, i, ap_form_pair_t);
        char *value;
        apr_size_t len;

        if (!strcmp(pair->name, name)) {
            if (apr_brigade_pflatten(pair->value, &value, &len, r->pool) != APR_SUCCESS) {
                return NULL;
            }
            return apr_pstrmemdup(r->pool, value, len);
        }
    }
    return NULL;
}

static ocspr_entry_t *entry_by_hex(ocspr_module_t *m, const char *id)
{
    return m ? ocspr_registry_get_hex(m->reg, id) : NULL;
}

static int handle_action(request_rec *r, ocspr_module_t *e)
{
    apr_array_header_t *pairs = NULL;
    const char *why, *location;
    ocspr_entry_t *entry;
    int rc, status;

    why = ocspr_status_action_refusal(&status, r->pool, ocspr_conf_status_actions(ocspr_srv_conf(r->server)),
                                      apr_table_get(r->headers_in, "Origin"),
                                      apr_table_get(r->headers_in, "Sec-Fetch-Site"),
                                      own_origin(r));
    if (why) {
        return refuse(r, status, why);
    }
    rc = ap_parse_form_data(r, NULL, &pairs, 8, ACTION_FORM_MAX);
    if (rc != OK || !pairs) {
        return refuse(r, HTTP_BAD_REQUEST, "The request carries no readable form "
                      "(application/x-www-form-urlencoded, at most 4 KiB).");
    }
    why = ocspr_status_form_refusal(&status, form_value(r, pairs, "action"),
                                    form_value(r, pairs, "token"), action_token);
    if (why) {
        return refuse(r, status, why);
    }
    entry = entry_by_hex(e, form_value(r, pairs, "id"));
    if (!entry) {
        return refuse(r, HTTP_NOT_FOUND, "No certificate with that id in this configuration: "
                      "reload the status page.");
    }
    if (!entry->url || !e->engine) {
        return refuse(r, HTTP_CONFLICT, "That certificate is not stapled by mod_ocsp_refresh, "
                      "so there is nothing to refresh.");
    }
    ocspr_engine_request_refresh(e->engine, &entry->engine_cert);
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, OCSPR_T_STATUS_REFRESH ": %s asked the status "
                  "page to refresh the OCSP response of %s (vhosts %s) now", r->useragent_ip,
                  ocspr_cert_subject(entry->cert, r->pool),
                  ocspr_entry_vhosts(r->pool, entry));
    /* Post/redirect/get: a reload does not post again. */
    location = apr_pstrcat(r->pool, r->uri, "?requested=", entry->id_hex, NULL);
    apr_table_setn(r->headers_out, "Location", ap_construct_url(r->pool, location, r));
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    return HTTP_SEE_OTHER;
}

/* --- the page ------------------------------------------------------------------- */

static int status_handler(request_rec *r)
{
    ocspr_module_t *e = ocspr_module;
    ocspr_status_page_t *page;
    const ocspr_entry_t *requested_entry;
    ocspr_status_query_t query;
    const char *why;
    const char *const *header;
    int status;

    if (!r->handler || strcmp(r->handler, OCSPR_STATUS_HANDLER)) {
        return DECLINED;
    }
    r->allowed = (AP_METHOD_BIT << M_GET) | (AP_METHOD_BIT << M_POST);
    if (r->method_number == M_POST) {
        return handle_action(r, e);
    }
    if (r->method_number != M_GET) {
        return refuse(r, HTTP_METHOD_NOT_ALLOWED, "The OCSP status page answers GET (and POST "
                      "for its actions).");
    }
    why = ocspr_status_get_refusal(&status, &query, r->pool, r->args);
    if (why) {
        return refuse(r, status, why);
    }
    page = build_page(r, e);
    page->filter = &query.filter;
    header = ocspr_status_headers(r->pool, query.format);
    ap_set_content_type(r, header[1]);         /* the first pair is Content-Type's */
    for (header += 2; *header; header += 2) {
        apr_table_setn(r->headers_out, header[0], header[1]);
    }
    if (query.format == OCSPR_STATUS_FORMAT_HTML) {
        if (ocspr_conf_status_actions(ocspr_srv_conf(r->server)) && action_token && e && e->engine) {
            page->action_token = action_token;
        }
        if ((requested_entry = entry_by_hex(e, query.requested)) != NULL) {
            page->notice = ocspr_status_refresh_notice(
                r->pool, ocspr_cert_subject(requested_entry->cert, r->pool));
        }
    }
    if (!r->header_only) {
        ocspr_status_render(page, query.format, write_to_request, r, r->pool);
    }
    return OK;
}

/* --- mod_status ---------------------------------------------------------------- */

static int status_hook(request_rec *r, int flags)
{
    ocspr_module_t *e = ocspr_module;
    ocspr_status_page_t *page;

    if (!e) {
        return OK;
    }
    page = build_page(r, e);
    if (flags & AP_STATUS_SHORT) {
        ocspr_status_render_auto(page, write_to_request, r, r->pool);
    }
    else {
        ocspr_status_render_html_section(page, write_to_request, r, r->pool);
    }
    return OK;
}

void ocspr_status_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(status_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(status_handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, NULL, NULL, APR_HOOK_MIDDLE);
}
