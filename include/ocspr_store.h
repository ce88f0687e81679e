/* The on-disk store: one file per certificate holding the raw DER response
 * (so `openssl ocsp -respin FILE -text` reads it), named by the certificate
 * id in hex with a ".der" suffix. Written atomically. */
#ifndef OCSPR_STORE_H
#define OCSPR_STORE_H

#include "ocspr_cert.h"

#define OCSPR_STORE_SUFFIX ".der"

/* Called between fsync of the temporary file and the rename; a non-success
 * return aborts the save (the temp file is removed). Tests use it to
 * interrupt a write; the engine passes NULL. */
typedef apr_status_t ocspr_store_hook_fn(void *baton, const char *tmp_path);

/* Write der for id into dir: temp file in dir (mode 0600), write, fsync,
 * rename over the final name, fsync the directory. */
apr_status_t ocspr_store_save(const char *dir, const unsigned char id[OCSPR_CERT_ID_LEN],
                              const unsigned char *der, apr_size_t len, apr_pool_t *p,
                              ocspr_store_hook_fn *before_rename, void *baton);

/* Read the response for id; APR_ENOENT when there is none; OCSPR_EINVALID
 * when it is larger than max_len. */
apr_status_t ocspr_store_load(unsigned char **pder, apr_size_t *plen, const char *dir,
                              const unsigned char id[OCSPR_CERT_ID_LEN], apr_size_t max_len,
                              apr_pool_t *p);

/* Remove the response for id (no error when absent). */
apr_status_t ocspr_store_remove(const char *dir, const unsigned char id[OCSPR_CERT_ID_LEN],
                                apr_pool_t *p);

/* Visit every response file of dir. For a well-named file the entry callback
 * decides (typically: validate it); a non-success return from it, a file with
 * a foreign name, an unreadable or oversize file, and leftover temp files are
 * passed to skip with a specific reason. Nothing is fatal; nothing is deleted
 * except leftover temp files older than a minute. */
typedef apr_status_t ocspr_store_entry_fn(void *baton, const unsigned char id[OCSPR_CERT_ID_LEN],
                                          const unsigned char *der, apr_size_t len,
                                          const char *path);
typedef void ocspr_store_skip_fn(void *baton, const char *path, apr_status_t rv,
                                 const char *reason);
apr_status_t ocspr_store_scan(const char *dir, apr_size_t max_len, apr_pool_t *p,
                              ocspr_store_entry_fn *entry, ocspr_store_skip_fn *skip,
                              void *baton);

#endif /* OCSPR_STORE_H */
