/* ocspr_store.c: being written. */
#include "ocspr_store.h"
