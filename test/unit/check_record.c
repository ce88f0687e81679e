/* Tests for ocspr_record.c (being written). */
#include "check_support.h"

Suite *ocspr_suite_record(void)
{
    return suite_create("record");
}
