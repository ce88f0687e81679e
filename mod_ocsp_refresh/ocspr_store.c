/* The on-disk store (contract in ocspr_store.h). Files in the directory are
 * treated as hostile: names are matched exactly, links are never followed,
 * sizes are capped, and the type is checked on the open descriptor (opened
 * non-blocking, so a FIFO cannot block the server). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "ocspr_store.h"

#define HEX_ID_LEN        (2 * OCSPR_CERT_ID_LEN)
#define SUFFIX_LEN        (sizeof(OCSPR_STORE_SUFFIX) - 1)
#define TEMP_RANDOM_LEN   6
#define TEMP_NAME_LEN     (1 + HEX_ID_LEN + 1 + TEMP_RANDOM_LEN)
/* Names taken by others (a leftover, a planted link) are skipped; this many
 * collisions in a row in 62^6 names means something is wrong. */
#define TEMP_TRIES        16

#define REASON_FOREIGN    "foreign file (name is not <40 lowercase hex>" OCSPR_STORE_SUFFIX ")"
#define REASON_LEFTOVER   "leftover temporary file of an interrupted write"
#define REASON_SYMLINK    "symbolic link (not followed: store files are never read through links)"
#define REASON_NOT_REG    "not a regular file"

static const char TEMP_ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static const char *error_text(apr_pool_t *p, apr_status_t rv)
{
    char buf[256];

    return apr_pstrdup(p, apr_strerror(rv, buf, sizeof(buf)));
}

const char *ocspr_store_path(apr_pool_t *p, const char *dir,
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

/* mkdir dir (0700), after its missing parents (0755: they only lead the
 * way). *pcreated tells whether dir itself was made now. */
static apr_status_t make_store_dir(int *pcreated, const char *dir, apr_pool_t *p)
{
    char *parent, *slash;
    apr_status_t rv;

    *pcreated = 0;
    if (mkdir(dir, 0700) == 0) {
        *pcreated = 1;
        return APR_SUCCESS;
    }
    if (errno == EEXIST) {
        return APR_SUCCESS;
    }
    if (errno != ENOENT) {
        return APR_FROM_OS_ERROR(errno);
    }
    parent = apr_pstrdup(p, dir);
    slash = strrchr(parent, '/');
    if (slash == NULL || slash == parent) {
        return APR_ENOENT;
    }
    *slash = '\0';
    rv = apr_dir_make_recursive(parent, APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_UEXECUTE
                                        | APR_FPROT_GREAD | APR_FPROT_GEXECUTE
                                        | APR_FPROT_WREAD | APR_FPROT_WEXECUTE, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (mkdir(dir, 0700) != 0) {
        return errno == EEXIST ? APR_SUCCESS : APR_FROM_OS_ERROR(errno);
    }
    *pcreated = 1;
    return APR_SUCCESS;
}

/* The checks on an open store directory; on a refusal *problem says why. */
static apr_status_t check_store_dir(int fd, int created, uid_t uid, gid_t gid,
                                    const char **problem, apr_pool_t *p)
{
    struct stat sb;
    apr_status_t rv;

    if (fstat(fd, &sb) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        *problem = apr_pstrcat(p, "cannot be examined: ", error_text(p, rv), NULL);
        return rv;
    }
    if (created) {
        /* On the descriptor, which no link can redirect; a directory
         * swapped in after the mkdir (by someone who can write the parent)
         * is not ours: its owner gives it away. */
        if (sb.st_uid != geteuid()) {
            *problem = apr_psprintf(p, "was replaced right after it was created (now owned by "
                                    "uid %ld); not handed over", (long)sb.st_uid);
            return OCSPR_EINVALID;
        }
        if ((sb.st_uid != uid || sb.st_gid != gid) && fchown(fd, uid, gid) != 0) {
            rv = APR_FROM_OS_ERROR(errno);
            *problem = apr_pstrcat(p, "was created but cannot be handed to the server's user "
                                   "(fchown): ", error_text(p, rv), NULL);
            return rv;
        }
        if (fchmod(fd, 0700) != 0) {
            rv = APR_FROM_OS_ERROR(errno);
            *problem = apr_pstrcat(p, "was created but cannot be made private (fchmod): ",
                                   error_text(p, rv), NULL);
            return rv;
        }
        return APR_SUCCESS;
    }
    if (sb.st_uid != uid) {
        *problem = apr_psprintf(p, "is owned by uid %ld, not by the server's user (uid %ld); "
                                "an existing directory is never chowned: chown it or remove "
                                "it (it is then created)", (long)sb.st_uid, (long)uid);
        return OCSPR_EINVALID;
    }
    if ((sb.st_mode & S_IRWXU) != S_IRWXU) {
        *problem = apr_psprintf(p, "has mode %04o: its owner must be able to read, write and "
                                "enter it (u+rwx)", (unsigned)(sb.st_mode & 07777));
        return OCSPR_EINVALID;
    }
    if (sb.st_mode & S_IWOTH) {
        *problem = apr_psprintf(p, "has mode %04o: writable by every user, who could plant "
                                "files in it (chmod o-w)", (unsigned)(sb.st_mode & 07777));
        return OCSPR_EINVALID;
    }
    return APR_SUCCESS;
}

apr_status_t ocspr_store_dir_prepare(const char *dir, uid_t uid, gid_t gid,
                                     const char **problem, apr_pool_t *p)
{
    struct stat sb;
    int created, fd;
    apr_status_t rv;

    *problem = NULL;
    rv = make_store_dir(&created, dir, p);
    if (rv != APR_SUCCESS) {
        *problem = apr_pstrcat(p, "cannot be created: ", error_text(p, rv), NULL);
        return rv;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        rv = APR_FROM_OS_ERROR(errno);
        if (lstat(dir, &sb) == 0 && S_ISLNK(sb.st_mode)) {
            *problem = "is a symbolic link (refused: store directories are not followed "
                       "through links; point OCSPRefreshStore at the real directory)";
            return OCSPR_EINVALID;
        }
        if (APR_STATUS_IS_ENOTDIR(rv)) {
            *problem = "is not a directory";
            return OCSPR_EINVALID;
        }
        *problem = apr_pstrcat(p, "cannot be opened: ", error_text(p, rv), NULL);
        return rv;
    }
    rv = check_store_dir(fd, created, uid, gid, problem, p);
    close(fd);
    return rv;
}

apr_status_t ocspr_store_create_new(int *pfd, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    /* The umask may have narrowed the mode; on the descriptor, never by path. */
    if (fchmod(fd, 0600) != 0) {
        apr_status_t rv = APR_FROM_OS_ERROR(errno);

        close(fd);
        unlink(path);
        return rv;
    }
    *pfd = fd;
    return APR_SUCCESS;
}

/* A new temp file ".<hex>.<6 random alphanumerics>" in dir: random, so a
 * name cannot be planted in advance; exclusive, so a planted one is skipped. */
static apr_status_t create_temp(int *pfd, const char **ptmp_path, const char *dir,
                                const char *hex, apr_pool_t *p)
{
    unsigned char random[TEMP_RANDOM_LEN];
    char suffix[TEMP_RANDOM_LEN + 1];
    apr_status_t rv = APR_EEXIST;
    int try, i;

    for (try = 0; try < TEMP_TRIES && APR_STATUS_IS_EEXIST(rv); try++) {
        if ((rv = apr_generate_random_bytes(random, sizeof(random))) != APR_SUCCESS) {
            return rv;
        }
        for (i = 0; i < TEMP_RANDOM_LEN; i++) {
            suffix[i] = TEMP_ALPHABET[random[i] % (sizeof(TEMP_ALPHABET) - 1)];
        }
        suffix[TEMP_RANDOM_LEN] = '\0';
        *ptmp_path = apr_pstrcat(p, dir, "/.", hex, ".", suffix, NULL);
        rv = ocspr_store_create_new(pfd, *ptmp_path);
    }
    return rv;
}

static apr_status_t write_all(int fd, const unsigned char *data, apr_size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return APR_FROM_OS_ERROR(errno);
        }
        data += n;
        len -= (apr_size_t)n;
    }
    return APR_SUCCESS;
}

apr_status_t ocspr_store_save(const char *dir, const unsigned char id[OCSPR_CERT_ID_LEN],
                              const unsigned char *der, apr_size_t len, apr_pool_t *p,
                              ocspr_store_hook_fn *before_rename, void *baton)
{
    const char *tmp_path = NULL;
    int fd = -1, tmp_exists = 0;
    apr_status_t rv;

    if (der == NULL || len == 0) {
        return APR_EINVAL;
    }
    rv = create_temp(&fd, &tmp_path, dir, ocspr_hex(p, id, OCSPR_CERT_ID_LEN), p);
    if (rv != APR_SUCCESS) {
        fd = -1;
        goto cleanup;
    }
    tmp_exists = 1;
    if ((rv = write_all(fd, der, len)) != APR_SUCCESS) {
        goto cleanup;
    }
    if (fsync(fd) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        goto cleanup;
    }
    rv = close(fd) == 0 ? APR_SUCCESS : APR_FROM_OS_ERROR(errno);
    fd = -1;
    if (rv != APR_SUCCESS) {
        goto cleanup;
    }
    if (before_rename && (rv = before_rename(baton, tmp_path)) != APR_SUCCESS) {
        goto cleanup;
    }
    /* rename replaces whatever is at the final name, a link included: the
     * link's target is never opened. */
    rv = apr_file_rename(tmp_path, ocspr_store_path(p, dir, id), p);
    if (rv != APR_SUCCESS) {
        goto cleanup;
    }
    tmp_exists = 0;
    rv = sync_directory(dir);

cleanup:
    if (fd >= 0) {
        close(fd);
    }
    if (tmp_exists) {
        apr_file_remove(tmp_path, p);
    }
    return rv;
}

/* Read a whole regular file of 1..max_len bytes. On failure *preason says
 * why, without the path. Opened without following a link and without
 * blocking (a FIFO), then checked on the descriptor: what is read is what
 * was checked, even if the name is swapped in between. */
static apr_status_t read_capped(unsigned char **pdata, apr_size_t *plen, const char **preason,
                                const char *path, apr_size_t max_len, apr_pool_t *p)
{
    struct stat sb;
    apr_size_t size, got = 0;
    apr_status_t rv = APR_SUCCESS;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        rv = APR_FROM_OS_ERROR(errno);
        if (errno == ELOOP) {
            *preason = REASON_SYMLINK;
            return OCSPR_EINVALID;
        }
        *preason = apr_pstrcat(p, "cannot open: ", error_text(p, rv), NULL);
        return rv;
    }
    if (fstat(fd, &sb) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        *preason = apr_pstrcat(p, "cannot read: ", error_text(p, rv), NULL);
        goto cleanup;
    }
    if (!S_ISREG(sb.st_mode)) {
        *preason = REASON_NOT_REG;
        rv = OCSPR_EINVALID;
        goto cleanup;
    }
    if (sb.st_size == 0) {
        *preason = "empty file";
        rv = OCSPR_EINVALID;
        goto cleanup;
    }
    if (sb.st_size < 0 || (apr_uint64_t)sb.st_size > max_len) {
        *preason = apr_psprintf(p, "larger than %" APR_SIZE_T_FMT " bytes (%" APR_OFF_T_FMT
                                " bytes)", max_len, (apr_off_t)sb.st_size);
        rv = OCSPR_EINVALID;
        goto cleanup;
    }
    size = (apr_size_t)sb.st_size;
    *pdata = apr_palloc(p, size);
    while (got < size) {
        ssize_t n = read(fd, *pdata + got, size - got);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            /* A file that shrank under us reads as truncated. */
            rv = n < 0 ? APR_FROM_OS_ERROR(errno) : APR_EOF;
            *preason = apr_pstrcat(p, "cannot read: ", error_text(p, rv), NULL);
            goto cleanup;
        }
        got += (apr_size_t)n;
    }
    *plen = got;

cleanup:
    close(fd);
    return rv;
}

apr_status_t ocspr_store_load(unsigned char **pder, apr_size_t *plen, const char *dir,
                              const unsigned char id[OCSPR_CERT_ID_LEN], apr_size_t max_len,
                              apr_pool_t *p)
{
    const char *reason;

    return read_capped(pder, plen, &reason, ocspr_store_path(p, dir, id), max_len, p);
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

int ocspr_store_parse_name(unsigned char id[OCSPR_CERT_ID_LEN], const char *name)
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
    if (ocspr_store_parse_name(id, fi->name)) {
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
    else if (is_temp_name(fi->name) && type_known) {
        /* Never written by a save (its temp files are created, not
         * linked): left alone, the link's target untouched. */
        report(skip, baton, path, OCSPR_EINVALID,
               fi->filetype == APR_LNK ? REASON_SYMLINK : REASON_NOT_REG);
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
