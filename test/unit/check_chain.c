/* Tests for ocspr_chain.c (being written). */
#include "check_support.h"

Suite *ocspr_suite_chain(void)
{
    return suite_create("chain");
}
