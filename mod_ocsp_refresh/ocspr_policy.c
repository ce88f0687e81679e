/* ocspr_policy.c: being written. */
#include "ocspr_policy.h"
