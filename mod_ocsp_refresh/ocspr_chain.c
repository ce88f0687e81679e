/* ocspr_chain.c: being written. */
#include "ocspr_chain.h"
