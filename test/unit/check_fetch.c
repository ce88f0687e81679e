/* Tests for ocspr_fetch.c (being written). */
#include "check_support.h"

Suite *ocspr_suite_fetch(void)
{
    return suite_create("fetch");
}
