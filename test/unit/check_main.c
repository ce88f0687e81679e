/* The single unit-test runner: every core suite. */
#include <stdlib.h>
#include <apr_general.h>

#include "check_support.h"

int main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(ocspr_suite_util());
    srunner_add_suite(sr, ocspr_suite_cert());
    srunner_add_suite(sr, ocspr_suite_cert_lite());
    srunner_add_suite(sr, ocspr_suite_request());
    srunner_add_suite(sr, ocspr_suite_http());
    srunner_add_suite(sr, ocspr_suite_http_parse());
    srunner_add_suite(sr, ocspr_suite_response());
    srunner_add_suite(sr, ocspr_suite_fetch());
    srunner_add_suite(sr, ocspr_suite_policy());
    srunner_add_suite(sr, ocspr_suite_record());
    srunner_add_suite(sr, ocspr_suite_store());
    srunner_add_suite(sr, ocspr_suite_conf());
    srunner_add_suite(sr, ocspr_suite_chain());
    srunner_add_suite(sr, ocspr_suite_chain_conf());
    srunner_add_suite(sr, ocspr_suite_status());
    srunner_add_suite(sr, ocspr_suite_status_model());
    srunner_add_suite(sr, ocspr_suite_engine());
    srunner_add_suite(sr, ocspr_suite_registry());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
