/* The on-disk store: one file per certificate holding the raw DER response
 * (so `openssl ocsp -respin FILE -text` reads it), named by the certificate
 * id in lowercase hex with a ".der" suffix. Written atomically: a temporary
 * file ".<hex>.XXXXXX" in the same directory is written, fsynced and renamed
 * over the final name, then the directory is fsynced. A crash at any point
 * leaves either the old or the new file, never a mix; at worst a leftover
 * temporary file, which ocspr_store_scan removes once it is old enough.
 *
 * Links are never followed at a file's name: every store file is opened with
 * O_NOFOLLOW, a temporary file is created with O_CREAT|O_EXCL|O_NOFOLLOW, a
 * link at a final name is replaced by the rename (never written through),
 * and modes are set on the open descriptor, never by path. The store is
 * meant to be written only by the server's user (never by root): whoever
 * can plant a link in the directory can then gain nothing it does not
 * already have. */
#ifndef OCSPR_STORE_H
#define OCSPR_STORE_H

#include <sys/types.h>

#include "ocspr_cert.h"

#define OCSPR_STORE_SUFFIX ".der"

/* A temporary file younger than this may belong to a save in progress (in
 * another process): the scan leaves it alone. */
#define OCSPR_STORE_TEMP_MAX_AGE apr_time_from_sec(60)

/* Where the response for id lives in dir: "<dir>/<40 lowercase hex>.der". */
const char *ocspr_store_path(apr_pool_t *p, const char *dir,
                             const unsigned char id[OCSPR_CERT_ID_LEN]);
/* Is name (a file name, no directory) a response's, and of which id? */
int ocspr_store_parse_name(unsigned char id[OCSPR_CERT_ID_LEN], const char *name);

/* Make dir the store directory of the user uid:gid (the server's user; a
 * server that does not start as root passes its own ids). For the root
 * parent, before it forks anything that runs as that user.
 *
 * A missing dir is created (mode 0700; missing parents 0755, owned by the
 * caller), opened with O_DIRECTORY|O_NOFOLLOW and handed over with fchown
 * and fchmod on that descriptor: nothing is changed by path, so a link
 * swapped in after the mkdir is refused, never followed (and so is a
 * directory the caller does not own). An existing dir is used as it is,
 * never chowned or chmodded (it may be shared on purpose), and must be a
 * real directory, not a symbolic link, owned by uid, with u+rwx, and not
 * writable by every user.
 *
 * APR_SUCCESS when the store can be used. Otherwise the error of the step
 * that failed (OCSPR_EINVALID for a refused directory) and *problem, a
 * phrase to log after the path, such as "is a symbolic link (refused: store
 * directories are not followed through links)" or "is owned by uid 0, not
 * by the server's user (uid 33); an existing directory is never chowned". */
apr_status_t ocspr_store_dir_prepare(const char *dir, uid_t uid, gid_t gid,
                                     const char **problem, apr_pool_t *p);

/* Create path as a new, empty, private (0600) file and open it for writing
 * (*pfd, close-on-exec): O_CREAT|O_EXCL|O_NOFOLLOW, so nothing that exists
 * at that name, a symbolic link included, is ever opened (APR_EEXIST).
 * ocspr_store_save uses it with random temporary names, retrying another
 * name on APR_EEXIST; it is declared here so tests can aim at a known name. */
apr_status_t ocspr_store_create_new(int *pfd, const char *path);

/* Called between fsync of the temporary file and the rename; a non-success
 * return aborts the save (the temp file is removed, a previous file for the
 * id is left as it was) and is returned by ocspr_store_save. Tests use it to
 * interrupt a write; the engine passes NULL. */
typedef apr_status_t ocspr_store_hook_fn(void *baton, const char *tmp_path);

/* Write der for id into dir: a new temp file in dir (ocspr_store_create_new,
 * mode 0600), write, fsync, rename over the final name (a symbolic link
 * there is replaced, its target untouched), fsync the directory. APR_EINVAL
 * for an empty der; otherwise the APR error of the step that failed (a
 * failure before the rename leaves no temp file and the previous file
 * untouched). */
apr_status_t ocspr_store_save(const char *dir, const unsigned char id[OCSPR_CERT_ID_LEN],
                              const unsigned char *der, apr_size_t len, apr_pool_t *p,
                              ocspr_store_hook_fn *before_rename, void *baton);

/* Read the response for id; APR_ENOENT when there is none; OCSPR_EINVALID
 * when it is a symbolic link (not followed), empty, not a regular file, or
 * larger than max_len; otherwise the APR error of reading it. */
apr_status_t ocspr_store_load(unsigned char **pder, apr_size_t *plen, const char *dir,
                              const unsigned char id[OCSPR_CERT_ID_LEN], apr_size_t max_len,
                              apr_pool_t *p);

/* Visit every file of dir (not recursively: subdirectories, "." and ".." are
 * ignored).
 *
 * A file named <40 lowercase hex digits>.der is read (at most max_len bytes)
 * and handed to entry, which decides (typically: validate it, then cache
 * it). der and path live only during the call. entry returns APR_SUCCESS
 * when it takes the file. When it rejects it, entry reports why itself (it
 * knows the detail, e.g. which validation check failed; typically it calls
 * its own skip function with the same baton) and returns the error: the scan
 * does not report that file again and goes on.
 *
 * Every other file is passed to skip (may be NULL) with the file's full path,
 * an apr_status_t and a reason, a short phrase without the path (log it as
 * "<path>: <reason>"):
 *   "foreign file (name is not <40 lowercase hex>.der)"      OCSPR_EINVALID
 *   "symbolic link (not followed: store files are never read through links)"
 *                                                            OCSPR_EINVALID
 *   "not a regular file"                                     OCSPR_EINVALID
 *   "empty file"                                             OCSPR_EINVALID
 *   "larger than <max_len> bytes (<size> bytes)"             OCSPR_EINVALID
 *   "cannot stat: <error>" / "cannot open: <error>" / "cannot read: <error>"
 *                                                            the APR error
 *   "leftover temporary file of an interrupted write, removed"    APR_SUCCESS
 *   "leftover temporary file of an interrupted write, cannot remove: <error>"
 *                                                            the APR error
 * A leftover temporary file (regular, named .<40 hex>.XXXXXX) younger than
 * OCSPR_STORE_TEMP_MAX_AGE is ignored silently; anything else at such a
 * name (a link, a FIFO) is reported as above and left alone. Nothing else is ever
 * deleted, and no single file's problem is fatal: the result is the error of
 * opening or reading the directory itself (the caller then works
 * memory-only), APR_SUCCESS otherwise. */
typedef apr_status_t ocspr_store_entry_fn(void *baton, const unsigned char id[OCSPR_CERT_ID_LEN],
                                          const unsigned char *der, apr_size_t len,
                                          const char *path);
typedef void ocspr_store_skip_fn(void *baton, const char *path, apr_status_t rv,
                                 const char *reason);
apr_status_t ocspr_store_scan(const char *dir, apr_size_t max_len, apr_pool_t *p,
                              ocspr_store_entry_fn *entry, ocspr_store_skip_fn *skip,
                              void *baton);

#endif /* OCSPR_STORE_H */
