/* Tests for ocspr_cert.c (being written). */
#include "check_support.h"

Suite *ocspr_suite_cert(void)
{
    return suite_create("cert");
}
