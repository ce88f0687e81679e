/* ocspr_request.c: being written. */
#include "ocspr_request.h"
