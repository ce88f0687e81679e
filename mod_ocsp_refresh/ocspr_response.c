/* ocspr_response.c: being written. */
#include "ocspr_response.h"
