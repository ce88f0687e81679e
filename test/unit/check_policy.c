/* Tests for ocspr_policy.c (being written). */
#include "check_support.h"

Suite *ocspr_suite_policy(void)
{
    return suite_create("policy");
}
