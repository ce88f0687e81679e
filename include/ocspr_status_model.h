/* What the status page glue decides without httpd: a row from a
 * certificate and its shared state, the checks a "refresh now" POST must
 * pass (same origin, this generation's form token), and the headers and
 * renderer of each format. The glue reads the request and the shared
 * memory; these functions only judge and build. */
#ifndef OCSPR_STATUS_MODEL_H
#define OCSPR_STATUS_MODEL_H

#include "ocspr_cert.h"
#include "ocspr_engine.h"
#include "ocspr_registry.h"
#include "ocspr_status.h"

/* A row with what the certificate itself says (subject, serial, issuer, key
 * type, expiry) and no response; the glue adds the id, vhosts and
 * responder. */
void ocspr_status_row_init(ocspr_status_row_t *row, apr_pool_t *p, const ocspr_cert_t *cert);

/* The response, attempts and fleet counters of the certificate's state. */
void ocspr_status_row_from_state(ocspr_status_row_t *row, const ocspr_cert_state_t *st);

/* The rows of every certificate of reg (states: the stapled ones' by
 * slot, NULL when there is no shared state, as when nothing is stapled) and
 * the leader and fleet of shared (NULL: none); fleet_desc NULL: no fleet
 * exchange. page->rows is made from p. */
void ocspr_status_page_fill(ocspr_status_page_t *page, const ocspr_registry_t *reg,
                            const ocspr_cert_state_t *states,
                            const ocspr_engine_shared_t *shared, const char *fleet_desc,
                            apr_pool_t *p);

/* A fresh form token of a configuration generation (hex). */
apr_status_t ocspr_status_new_token(const char **ptoken, apr_pool_t *p);

/* Why a GET of the page is refused, or NULL with *q the parsed query
 * string args (NULL for none): a bad query (400), or an action asked for
 * with a GET (405), which a link or an <img> could trigger. Sets *status to
 * the HTTP status to answer with. */
const char *ocspr_status_get_refusal(int *status, ocspr_status_query_t *q, apr_pool_t *p,
                                     const char *args);

/* Why a "refresh now" POST is refused before its form is read, or NULL:
 * actions are off (OCSPRefreshStatusActions), or a browser says the
 * request comes from another site. origin and fetch_site are the request's
 * Origin and Sec-Fetch-Site headers (NULL when absent: a non-browser
 * client, which a foreign site cannot make act for the admin); own_origin
 * is "scheme://Host" of the request, NULL without a Host header. Sets
 * *status to the HTTP status to answer with. */
const char *ocspr_status_action_refusal(int *status, apr_pool_t *p, int enabled,
                                        const char *origin, const char *fetch_site,
                                        const char *own_origin);

/* Why the form of a "refresh now" POST is refused, or NULL: another action
 * than "refresh", or a token (compared in constant time) other than
 * expected_token (NULL: none was minted, nothing is accepted). */
const char *ocspr_status_form_refusal(int *status, const char *action, const char *token,
                                      const char *expected_token);

/* Are two tokens equal? Takes the same time wherever they differ. */
int ocspr_status_tokens_equal(const char *given, const char *expected);

/* The headers a page in format is sent with: name/value pairs, the first
 * being Content-Type, ending with a NULL name. */
const char *const *ocspr_status_headers(apr_pool_t *p, ocspr_status_format_t format);

/* Render page in format. */
void ocspr_status_render(const ocspr_status_page_t *page, ocspr_status_format_t format,
                         ocspr_write_fn *write, void *baton, apr_pool_t *p);

/* The notice the HTML page shows after a "refresh now" of subject. */
const char *ocspr_status_refresh_notice(apr_pool_t *p, const char *subject);

#endif /* OCSPR_STATUS_MODEL_H */
