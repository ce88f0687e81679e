/* Tests for ocspr_store.c (being written). */
#include "check_support.h"

Suite *ocspr_suite_store(void)
{
    return suite_create("store");
}
