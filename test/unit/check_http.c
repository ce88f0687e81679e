/* Tests for ocspr_http.c (being written). */
#include "check_support.h"

Suite *ocspr_suite_http(void)
{
    return suite_create("http");
}
