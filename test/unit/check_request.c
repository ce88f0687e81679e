/* Tests for ocspr_request.c (being written). */
#include "check_support.h"

Suite *ocspr_suite_request(void)
{
    return suite_create("request");
}
