/* The on-disk store: one file per certificate holding the raw DER response
 * (so `openssl ocsp -respin FILE -text` reads it), named by the certificate
 * id in lowercase hex with a ".der" suffix. Written atomically: a temporary
 * file ".<hex>.XXXXXX" in the same directory is written, fsynced and renamed
 * over the final name, then the directory is fsynced. A crash at any point
 * leaves either the old or the new file, never a mix; at worst a leftover
 * temporary file, which ocspr_store_scan removes once it is old enough. */
#ifndef OCSPR_STORE_H
#define OCSPR_STORE_H

#include "ocspr_cert.h"

#define OCSPR_STORE_SUFFIX ".der"

/* A temporary file younger than this may belong to a save in progress (in
 * another process): the scan leaves it alone. */
#define OCSPR_STORE_TEMP_MAX_AGE apr_time_from_sec(60)

/* Called between fsync of the temporary file and the rename; a non-success
 * return aborts the save (the temp file is removed, a previous file for the
 * id is left as it was) and is returned by ocspr_store_save. Tests use it to
 * interrupt a write; the engine passes NULL. */
typedef apr_status_t ocspr_store_hook_fn(void *baton, const char *tmp_path);

/* Write der for id into dir: temp file in dir (mode 0600), write, fsync,
 * rename over the final name, fsync the directory. APR_EINVAL for an empty
 * der; otherwise the APR error of the step that failed (a failure before the
 * rename leaves no temp file and the previous file untouched). */
apr_status_t ocspr_store_save(const char *dir, const unsigned char id[OCSPR_CERT_ID_LEN],
                              const unsigned char *der, apr_size_t len, apr_pool_t *p,
                              ocspr_store_hook_fn *before_rename, void *baton);

/* Read the response for id; APR_ENOENT when there is none; OCSPR_EINVALID
 * when it is empty, not a regular file, or larger than max_len; otherwise
 * the APR error of reading it. */
apr_status_t ocspr_store_load(unsigned char **pder, apr_size_t *plen, const char *dir,
                              const unsigned char id[OCSPR_CERT_ID_LEN], apr_size_t max_len,
                              apr_pool_t *p);

/* Remove the response for id (no error when absent). */
apr_status_t ocspr_store_remove(const char *dir, const unsigned char id[OCSPR_CERT_ID_LEN],
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
 *   "not a regular file"                                     OCSPR_EINVALID
 *   "empty file"                                             OCSPR_EINVALID
 *   "larger than <max_len> bytes (<size> bytes)"             OCSPR_EINVALID
 *   "cannot stat: <error>" / "cannot open: <error>" / "cannot read: <error>"
 *                                                            the APR error
 *   "leftover temporary file of an interrupted write, removed"    APR_SUCCESS
 *   "leftover temporary file of an interrupted write, cannot remove: <error>"
 *                                                            the APR error
 * A leftover temporary file (regular, named .<40 hex>.XXXXXX) younger than
 * OCSPR_STORE_TEMP_MAX_AGE is ignored silently. Nothing else is ever
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
