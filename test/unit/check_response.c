/* Tests for ocspr_response.c (being written). */
#include "check_support.h"

Suite *ocspr_suite_response(void)
{
    return suite_create("response");
}
