/* ocspr_fetch.c: being written. */
#include "ocspr_fetch.h"
