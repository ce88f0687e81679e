/* The on-disk store (contract in ocspr_store.h). Files in the directory are
 * treated as hostile: names are matched exactly, sizes are capped, and the
 * type is checked before opening (opening a FIFO would block the server). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "ocspr_store.h"

#define HEX_ID_LEN        (2 * OCSPR_CERT_ID_LEN)
#define SUFFIX_LEN        (sizeof(OCSPR_STORE_SUFFIX) - 1)
#define TEMP_TEMPLATE     ".XXXXXX"
#define TEMP_RANDOM_LEN   6            /* the XXXXXX mkstemp replaces */
#define TEMP_NAME_LEN     (1 + HEX_ID_LEN + 1 + TEMP_RANDOM_LEN)

#define REASON_FOREIGN    "foreign file (name is not <40 lowercase hex>" OCSPR_STORE_SUFFIX ")"
#define REASON_LEFTOVER   "leftover temporary file of an interrupted write"

static const char *error_text(apr_pool_t *p, apr_status_t rv)
{
    char buf[256];

    return apr_pstrdup(p, apr_strerror(rv, buf, sizeof(buf)));
}

static const char *response_path(apr_pool_t *p, const char *dir,
                                 const unsigned char id[OCSPR_CERT_ID_LEN])
{
    return apr_pstrcat(p, dir, "/", ocspr_hex(p, id, OCSPR_CERT_ID_LEN), OCSPR_STORE_SUFFIX,
                       NULL);
}

/* The rename is durable only once the directory entry is on disk. APR has
 * no call for a directory fsync, so use POSIX directly. */
static apr_status_t sync_directory(const char *dir)
{
    apr_status_t rv = APR_SUCCESS;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0) {
        return errno;
    }
    /* EINVAL: this file system cannot sync a directory; nothing more to do. */
    if (fsync(fd) != 0 && errno != EINVAL) {
        rv = errno;
    }
    close(fd);
    return rv;
}

apr_status_t ocspr_store_save(const char *dir, const unsigned char id[OCSPR_CERT_ID_LEN],
                              const unsigned char *der, apr_size_t len, apr_pool_t *p,
                              ocspr_store_hook_fn *before_rename, void *baton)
{
    const char *hex = ocspr_hex(p, id, OCSPR_CERT_ID_LEN);
    char *tmp_path = apr_pstrcat(p, dir, "/.", hex, TEMP_TEMPLATE, NULL);
    apr_file_t *f = NULL;
    int tmp_exists = 0;
    apr_status_t rv;

    if (der == NULL || len == 0) {
        return APR_EINVAL;
    }
    /* Explicit flags: the default ones include APR_FOPEN_DELONCLOSE. */
    rv = apr_file_mktemp(&f, tmp_path, APR_FOPEN_CREATE | APR_FOPEN_READ | APR_FOPEN_WRITE
                                       | APR_FOPEN_EXCL | APR_FOPEN_BINARY, p);
    if (rv != APR_SUCCESS) {
        f = NULL;
        goto cleanup;
    }
    tmp_exists = 1;
    if ((rv = apr_file_perms_set(tmp_path, APR_FPROT_UREAD | APR_FPROT_UWRITE)) != APR_SUCCESS
        || (rv = apr_file_write_full(f, der, len, NULL)) != APR_SUCCESS
        || (rv = apr_file_sync(f)) != APR_SUCCESS) {
        goto cleanup;
    }
    rv = apr_file_close(f);
    f = NULL;
    if (rv != APR_SUCCESS) {
        goto cleanup;
    }
    if (before_rename && (rv = before_rename(baton, tmp_path)) != APR_SUCCESS) {
        goto cleanup;
    }
    rv = apr_file_rename(tmp_path, response_path(p, dir, id), p);
    if (rv != APR_SUCCESS) {
        goto cleanup;
    }
    tmp_exists = 0;
    rv = sync_directory(dir);

cleanup:
    if (f) {
        apr_file_close(f);
    }
    if (tmp_exists) {
        apr_file_remove(tmp_path, p);
    }
    return rv;
}

/* Read a whole regular file of 1..max_len bytes. On failure *preason says
 * why, without the path. */
static apr_status_t read_capped(unsigned char **pdata, apr_size_t *plen, const char **preason,
                                const char *path, apr_size_t max_len, apr_pool_t *p)
{
    apr_finfo_t fi;
    apr_file_t *f = NULL;
    apr_size_t size;
    apr_status_t rv;

    rv = apr_stat(&fi, path, APR_FINFO_TYPE, p);
    if (rv != APR_SUCCESS) {
        *preason = apr_pstrcat(p, "cannot stat: ", error_text(p, rv), NULL);
        return rv;
    }
    if (fi.filetype != APR_REG) {
        *preason = "not a regular file";
        return OCSPR_EINVALID;
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        *preason = apr_pstrcat(p, "cannot open: ", error_text(p, rv), NULL);
        return rv;
    }
    /* The size of what we opened, not of what we stat'ed: it may have been
     * replaced in between. */
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    if (rv != APR_SUCCESS) {
        *preason = apr_pstrcat(p, "cannot read: ", error_text(p, rv), NULL);
        goto cleanup;
    }
    if (fi.size == 0) {
        *preason = "empty file";
        rv = OCSPR_EINVALID;
        goto cleanup;
    }
    if (fi.size < 0 || (apr_uint64_t)fi.size > max_len) {
        *preason = apr_psprintf(p, "larger than %" APR_SIZE_T_FMT " bytes (%" APR_OFF_T_FMT
                                " bytes)", max_len, fi.size);
        rv = OCSPR_EINVALID;
        goto cleanup;
    }
    size = (apr_size_t)fi.size;
    *pdata = apr_palloc(p, size);
    rv = apr_file_read_full(f, *pdata, size, plen);
    if (rv != APR_SUCCESS) {
        *preason = apr_pstrcat(p, "cannot read: ", error_text(p, rv), NULL);
    }

cleanup:
    apr_file_close(f);
    return rv;
}

apr_status_t ocspr_store_load(unsigned char **pder, apr_size_t *plen, const char *dir,
                              const unsigned char id[OCSPR_CERT_ID_LEN], apr_size_t max_len,
                              apr_pool_t *p)
{
    const char *reason;

    return read_capped(pder, plen, &reason, response_path(p, dir, id), max_len, p);
}

apr_status_t ocspr_store_remove(const char *dir, const unsigned char id[OCSPR_CERT_ID_LEN],
                                apr_pool_t *p)
{
    apr_status_t rv = apr_file_remove(response_path(p, dir, id), p);

    return APR_STATUS_IS_ENOENT(rv) ? APR_SUCCESS : rv;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* Parse HEX_ID_LEN lowercase hex digits into id (may be NULL: just check). */
static int parse_hex_id(unsigned char *id, const char *s)
{
    int i;

    for (i = 0; i < OCSPR_CERT_ID_LEN; i++) {
        int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            return 0;
        }
        if (id) {
            id[i] = (unsigned char)(hi << 4 | lo);
        }
    }
    return 1;
}

/* "<40 lowercase hex>.der" */
static int parse_response_name(unsigned char id[OCSPR_CERT_ID_LEN], const char *name)
{
    return strlen(name) == HEX_ID_LEN + SUFFIX_LEN
           && strcmp(name + HEX_ID_LEN, OCSPR_STORE_SUFFIX) == 0 && parse_hex_id(id, name);
}

/* ".<40 lowercase hex>.XXXXXX", as ocspr_store_save names its temp files. */
static int is_temp_name(const char *name)
{
    const char *random = name + 1 + HEX_ID_LEN + 1;
    int i;

    if (strlen(name) != TEMP_NAME_LEN || name[0] != '.' || name[1 + HEX_ID_LEN] != '.'
        || !parse_hex_id(NULL, name + 1)) {
        return 0;
    }
    for (i = 0; i < TEMP_RANDOM_LEN; i++) {
        if (!apr_isalnum(random[i])) {
            return 0;
        }
    }
    return 1;
}

static void report(ocspr_store_skip_fn *skip, void *baton, const char *path, apr_status_t rv,
                   const char *reason)
{
    if (skip) {
        skip(baton, path, rv, reason);
    }
}

/* A temp file old enough cannot belong to a save in progress: its writer
 * died between create and rename. */
static void remove_stale_temp(const char *path, const apr_finfo_t *fi, apr_time_t now,
                              apr_pool_t *p, ocspr_store_skip_fn *skip, void *baton)
{
    apr_status_t rv;

    if (!(fi->valid & APR_FINFO_MTIME) || now - fi->mtime <= OCSPR_STORE_TEMP_MAX_AGE) {
        return;
    }
    rv = apr_file_remove(path, p);
    if (rv == APR_SUCCESS) {
        report(skip, baton, path, rv, REASON_LEFTOVER ", removed");
    }
    else if (!APR_STATUS_IS_ENOENT(rv)) {
        report(skip, baton, path, rv,
               apr_pstrcat(p, REASON_LEFTOVER ", cannot remove: ", error_text(p, rv), NULL));
    }
}

static void visit(const char *dir, const apr_finfo_t *fi, apr_time_t now, apr_size_t max_len,
                  apr_pool_t *p, ocspr_store_entry_fn *entry, ocspr_store_skip_fn *skip,
                  void *baton)
{
    int type_known = (fi->valid & APR_FINFO_TYPE) != 0;
    unsigned char id[OCSPR_CERT_ID_LEN];
    const char *path;

    if (strcmp(fi->name, ".") == 0 || strcmp(fi->name, "..") == 0
        || (type_known && fi->filetype == APR_DIR)) {
        return;
    }
    path = apr_pstrcat(p, dir, "/", fi->name, NULL);
    if (parse_response_name(id, fi->name)) {
        unsigned char *der;
        apr_size_t len;
        const char *reason;
        apr_status_t rv = read_capped(&der, &len, &reason, path, max_len, p);

        if (rv == APR_SUCCESS) {
            /* A rejection is reported by entry itself, with its detail. */
            (void)entry(baton, id, der, len, path);
        }
        else {
            report(skip, baton, path, rv, reason);
        }
    }
    else if (is_temp_name(fi->name) && type_known && fi->filetype == APR_REG) {
        remove_stale_temp(path, fi, now, p, skip, baton);
    }
    else {
        report(skip, baton, path, OCSPR_EINVALID, REASON_FOREIGN);
    }
}

apr_status_t ocspr_store_scan(const char *dir, apr_size_t max_len, apr_pool_t *p,
                              ocspr_store_entry_fn *entry, ocspr_store_skip_fn *skip,
                              void *baton)
{
    apr_time_t now = apr_time_now();
    apr_pool_t *iter_pool = NULL;
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_status_t rv;

    rv = apr_dir_open(&d, dir, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* One file's buffers are freed before the next is read: a store of many
     * responses costs the memory of the largest, not of all. */
    rv = apr_pool_create(&iter_pool, p);
    while (rv == APR_SUCCESS) {
        apr_pool_clear(iter_pool);
        /* MTIME makes APR lstat each entry, so the type is that of the entry
         * itself (a symlink is not a directory). */
        rv = apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE | APR_FINFO_MTIME, d);
        if (APR_STATUS_IS_ENOENT(rv)) {
            rv = APR_SUCCESS;
            break;
        }
        if (rv == APR_INCOMPLETE) {
            rv = APR_SUCCESS;   /* the entry vanished or cannot be stat'ed: visit checks valid */
        }
        if (rv == APR_SUCCESS) {
            visit(dir, &fi, now, max_len, iter_pool, entry, skip, baton);
        }
    }
    if (iter_pool) {
        apr_pool_destroy(iter_pool);
    }
    apr_dir_close(d);
    return rv;
}
