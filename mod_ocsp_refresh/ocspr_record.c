/* ocspr_record.c: being written. */
#include "ocspr_record.h"
