/* ocspr_http.c: being written. */
#include "ocspr_http.h"
