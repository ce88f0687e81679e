# The one source list, read by CMakeLists.txt and apxs-build/Makefile.
# Core: APR + OpenSSL only, compiled without httpd's include directory.
OCSPR_CORE_SOURCES = \
	ocspr_util.c \
	ocspr_cert.c \
	ocspr_cert_lite.c \
	ocspr_request.c \
	ocspr_http.c \
	ocspr_http_parse.c \
	ocspr_response.c \
	ocspr_fetch.c \
	ocspr_policy.c \
	ocspr_engine.c \
	ocspr_engine_fleet.c \
	ocspr_engine_pass.c \
	ocspr_engine_run.c \
	ocspr_registry.c \
	ocspr_record.c \
	ocspr_store.c \
	ocspr_conf.c \
	ocspr_conf_record.c \
	ocspr_chain.c \
	ocspr_chain_search.c \
	ocspr_chain_findings.c \
	ocspr_chain_text.c \
	ocspr_chain_conf.c \
	ocspr_status.c \
	ocspr_status_html.c \
	ocspr_status_html_rows.c \
	ocspr_status_json.c \
	ocspr_status_metrics.c \
	ocspr_status_query.c \
	ocspr_status_model.c

# Glue: the httpd module.
OCSPR_GLUE_SOURCES = \
	mod_ocsp_refresh.c \
	mod_ocsp_refresh_config.c \
	mod_ocsp_refresh_registry.c \
	mod_ocsp_refresh_cache.c \
	mod_ocsp_refresh_startup.c \
	mod_ocsp_refresh_maint.c \
	mod_ocsp_refresh_diag.c \
	mod_ocsp_refresh_status.c
