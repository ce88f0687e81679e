/* mod_ocsp_refresh: module record and hooks (being written). */
#include "httpd.h"
#include "http_config.h"

AP_DECLARE_MODULE(ocsp_refresh) = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL, NULL, AP_MODULE_FLAG_NONE
};
