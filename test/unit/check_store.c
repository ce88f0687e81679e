/* Tests for ocspr_store.c. Each test works in a fresh directory under a
 * per-TCase root in /tmp; the root is removed by an unchecked fixture, which
 * runs in the runner process even when a forked test failed. */
#define _XOPEN_SOURCE 700   /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/ocsp.h>

#include "check_support.h"
#include "ocspr_store.h"

#define MAX_LEN 4096

static char tcase_root[64];
static char test_dir[96];

static int make_writable(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)ftw;
    if (type == FTW_D || type == FTW_DNR) {
        chmod(path, (sb->st_mode & 07777) | S_IRWXU);
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *path)
{
    nftw(path, make_writable, 16, FTW_PHYS);
    nftw(path, remove_entry, 16, FTW_PHYS | FTW_DEPTH);
}

static void root_setup(void)
{
    strcpy(tcase_root, "/tmp/ocspr-store-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tcase_root));
}

static void root_teardown(void)
{
    remove_tree(tcase_root);
}

static void dir_setup(void)
{
    snprintf(test_dir, sizeof(test_dir), "%s/t-XXXXXX", tcase_root);
    ck_assert_ptr_nonnull(mkdtemp(test_dir));
}

static void dir_teardown(void)
{
    remove_tree(test_dir);
}

/* --- helpers ------------------------------------------------------------ */

static void make_id(unsigned char id[OCSPR_CERT_ID_LEN], int seed)
{
    int i;

    for (i = 0; i < OCSPR_CERT_ID_LEN; i++) {
        id[i] = (unsigned char)(seed * 37 + i * 11);
    }
}

static const char *path_in_dir(const char *name)
{
    return apr_pstrcat(ocspr_test_pool, test_dir, "/", name, NULL);
}

static const char *response_name(const unsigned char id[OCSPR_CERT_ID_LEN])
{
    return apr_pstrcat(ocspr_test_pool, ocspr_hex(ocspr_test_pool, id, OCSPR_CERT_ID_LEN),
                       ".der", NULL);
}

/* A real, well-formed DER OCSPResponse (a bare error status), distinct per
 * status, so the rejecting entry callback can parse like the engine would. */
static void make_der(unsigned char **pder, apr_size_t *plen, int response_status)
{
    OCSP_RESPONSE *resp = OCSP_response_create(response_status, NULL);
    unsigned char *out = NULL;
    int n;

    ck_assert_ptr_nonnull(resp);
    n = i2d_OCSP_RESPONSE(resp, &out);
    ck_assert_int_gt(n, 0);
    *pder = apr_pmemdup(ocspr_test_pool, out, (apr_size_t)n);
    *plen = (apr_size_t)n;
    OPENSSL_free(out);
    OCSP_RESPONSE_free(resp);
}

static void write_file(const char *path, const void *data, apr_size_t len)
{
    FILE *f = fopen(path, "wb");

    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static void assert_file_is(const char *path, const unsigned char *data, apr_size_t len)
{
    unsigned char *got;
    apr_size_t got_len;

    ocspr_test_read_file(&got, &got_len, ocspr_test_pool, path);
    ck_assert_uint_eq(got_len, len);
    ck_assert_int_eq(memcmp(got, data, len), 0);
}

/* Names in test_dir, sorted, joined with spaces. */
static const char *dir_listing(void)
{
    apr_array_header_t *names = apr_array_make(ocspr_test_pool, 8, sizeof(const char *));
    apr_dir_t *d;
    apr_finfo_t fi;
    const char *joined = "";
    int i, j;

    ck_assert_int_eq(apr_dir_open(&d, test_dir, ocspr_test_pool), APR_SUCCESS);
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        if (strcmp(fi.name, ".") && strcmp(fi.name, "..")) {
            APR_ARRAY_PUSH(names, const char *) = apr_pstrdup(ocspr_test_pool, fi.name);
        }
    }
    apr_dir_close(d);
    for (i = 1; i < names->nelts; i++) {
        for (j = i; j > 0 && strcmp(APR_ARRAY_IDX(names, j - 1, const char *),
                                    APR_ARRAY_IDX(names, j, const char *)) > 0; j--) {
            const char *t = APR_ARRAY_IDX(names, j, const char *);

            APR_ARRAY_IDX(names, j, const char *) = APR_ARRAY_IDX(names, j - 1, const char *);
            APR_ARRAY_IDX(names, j - 1, const char *) = t;
        }
    }
    for (i = 0; i < names->nelts; i++) {
        joined = apr_pstrcat(ocspr_test_pool, joined, i ? " " : "",
                             APR_ARRAY_IDX(names, i, const char *), NULL);
    }
    return joined;
}

/* The one temp file in test_dir (aborts unless there is exactly one). */
static const char *only_temp_file(void)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    const char *found = NULL;
    int count = 0;

    ck_assert_int_eq(apr_dir_open(&d, test_dir, ocspr_test_pool), APR_SUCCESS);
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        if (fi.name[0] == '.' && strcmp(fi.name, ".") && strcmp(fi.name, "..")) {
            found = path_in_dir(fi.name);
            count++;
        }
    }
    apr_dir_close(d);
    ck_assert_int_eq(count, 1);
    return found;
}

/* What a scan reported. */
typedef struct {
    const char *path;
    apr_status_t rv;
    const char *reason;
} skip_seen_t;

typedef struct {
    apr_array_header_t *accepted;    /* of const char *: "<path> <hex of der>" */
    apr_array_header_t *skipped;     /* of skip_seen_t */
} scan_log_t;

static void record_skip(void *baton, const char *path, apr_status_t rv, const char *reason)
{
    scan_log_t *log = baton;
    skip_seen_t *seen = apr_array_push(log->skipped);

    seen->path = apr_pstrdup(ocspr_test_pool, path);
    seen->rv = rv;
    seen->reason = apr_pstrdup(ocspr_test_pool, reason);
}

/* Like the engine's: parse the DER, report a rejection itself. */
static apr_status_t record_entry(void *baton, const unsigned char id[OCSPR_CERT_ID_LEN],
                                 const unsigned char *der, apr_size_t len, const char *path)
{
    scan_log_t *log = baton;
    const unsigned char *p = der;
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);

    if (resp == NULL || p != der + len) {
        OCSP_RESPONSE_free(resp);
        record_skip(baton, path, OCSPR_EINVALID, "not a DER OCSP response");
        return OCSPR_EINVALID;
    }
    OCSP_RESPONSE_free(resp);
    ck_assert_str_eq(path, path_in_dir(response_name(id)));
    APR_ARRAY_PUSH(log->accepted, const char *) =
        apr_pstrcat(ocspr_test_pool, path, " ", ocspr_hex(ocspr_test_pool, der, len), NULL);
    return APR_SUCCESS;
}

static scan_log_t *scan_dir(apr_status_t expected_rv)
{
    scan_log_t *log = apr_pcalloc(ocspr_test_pool, sizeof(*log));

    log->accepted = apr_array_make(ocspr_test_pool, 4, sizeof(const char *));
    log->skipped = apr_array_make(ocspr_test_pool, 4, sizeof(skip_seen_t));
    ck_assert_int_eq(ocspr_store_scan(test_dir, MAX_LEN, ocspr_test_pool, record_entry,
                                      record_skip, log), expected_rv);
    return log;
}

static int was_accepted(const scan_log_t *log, const unsigned char id[OCSPR_CERT_ID_LEN],
                        const unsigned char *der, apr_size_t len)
{
    const char *want = apr_pstrcat(ocspr_test_pool, path_in_dir(response_name(id)), " ",
                                   ocspr_hex(ocspr_test_pool, der, len), NULL);
    int i;

    for (i = 0; i < log->accepted->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(log->accepted, i, const char *), want) == 0) {
            return 1;
        }
    }
    return 0;
}

static void assert_skipped(const scan_log_t *log, const char *name, apr_status_t rv,
                           const char *reason)
{
    const char *path = path_in_dir(name);
    int i;

    for (i = 0; i < log->skipped->nelts; i++) {
        const skip_seen_t *seen = &APR_ARRAY_IDX(log->skipped, i, skip_seen_t);

        if (strcmp(seen->path, path) == 0) {
            ck_assert_int_eq(seen->rv, rv);
            ck_assert_str_eq(seen->reason, reason);
            return;
        }
    }
    ck_abort_msg("%s was not reported", path);
}

static apr_status_t fail_before_rename(void *baton, const char *tmp_path)
{
    const char **seen = baton;

    *seen = apr_pstrdup(ocspr_test_pool, tmp_path);
    return APR_EGENERAL;
}

static apr_status_t die_before_rename(void *baton, const char *tmp_path)
{
    (void)baton;
    (void)tmp_path;
    _exit(1);
}

static int file_mode(const char *path)
{
    struct stat sb;

    ck_assert_int_eq(stat(path, &sb), 0);
    return (int)(sb.st_mode & 07777);
}

/* --- links and ownership ---------------------------------------------------- */

/* A file outside the store that a planted link points at: what the store
 * must never write, chmod or read. */
typedef struct {
    const char *path;
    const char *content;
    struct stat before;
} bait_t;

static bait_t *make_bait(const char *name, const char *content)
{
    bait_t *bait = apr_pcalloc(ocspr_test_pool, sizeof(*bait));

    bait->path = apr_pstrcat(ocspr_test_pool, test_dir, "-", name, NULL);
    bait->content = content;
    write_file(bait->path, content, strlen(content));
    ck_assert_int_eq(chmod(bait->path, 0644), 0);
    ck_assert_int_eq(stat(bait->path, &bait->before), 0);
    return bait;
}

static void assert_bait_untouched(const bait_t *bait)
{
    struct stat now;

    assert_file_is(bait->path, (const unsigned char *)bait->content, strlen(bait->content));
    ck_assert_int_eq(stat(bait->path, &now), 0);
    ck_assert_int_eq(now.st_mode, bait->before.st_mode);
    ck_assert_int_eq(now.st_uid, bait->before.st_uid);
    ck_assert_int_eq(now.st_gid, bait->before.st_gid);
    ck_assert_int_eq(now.st_mtime, bait->before.st_mtime);
    remove(bait->path);
}

static int is_symlink(const char *path)
{
    struct stat sb;

    return lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode);
}

static const char *temp_name(const unsigned char id[OCSPR_CERT_ID_LEN], const char *random)
{
    return apr_pstrcat(ocspr_test_pool, ".", ocspr_hex(ocspr_test_pool, id, OCSPR_CERT_ID_LEN),
                       ".", random, NULL);
}

/* An owner that is not the test's: prepare is asked to hand the store to it. */
static uid_t other_uid(void)
{
    return getuid() == 0 ? 65534 : getuid() + 1;
}

static void assert_problem_has(const char *problem, const char *part)
{
    ck_assert_ptr_nonnull(problem);
    ck_assert_msg(strstr(problem, part) != NULL, "problem '%s' lacks '%s'", problem, part);
}

/* --- tests -------------------------------------------------------------- */

START_TEST(save_load_round_trip)
{
    unsigned char id[OCSPR_CERT_ID_LEN], other[OCSPR_CERT_ID_LEN];
    unsigned char *der, *got;
    apr_size_t len, got_len;

    make_id(id, 1);
    make_id(other, 2);
    make_der(&der, &len, OCSP_RESPONSE_STATUS_TRYLATER);
    ck_assert_int_eq(ocspr_store_save(test_dir, id, der, len, ocspr_test_pool, NULL, NULL),
                     APR_SUCCESS);
    ck_assert_str_eq(dir_listing(), response_name(id));
    assert_file_is(path_in_dir(response_name(id)), der, len);
    ck_assert_int_eq(ocspr_store_load(&got, &got_len, test_dir, id, MAX_LEN, ocspr_test_pool),
                     APR_SUCCESS);
    ck_assert_uint_eq(got_len, len);
    ck_assert_int_eq(memcmp(got, der, len), 0);
    /* The cap is inclusive. */
    ck_assert_int_eq(ocspr_store_load(&got, &got_len, test_dir, id, len, ocspr_test_pool),
                     APR_SUCCESS);
    ck_assert_int_eq(ocspr_store_load(&got, &got_len, test_dir, id, len - 1, ocspr_test_pool),
                     OCSPR_EINVALID);
    ck_assert_int_eq(ocspr_store_load(&got, &got_len, test_dir, other, MAX_LEN,
                                      ocspr_test_pool), APR_ENOENT);
}
END_TEST

START_TEST(saved_file_is_private)
{
    unsigned char id[OCSPR_CERT_ID_LEN];
    unsigned char *der;
    apr_size_t len;
    mode_t old_umask = umask(0);   /* a permissive umask must not leak into the mode */

    make_id(id, 1);
    make_der(&der, &len, OCSP_RESPONSE_STATUS_TRYLATER);
    ck_assert_int_eq(ocspr_store_save(test_dir, id, der, len, ocspr_test_pool, NULL, NULL),
                     APR_SUCCESS);
    umask(old_umask);
    ck_assert_int_eq(file_mode(path_in_dir(response_name(id))), 0600);
}
END_TEST

START_TEST(save_overwrites)
{
    unsigned char id[OCSPR_CERT_ID_LEN];
    unsigned char *first, *second;
    apr_size_t first_len, second_len;

    make_id(id, 1);
    make_der(&first, &first_len, OCSP_RESPONSE_STATUS_TRYLATER);
    make_der(&second, &second_len, OCSP_RESPONSE_STATUS_INTERNALERROR);
    ck_assert_int_eq(ocspr_store_save(test_dir, id, first, first_len, ocspr_test_pool, NULL,
                                      NULL), APR_SUCCESS);
    ck_assert_int_eq(ocspr_store_save(test_dir, id, second, second_len, ocspr_test_pool, NULL,
                                      NULL), APR_SUCCESS);
    ck_assert_str_eq(dir_listing(), response_name(id));
    assert_file_is(path_in_dir(response_name(id)), second, second_len);
}
END_TEST

START_TEST(save_rejects_empty)
{
    unsigned char id[OCSPR_CERT_ID_LEN];
    unsigned char byte = 0x30;

    make_id(id, 1);
    ck_assert_int_eq(ocspr_store_save(test_dir, id, &byte, 0, ocspr_test_pool, NULL, NULL),
                     APR_EINVAL);
    ck_assert_int_eq(ocspr_store_save(test_dir, id, NULL, 5, ocspr_test_pool, NULL, NULL),
                     APR_EINVAL);
    ck_assert_str_eq(dir_listing(), "");
}
END_TEST

/* The hook runs on a complete, private temp file; its error aborts the save
 * without a trace. */
START_TEST(interrupted_save_keeps_previous)
{
    unsigned char id[OCSPR_CERT_ID_LEN];
    unsigned char *first, *second;
    apr_size_t first_len, second_len;
    const char *tmp_seen = NULL;

    make_id(id, 1);
    make_der(&first, &first_len, OCSP_RESPONSE_STATUS_TRYLATER);
    make_der(&second, &second_len, OCSP_RESPONSE_STATUS_INTERNALERROR);
    ck_assert_int_eq(ocspr_store_save(test_dir, id, first, first_len, ocspr_test_pool, NULL,
                                      NULL), APR_SUCCESS);
    ck_assert_int_eq(ocspr_store_save(test_dir, id, second, second_len, ocspr_test_pool,
                                      fail_before_rename, &tmp_seen), APR_EGENERAL);
    ck_assert_ptr_nonnull(tmp_seen);
    ck_assert_str_eq(apr_pstrndup(ocspr_test_pool, tmp_seen, strlen(test_dir) + 43),
                     apr_pstrcat(ocspr_test_pool, test_dir, "/.",
                                 ocspr_hex(ocspr_test_pool, id, OCSPR_CERT_ID_LEN), ".", NULL));
    ck_assert_uint_eq(strlen(tmp_seen), strlen(test_dir) + 1 + 48);
    ck_assert_str_eq(dir_listing(), response_name(id));
    assert_file_is(path_in_dir(response_name(id)), first, first_len);
}
END_TEST

/* A writer killed between fsync and rename: the old file survives, the
 * leftover temp file is never taken for a response, and a scan removes it
 * once it is old (a young one may be a save in progress). */
START_TEST(killed_save_keeps_previous)
{
    unsigned char id[OCSPR_CERT_ID_LEN];
    unsigned char *first, *second;
    apr_size_t first_len, second_len;
    const char *tmp_path;
    scan_log_t *log;
    int status;
    pid_t pid;

    make_id(id, 1);
    make_der(&first, &first_len, OCSP_RESPONSE_STATUS_TRYLATER);
    make_der(&second, &second_len, OCSP_RESPONSE_STATUS_INTERNALERROR);
    ck_assert_int_eq(ocspr_store_save(test_dir, id, first, first_len, ocspr_test_pool, NULL,
                                      NULL), APR_SUCCESS);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        ocspr_store_save(test_dir, id, second, second_len, ocspr_test_pool, die_before_rename,
                         NULL);
        _exit(2);   /* not reached: the hook exits with 1 */
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 1);

    assert_file_is(path_in_dir(response_name(id)), first, first_len);
    tmp_path = only_temp_file();
    assert_file_is(tmp_path, second, second_len);
    ck_assert_int_eq(file_mode(tmp_path), 0600);

    log = scan_dir(APR_SUCCESS);
    ck_assert_int_eq(log->accepted->nelts, 1);
    ck_assert(was_accepted(log, id, first, first_len));
    ck_assert_int_eq(log->skipped->nelts, 0);
    ck_assert_str_eq(only_temp_file(), tmp_path);

    ck_assert_int_eq(apr_file_mtime_set(tmp_path, apr_time_now() - OCSPR_STORE_TEMP_MAX_AGE
                                        - apr_time_from_sec(5), ocspr_test_pool), APR_SUCCESS);
    log = scan_dir(APR_SUCCESS);
    ck_assert_int_eq(log->accepted->nelts, 1);
    ck_assert(was_accepted(log, id, first, first_len));
    ck_assert_int_eq(log->skipped->nelts, 1);
    assert_skipped(log, tmp_path + strlen(test_dir) + 1, APR_SUCCESS,
                   "leftover temporary file of an interrupted write, removed");
    ck_assert_str_eq(dir_listing(), response_name(id));
}
END_TEST

START_TEST(scan_reports_every_file)
{
    unsigned char id_good[OCSPR_CERT_ID_LEN], id_good2[OCSPR_CERT_ID_LEN];
    unsigned char id_big[OCSPR_CERT_ID_LEN], id_empty[OCSPR_CERT_ID_LEN];
    unsigned char id_corrupt[OCSPR_CERT_ID_LEN], id_fifo[OCSPR_CERT_ID_LEN];
    unsigned char id_subdir[OCSPR_CERT_ID_LEN];
    unsigned char *der, *der2, *big = apr_pcalloc(ocspr_test_pool, MAX_LEN + 1);
    apr_size_t len, len2;
    const char *upper, *before, *young_temp;
    scan_log_t *log;

    make_id(id_good, 1);
    make_id(id_good2, 2);
    make_id(id_big, 3);
    make_id(id_empty, 4);
    make_id(id_corrupt, 5);
    make_id(id_fifo, 6);
    make_id(id_subdir, 7);
    make_der(&der, &len, OCSP_RESPONSE_STATUS_TRYLATER);
    make_der(&der2, &len2, OCSP_RESPONSE_STATUS_SIGREQUIRED);
    ck_assert_int_eq(ocspr_store_save(test_dir, id_good, der, len, ocspr_test_pool, NULL, NULL),
                     APR_SUCCESS);
    ck_assert_int_eq(ocspr_store_save(test_dir, id_good2, der2, len2, ocspr_test_pool, NULL,
                                      NULL), APR_SUCCESS);
    write_file(path_in_dir(response_name(id_big)), big, MAX_LEN + 1);
    write_file(path_in_dir(response_name(id_empty)), "", 0);
    write_file(path_in_dir(response_name(id_corrupt)), "\x30\x03\x0a\x01", 4);
    ck_assert_int_eq(mkfifo(path_in_dir(response_name(id_fifo)), 0600), 0);
    ck_assert_int_eq(mkdir(path_in_dir(response_name(id_subdir)), 0700), 0);
    write_file(path_in_dir("README"), "hello", 5);
    write_file(path_in_dir(".hidden"), "x", 1);
    /* The right length, but hex that save never writes. */
    upper = apr_pstrcat(ocspr_test_pool,
                        apr_pstrndup(ocspr_test_pool,
                                     ocspr_hex(ocspr_test_pool, id_good, OCSPR_CERT_ID_LEN), 39),
                        "A.der", NULL);
    write_file(path_in_dir(upper), der, len);
    young_temp = apr_pstrcat(ocspr_test_pool, ".",
                             ocspr_hex(ocspr_test_pool, id_good, OCSPR_CERT_ID_LEN), ".a1B2c3",
                             NULL);
    write_file(path_in_dir(young_temp), der2, len2);
    before = dir_listing();

    log = scan_dir(APR_SUCCESS);
    ck_assert_int_eq(log->accepted->nelts, 2);
    ck_assert(was_accepted(log, id_good, der, len));
    ck_assert(was_accepted(log, id_good2, der2, len2));
    assert_skipped(log, response_name(id_big), OCSPR_EINVALID,
                   "larger than 4096 bytes (4097 bytes)");
    assert_skipped(log, response_name(id_empty), OCSPR_EINVALID, "empty file");
    assert_skipped(log, response_name(id_corrupt), OCSPR_EINVALID, "not a DER OCSP response");
    assert_skipped(log, response_name(id_fifo), OCSPR_EINVALID, "not a regular file");
    assert_skipped(log, "README", OCSPR_EINVALID,
                   "foreign file (name is not <40 lowercase hex>.der)");
    assert_skipped(log, ".hidden", OCSPR_EINVALID,
                   "foreign file (name is not <40 lowercase hex>.der)");
    assert_skipped(log, upper, OCSPR_EINVALID,
                   "foreign file (name is not <40 lowercase hex>.der)");
    /* Not the subdirectory, not the young temp file. */
    ck_assert_int_eq(log->skipped->nelts, 7);
    ck_assert_str_eq(dir_listing(), before);
}
END_TEST

START_TEST(scan_without_skip_callback)
{
    unsigned char id[OCSPR_CERT_ID_LEN];
    scan_log_t log;

    make_id(id, 1);
    write_file(path_in_dir(response_name(id)), "", 0);
    write_file(path_in_dir("README"), "x", 1);
    log.accepted = apr_array_make(ocspr_test_pool, 1, sizeof(const char *));
    log.skipped = apr_array_make(ocspr_test_pool, 1, sizeof(skip_seen_t));
    ck_assert_int_eq(ocspr_store_scan(test_dir, MAX_LEN, ocspr_test_pool, record_entry, NULL,
                                      &log), APR_SUCCESS);
    ck_assert_int_eq(log.accepted->nelts, 0);
}
END_TEST

START_TEST(scan_of_missing_dir)
{
    scan_log_t log;

    log.accepted = apr_array_make(ocspr_test_pool, 1, sizeof(const char *));
    log.skipped = apr_array_make(ocspr_test_pool, 1, sizeof(skip_seen_t));
    ck_assert_int_eq(ocspr_store_scan(path_in_dir("absent"), MAX_LEN, ocspr_test_pool,
                                      record_entry, record_skip, &log), APR_ENOENT);
    ck_assert_int_eq(log.skipped->nelts, 0);
}
END_TEST

/* chmod does not stop root: then a path under a regular file stands in. */
static int dir_rejects_writes(const char *dir)
{
    const char *probe = apr_pstrcat(ocspr_test_pool, dir, "/probe", NULL);
    FILE *f = fopen(probe, "w");

    if (f == NULL) {
        return 1;
    }
    fclose(f);
    remove(probe);
    return 0;
}

START_TEST(save_into_unwritable_dir_fails)
{
    unsigned char id[OCSPR_CERT_ID_LEN];
    unsigned char *der;
    apr_size_t len;
    const char *ro_dir = path_in_dir("ro");
    const char *file = path_in_dir("plain");
    apr_status_t rv;

    make_id(id, 1);
    make_der(&der, &len, OCSP_RESPONSE_STATUS_TRYLATER);
    write_file(file, "x", 1);
    rv = ocspr_store_save(apr_pstrcat(ocspr_test_pool, file, "/sub", NULL), id, der, len,
                          ocspr_test_pool, NULL, NULL);
    ck_assert_int_eq(rv, APR_ENOTDIR);

    ck_assert_int_eq(mkdir(ro_dir, 0500), 0);
    ck_assert_int_eq(chmod(ro_dir, 0500), 0);
    if (dir_rejects_writes(ro_dir)) {
        rv = ocspr_store_save(ro_dir, id, der, len, ocspr_test_pool, NULL, NULL);
        ck_assert_int_eq(rv, APR_EACCES);
    }
    chmod(ro_dir, 0700);
    ck_assert_str_eq(dir_listing(), "plain ro");
}
END_TEST

START_TEST(scan_of_unreadable_dir)
{
    const char *dir = path_in_dir("locked");
    scan_log_t log;

    ck_assert_int_eq(mkdir(dir, 0000), 0);
    ck_assert_int_eq(chmod(dir, 0000), 0);
    if (access(dir, R_OK) == 0) {
        chmod(dir, 0700);
        return;   /* root reads anything: nothing to test */
    }
    log.accepted = apr_array_make(ocspr_test_pool, 1, sizeof(const char *));
    log.skipped = apr_array_make(ocspr_test_pool, 1, sizeof(skip_seen_t));
    ck_assert_int_eq(ocspr_store_scan(dir, MAX_LEN, ocspr_test_pool, record_entry, record_skip,
                                      &log), APR_EACCES);
    chmod(dir, 0700);
}
END_TEST

START_TEST(load_rejects_odd_files)
{
    unsigned char id_empty[OCSPR_CERT_ID_LEN], id_dir[OCSPR_CERT_ID_LEN];
    unsigned char id_fifo[OCSPR_CERT_ID_LEN];
    unsigned char *der;
    apr_size_t len;

    make_id(id_empty, 1);
    make_id(id_dir, 2);
    make_id(id_fifo, 3);
    write_file(path_in_dir(response_name(id_empty)), "", 0);
    ck_assert_int_eq(mkdir(path_in_dir(response_name(id_dir)), 0700), 0);
    ck_assert_int_eq(mkfifo(path_in_dir(response_name(id_fifo)), 0600), 0);
    ck_assert_int_eq(ocspr_store_load(&der, &len, test_dir, id_empty, MAX_LEN, ocspr_test_pool),
                     OCSPR_EINVALID);
    ck_assert_int_eq(ocspr_store_load(&der, &len, test_dir, id_dir, MAX_LEN, ocspr_test_pool),
                     OCSPR_EINVALID);
    ck_assert_int_eq(ocspr_store_load(&der, &len, test_dir, id_fifo, MAX_LEN, ocspr_test_pool),
                     OCSPR_EINVALID);
}
END_TEST

/* A link at the final name is replaced by the rename, never written through. */
START_TEST(save_replaces_link_at_final_name)
{
    unsigned char id[OCSPR_CERT_ID_LEN];
    unsigned char *der;
    apr_size_t len;
    bait_t *bait = make_bait("final-target", "not a response, keep me");
    const char *final_path;

    make_id(id, 1);
    make_der(&der, &len, OCSP_RESPONSE_STATUS_TRYLATER);
    final_path = path_in_dir(response_name(id));
    ck_assert_int_eq(symlink(bait->path, final_path), 0);
    ck_assert_int_eq(ocspr_store_save(test_dir, id, der, len, ocspr_test_pool, NULL, NULL),
                     APR_SUCCESS);
    ck_assert(!is_symlink(final_path));
    assert_file_is(final_path, der, len);
    ck_assert_int_eq(file_mode(final_path), 0600);
    ck_assert_str_eq(dir_listing(), response_name(id));
    assert_bait_untouched(bait);
}
END_TEST

/* A temporary name that is taken, by a link (to a file or to nowhere) or a
 * file, is never opened: the target stays as it was, a dangling link's
 * target is not created. */
START_TEST(temp_file_never_opens_a_planted_link)
{
    unsigned char id[OCSPR_CERT_ID_LEN];
    bait_t *bait = make_bait("temp-target", "keep me too");
    const char *link_path, *dangling, *nowhere, *taken;
    int fd = -1;

    make_id(id, 1);
    link_path = path_in_dir(temp_name(id, "aB3dE6"));
    dangling = path_in_dir(temp_name(id, "Zz9Yy8"));
    nowhere = apr_pstrcat(ocspr_test_pool, test_dir, "-nowhere", NULL);
    taken = path_in_dir(temp_name(id, "000000"));
    ck_assert_int_eq(symlink(bait->path, link_path), 0);
    ck_assert_int_eq(symlink(nowhere, dangling), 0);
    write_file(taken, "x", 1);
    ck_assert_int_eq(ocspr_store_create_new(&fd, link_path), APR_EEXIST);
    ck_assert_int_eq(ocspr_store_create_new(&fd, dangling), APR_EEXIST);
    ck_assert_int_eq(ocspr_store_create_new(&fd, taken), APR_EEXIST);
    ck_assert_int_eq(fd, -1);
    ck_assert_int_eq(access(nowhere, F_OK), -1);
    assert_bait_untouched(bait);
    assert_file_is(taken, (const unsigned char *)"x", 1);
}
END_TEST

START_TEST(create_new_makes_a_private_file)
{
    const char *path = path_in_dir("new");
    mode_t old_umask = umask(0);
    int fd = -1;

    ck_assert_int_eq(ocspr_store_create_new(&fd, path), APR_SUCCESS);
    umask(old_umask);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "ab", 2), 2);
    ck_assert_int_eq(close(fd), 0);
    ck_assert_int_eq(file_mode(path), 0600);
    assert_file_is(path, (const unsigned char *)"ab", 2);
}
END_TEST

/* Loading through a link is refused, by name and by scan, and the link's
 * target (here a response another certificate would accept) is not read. */
START_TEST(load_refuses_link)
{
    unsigned char id[OCSPR_CERT_ID_LEN], id_real[OCSPR_CERT_ID_LEN];
    unsigned char *der, *got = NULL;
    apr_size_t len, got_len = 0;
    const char *target;
    scan_log_t *log;

    make_id(id, 1);
    make_id(id_real, 2);
    make_der(&der, &len, OCSP_RESPONSE_STATUS_TRYLATER);
    target = apr_pstrcat(ocspr_test_pool, test_dir, "-response.der", NULL);
    write_file(target, der, len);
    ck_assert_int_eq(symlink(target, path_in_dir(response_name(id))), 0);
    ck_assert_int_eq(ocspr_store_save(test_dir, id_real, der, len, ocspr_test_pool, NULL, NULL),
                     APR_SUCCESS);
    ck_assert_int_eq(ocspr_store_load(&got, &got_len, test_dir, id, MAX_LEN, ocspr_test_pool),
                     OCSPR_EINVALID);
    ck_assert_ptr_null(got);
    log = scan_dir(APR_SUCCESS);
    ck_assert_int_eq(log->accepted->nelts, 1);
    ck_assert(was_accepted(log, id_real, der, len));
    ck_assert_int_eq(log->skipped->nelts, 1);
    assert_skipped(log, response_name(id), OCSPR_EINVALID,
                   "symbolic link (not followed: store files are never read through links)");
    ck_assert(is_symlink(path_in_dir(response_name(id))));
    remove(target);
}
END_TEST

/* A link at a temporary name, however old, is reported and left alone: a
 * save never makes one, and removing it is no business of the scan. */
START_TEST(scan_leaves_links_at_temp_names)
{
    unsigned char id[OCSPR_CERT_ID_LEN];
    bait_t *bait = make_bait("stale-target", "still here");
    struct timespec old[2];
    const char *name;
    scan_log_t *log;

    make_id(id, 1);
    name = temp_name(id, "q1W2e3");
    ck_assert_int_eq(symlink(bait->path, path_in_dir(name)), 0);
    old[0].tv_sec = old[1].tv_sec = time(NULL) - 3600;
    old[0].tv_nsec = old[1].tv_nsec = 0;
    ck_assert_int_eq(utimensat(AT_FDCWD, path_in_dir(name), old, AT_SYMLINK_NOFOLLOW), 0);
    log = scan_dir(APR_SUCCESS);
    ck_assert_int_eq(log->accepted->nelts, 0);
    ck_assert_int_eq(log->skipped->nelts, 1);
    assert_skipped(log, name, OCSPR_EINVALID,
                   "symbolic link (not followed: store files are never read through links)");
    ck_assert_str_eq(dir_listing(), name);
    assert_bait_untouched(bait);
}
END_TEST

START_TEST(dir_prepare_creates_and_hands_over)
{
    const char *dir = path_in_dir("a/b/store");
    uid_t uid = getuid() == 0 ? 65534 : getuid();
    gid_t gid = getuid() == 0 ? 65534 : getgid();
    const char *problem = "unset";
    mode_t old_umask = umask(077);
    struct stat sb;
    apr_status_t rv;

    rv = ocspr_store_dir_prepare(dir, uid, gid, &problem, ocspr_test_pool);
    umask(old_umask);
    ck_assert_msg(rv == APR_SUCCESS, "prepare: %s", problem ? problem : "(no problem)");
    ck_assert_ptr_null(problem);
    ck_assert_int_eq(lstat(dir, &sb), 0);
    ck_assert(S_ISDIR(sb.st_mode));
    ck_assert_int_eq(sb.st_mode & 07777, 0700);
    ck_assert_int_eq(sb.st_uid, uid);
    ck_assert_int_eq(sb.st_gid, gid);
    /* The parents only lead the way: not handed over. */
    ck_assert_int_eq(lstat(path_in_dir("a/b"), &sb), 0);
    ck_assert_int_eq(sb.st_uid, getuid());
    /* Prepared once, it is accepted as it is the next time. */
    ck_assert_int_eq(ocspr_store_dir_prepare(dir, uid, gid, &problem, ocspr_test_pool),
                     APR_SUCCESS);
}
END_TEST

/* An existing directory is used as it is: no chmod, no chown. */
START_TEST(dir_prepare_keeps_existing)
{
    const char *dir = path_in_dir("store");
    const char *problem = NULL;
    struct stat sb;

    ck_assert_int_eq(mkdir(dir, 0750), 0);
    ck_assert_int_eq(chmod(dir, 0750), 0);
    ck_assert_int_eq(ocspr_store_dir_prepare(dir, getuid(), getgid(), &problem,
                                             ocspr_test_pool), APR_SUCCESS);
    ck_assert_int_eq(lstat(dir, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 07777, 0750);
}
END_TEST

/* A link at the store's name is refused, and the directory it points at is
 * not handed to anyone. */
START_TEST(dir_prepare_refuses_link)
{
    const char *real = path_in_dir("real");
    const char *link_path = path_in_dir("store");
    const char *problem = NULL;
    struct stat before, after;

    ck_assert_int_eq(mkdir(real, 0700), 0);
    ck_assert_int_eq(stat(real, &before), 0);
    ck_assert_int_eq(symlink(real, link_path), 0);
    ck_assert_int_eq(ocspr_store_dir_prepare(link_path, other_uid(), getgid(), &problem,
                                             ocspr_test_pool), OCSPR_EINVALID);
    assert_problem_has(problem, "is a symbolic link");
    /* Even for its own owner. */
    ck_assert_int_eq(ocspr_store_dir_prepare(link_path, getuid(), getgid(), &problem,
                                             ocspr_test_pool), OCSPR_EINVALID);
    ck_assert_int_eq(stat(real, &after), 0);
    ck_assert_int_eq(after.st_uid, before.st_uid);
    ck_assert_int_eq(after.st_gid, before.st_gid);
    ck_assert_int_eq(after.st_mode, before.st_mode);
    /* A dangling link is not followed to create its target either. */
    ck_assert_int_eq(symlink(path_in_dir("nowhere"), path_in_dir("dangling")), 0);
    ck_assert_int_eq(ocspr_store_dir_prepare(path_in_dir("dangling"), getuid(), getgid(),
                                             &problem, ocspr_test_pool), OCSPR_EINVALID);
    assert_problem_has(problem, "is a symbolic link");
    ck_assert_int_eq(access(path_in_dir("nowhere"), F_OK), -1);
}
END_TEST

START_TEST(dir_prepare_refuses_unsafe_dirs)
{
    const char *dir = path_in_dir("store");
    const char *problem = NULL;
    char expected[128];
    struct stat sb;

    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_int_eq(ocspr_store_dir_prepare(dir, other_uid(), getgid(), &problem,
                                             ocspr_test_pool), OCSPR_EINVALID);
    snprintf(expected, sizeof(expected), "is owned by uid %ld, not by the server's user (uid %ld)",
             (long)getuid(), (long)other_uid());
    assert_problem_has(problem, expected);
    ck_assert_int_eq(lstat(dir, &sb), 0);
    ck_assert_int_eq(sb.st_uid, getuid());

    ck_assert_int_eq(chmod(dir, 0777), 0);
    ck_assert_int_eq(ocspr_store_dir_prepare(dir, getuid(), getgid(), &problem,
                                             ocspr_test_pool), OCSPR_EINVALID);
    assert_problem_has(problem, "has mode 0777: writable by every user");
    ck_assert_int_eq(chmod(dir, 0500), 0);
    ck_assert_int_eq(ocspr_store_dir_prepare(dir, getuid(), getgid(), &problem,
                                             ocspr_test_pool), OCSPR_EINVALID);
    assert_problem_has(problem, "has mode 0500");
    chmod(dir, 0700);

    write_file(path_in_dir("file"), "x", 1);
    ck_assert_int_eq(ocspr_store_dir_prepare(path_in_dir("file"), getuid(), getgid(), &problem,
                                             ocspr_test_pool), OCSPR_EINVALID);
    ck_assert_str_eq(problem, "is not a directory");
    ck_assert_int_ne(ocspr_store_dir_prepare(path_in_dir("file/sub"), getuid(), getgid(),
                                             &problem, ocspr_test_pool), APR_SUCCESS);
    assert_problem_has(problem, "cannot be created: ");
}
END_TEST

Suite *ocspr_suite_store(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("store");

    tcase_add_unchecked_fixture(tc, root_setup, root_teardown);
    ocspr_tc_add_pool_fixture(tc);
    tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
    tcase_set_timeout(tc, 30);   /* one test forks a writer */
    tcase_add_test(tc, save_load_round_trip);
    tcase_add_test(tc, saved_file_is_private);
    tcase_add_test(tc, save_overwrites);
    tcase_add_test(tc, save_rejects_empty);
    tcase_add_test(tc, interrupted_save_keeps_previous);
    tcase_add_test(tc, killed_save_keeps_previous);
    tcase_add_test(tc, scan_reports_every_file);
    tcase_add_test(tc, scan_without_skip_callback);
    tcase_add_test(tc, scan_of_missing_dir);
    tcase_add_test(tc, save_into_unwritable_dir_fails);
    tcase_add_test(tc, scan_of_unreadable_dir);
    tcase_add_test(tc, load_rejects_odd_files);
    tcase_add_test(tc, save_replaces_link_at_final_name);
    tcase_add_test(tc, temp_file_never_opens_a_planted_link);
    tcase_add_test(tc, create_new_makes_a_private_file);
    tcase_add_test(tc, load_refuses_link);
    tcase_add_test(tc, scan_leaves_links_at_temp_names);
    tcase_add_test(tc, dir_prepare_creates_and_hands_over);
    tcase_add_test(tc, dir_prepare_keeps_existing);
    tcase_add_test(tc, dir_prepare_refuses_link);
    tcase_add_test(tc, dir_prepare_refuses_unsafe_dirs);
    suite_add_tcase(s, tc);
    return s;
}
