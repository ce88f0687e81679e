/* mod_ssl's issuer search for a certificate (httpd 2.4 ssl_util_stapling.c
 * stapling_get_issuer, with the loading of ssl_engine_init.c), using the same
 * OpenSSL calls, so that "found" here means found there; and the files it
 * reads, each loaded once per run (thousands of vhosts share a few chain and
 * CA files).
 *
 * What mod_ssl does, with OpenSSL 3:
 * - Without SSLCertificateChainFile, each SSLCertificateFile is loaded with
 *   SSL_CTX_use_certificate_chain_file: the first PEM certificate is the
 *   server certificate, the following ones its own chain. The search looks at
 *   that chain (SSL_CTX_get_extra_chain_certs falls back to the current
 *   certificate's chain when no extra certificates exist).
 * - With SSLCertificateChainFile, certificate files are read with
 *   SSL_CTX_use_certificate_file (first certificate only) and the chain file's
 *   PEM certificates become the extra certificates of every certificate of
 *   the vhost (skipping the first when the chain file is also a certificate
 *   file). A DER or PKCS#7 chain file silently yields none.
 * - The first extra certificate for which X509_check_issued succeeds wins;
 *   otherwise X509_STORE_CTX_get1_issuer on the store made of
 *   SSLCACertificateFile (PEM) and SSLCACertificatePath (hashed names, PEM),
 *   which looks issuers up by subject hash. The system trust store is never
 *   used.
 */
#include <string.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "ocspr_chain_private.h"

/* An SSLCACertificatePath is scanned (when its hash lookup failed) up to this
 * many files: enough for any real directory, bounded for a wrong one such as
 * /etc. */
#define CA_PATH_SCAN_MAX 2000

#define PEM_CERT_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_CERT_END "-----END CERTIFICATE-----"

/* Read a whole file of at most OCSPR_CERT_FILE_MAX bytes; NULL otherwise. */
static const char *read_small_file(apr_pool_t *p, const char *path, apr_size_t *plen)
{
    apr_file_t *fd;
    apr_finfo_t info;
    char *buf = NULL;

    if (apr_file_open(&fd, path, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT,
                      p) != APR_SUCCESS) {
        return NULL;
    }
    if (apr_file_info_get(&info, APR_FINFO_SIZE, fd) == APR_SUCCESS && info.size > 0
        && info.size <= OCSPR_CERT_FILE_MAX) {
        *plen = (apr_size_t)info.size;
        buf = apr_palloc(p, *plen);
        if (apr_file_read_full(fd, buf, *plen, NULL) != APR_SUCCESS) {
            buf = NULL;
        }
    }
    apr_file_close(fd);
    return buf;
}

unsigned int ocspr_chain_block_hash(const char *key, apr_ssize_t *klen)
{
    /* The bytes before the END line encode the signature, different in
     * every certificate: hashing them alone spreads blocks as well as the
     * whole text would, at a tenth of the cost (equal hashes are compared
     * in full). */
    apr_ssize_t from = *klen > 128 ? *klen - 128 : 0;
    unsigned int h = (unsigned int)*klen;

    for (; from < *klen; from++) {
        h = h * 33 + (unsigned char)key[from];
    }
    return h;
}

#define PEM_LINE_MAX 64

/* A base64 character outside padding. */
static int is_base64(char c)
{
    return apr_isalnum(c) || c == '+' || c == '/';
}

/* The block in the form OpenSSL writes it: the BEGIN line, lines of 64
 * base64 characters, a last one of 1 to 64 (padding only at its end), the
 * END line, lines ending in LF or CRLF. Decoded by EVP_DecodeBlock, the
 * routine PEM_read_bio_ex decodes with, into der (len bytes at least):
 * the same bytes at a fifth of the cost. Returns 0 for any other form,
 * left to PEM_read_bio_ex. */
static int decode_plain_block(unsigned char *der, long *pder_len, char *b64, const char *block,
                              apr_size_t len)
{
    const char *cur = block + sizeof(PEM_CERT_BEGIN) - 1;
    const char *body_end = block + len - (sizeof(PEM_CERT_END) - 1);
    apr_size_t n = 0, line = 0, pad = 0;
    int decoded;

    if (cur < body_end && *cur == '\r') {
        cur++;
    }
    if (cur >= body_end || *cur++ != '\n') {
        return 0;
    }
    while (cur < body_end) {
        char c = *cur++;

        if (c == '\r' || c == '\n') {
            /* Only the last line may be short or padded. */
            if ((c == '\r' && (cur >= body_end || *cur++ != '\n')) || line == 0
                || ((line < PEM_LINE_MAX || pad > 0) && cur != body_end)) {
                return 0;
            }
            line = 0;
            continue;
        }
        if (line == PEM_LINE_MAX || (c == '=' ? ++pad > 2 : pad > 0 || !is_base64(c))) {
            return 0;
        }
        b64[n++] = c;
        line++;
    }
    if (n == 0 || n % 4 != 0 || line != 0
        || (decoded = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n)) < (int)pad) {
        return 0;
    }
    *pder_len = decoded - (long)pad;
    return 1;
}

/* One PEM CERTIFICATE block (from its BEGIN line to its END line), decoded
 * as the general loader decodes it, parsed without its key; NULL when it
 * is anything else than one certificate. */
static const ocspr_cert_lite_t *parse_cert_block(ocspr_chain_run_t *run, const char *block,
                                                 apr_size_t len)
{
    unsigned char *buf = OPENSSL_malloc(2 * len);
    ocspr_cert_lite_t *cert = NULL;
    long der_len = 0;

    if (buf != NULL && decode_plain_block(buf, &der_len, (char *)buf + len, block, len)) {
        if (der_len > 0) {
            ocspr_cert_lite_parse(&cert, run->lite, run->p, buf, (apr_size_t)der_len);
        }
    }
    else {
        BIO *bio = BIO_new_mem_buf(block, (int)len);
        char *label = NULL, *header = NULL;
        unsigned char *der = NULL;

        if (bio != NULL
            && PEM_read_bio_ex(bio, &label, &header, &der, &der_len, PEM_FLAG_EAY_COMPATIBLE)
            && strcmp(label, PEM_STRING_X509) == 0 && der_len > 0) {
            ocspr_cert_lite_parse(&cert, run->lite, run->p, der, (apr_size_t)der_len);
        }
        OPENSSL_free(label);
        OPENSSL_free(header);
        OPENSSL_free(der);
        BIO_free(bio);
    }
    OPENSSL_free(buf);
    ERR_clear_error();
    return cert;
}

/* A file made only of PEM CERTIFICATE blocks (the usual fullchain.pem),
 * each block parsed once per run: thousands of such files repeat the same
 * intermediate. Returns 0, having changed nothing, for anything else (other
 * labels, DER, a block that does not parse): ocspr_chain_load_mem then
 * reads the file and reports exactly what is wrong. */
static int load_cert_blocks(ocspr_chain_run_t *run, ocspr_chain_file_t *f, const char *data,
                            apr_size_t len)
{
    const char *cur = data, *end = data + len;
    apr_array_header_t *certs = apr_array_make(run->p, 2, sizeof(ocspr_cert_lite_t *));

    for (;;) {
        const char *stop;
        const ocspr_cert_lite_t *cert;

        while (cur < end && apr_isspace(*cur)) {
            cur++;
        }
        if (cur == end) {
            break;
        }
        if ((apr_size_t)(end - cur) < sizeof(PEM_CERT_BEGIN) - 1
            || memcmp(cur, PEM_CERT_BEGIN, sizeof(PEM_CERT_BEGIN) - 1) != 0
            || (stop = memmem(cur, (apr_size_t)(end - cur), PEM_CERT_END,
                              sizeof(PEM_CERT_END) - 1)) == NULL) {
            return 0;
        }
        stop += sizeof(PEM_CERT_END) - 1;
        /* The key is the file's own text, which lives as long as the run. */
        cert = apr_hash_get(run->blocks, cur, stop - cur);
        if (cert == NULL) {
            if ((cert = parse_cert_block(run, cur, (apr_size_t)(stop - cur))) == NULL) {
                return 0;
            }
            apr_hash_set(run->blocks, cur, stop - cur, cert);
        }
        APR_ARRAY_PUSH(certs, const ocspr_cert_lite_t *) = cert;
        cur = stop;
    }
    if (certs->nelts == 0) {
        return 0;
    }
    f->rv = APR_SUCCESS;
    f->format = OCSPR_FORMAT_PEM;
    f->certs = certs;
    return 1;
}

/* Any other file: the general loader (every format, full parses). */
static void load_any(ocspr_chain_run_t *run, ocspr_chain_file_t *f, const char *data,
                     apr_size_t len)
{
    apr_array_header_t *full;
    int i;

    f->rv = data != NULL ? ocspr_chain_load_mem(&full, &f->format, run->p, data, len)
                         : ocspr_chain_load_file(&full, &f->format, run->p, f->path);
    if (f->rv != APR_SUCCESS) {
        return;
    }
    f->certs = apr_array_make(run->p, full->nelts, sizeof(ocspr_cert_lite_t *));
    for (i = 0; i < full->nelts; i++) {
        APR_ARRAY_PUSH(f->certs, const ocspr_cert_lite_t *) =
            ocspr_cert_lite_of(run->p, APR_ARRAY_IDX(full, i, const ocspr_cert_t *));
    }
}

const ocspr_chain_file_t *ocspr_chain_run_file(ocspr_chain_run_t *run, const char *path)
{
    ocspr_chain_file_t *f = apr_hash_get(run->files, path, APR_HASH_KEY_STRING);
    const char *data;
    apr_size_t len = 0;

    if (f == NULL) {
        f = apr_pcalloc(run->p, sizeof(*f));
        f->path = apr_pstrdup(run->p, path);
        /* Read once; a file that cannot be read this way (missing, empty,
         * too large) goes to the loader, which says why. */
        data = read_small_file(run->p, path, &len);
        if (data == NULL || !load_cert_blocks(run, f, data, len)) {
            load_any(run, f, data, len);
        }
        apr_hash_set(run->files, f->path, APR_HASH_KEY_STRING, f);
    }
    return f;
}

void ocspr_chain_load(ocspr_chain_vctx_t *vc, ocspr_chain_loaded_t *l,
                      const ocspr_chain_setting_t *setting, const char *directive)
{
    ocspr_chain_run_t *run = vc->run;
    apr_array_header_t *uses = apr_hash_get(run->uses, setting->value, APR_HASH_KEY_STRING);
    ocspr_chain_use_t *use;

    l->setting = setting;
    l->directive = directive;
    l->file = ocspr_chain_run_file(run, setting->value);
    if (uses == NULL) {
        uses = apr_array_make(run->p, 2, sizeof(ocspr_chain_use_t));
        apr_hash_set(run->uses, l->file->path, APR_HASH_KEY_STRING, uses);
    }
    use = apr_array_push(uses);
    use->vh = vc->vh;
    use->directive = directive;
    use->setting = setting;
}

apr_array_header_t *ocspr_chain_other_users(int *ptotal, ocspr_chain_run_t *run, const char *path,
                                            const ocspr_chain_vhost_t *vh, int max)
{
    apr_array_header_t *uses = apr_hash_get(run->uses, path, APR_HASH_KEY_STRING);
    apr_array_header_t *others = apr_array_make(run->p, max, sizeof(ocspr_chain_use_t));
    int i;

    /* Thousands of vhosts may share the file, each with a finding about
     * it: count them all, copy only what is named. */
    *ptotal = 0;
    for (i = 0; uses != NULL && i < uses->nelts; i++) {
        const ocspr_chain_use_t *u = &APR_ARRAY_IDX(uses, i, ocspr_chain_use_t);

        if (u->vh != vh && (*ptotal)++ < max) {
            *(ocspr_chain_use_t *)apr_array_push(others) = *u;
        }
    }
    return others;
}

void ocspr_chain_setup_chain(ocspr_chain_vctx_t *vc)
{
    const ocspr_chain_vhost_t *vh = vc->vh;
    const ocspr_chain_file_t *f;
    int i, skip_first = 0;

    vc->extra = apr_array_make(vc->p, 4, sizeof(ocspr_cert_lite_t *));
    if (vh->chain_file.value == NULL) {
        return;
    }
    ocspr_chain_load(vc, &vc->chain, &vh->chain_file, "SSLCertificateChainFile");
    f = vc->chain.file;
    if (f->rv != APR_SUCCESS) {
        ocspr_chain_report_unreadable(vc, &vc->chain);
        return;
    }
    if (f->format != OCSPR_FORMAT_PEM) {
        vc->chain_reported = 1;
        ocspr_chain_report_not_pem(vc, NULL, &vc->chain, OCSPR_SEV_SEARCH,
                                   "mod_ssl reads only PEM there and silently loads no "
                                   "certificate from it, so no intermediate is sent and "
                                   "mod_ssl's issuer search fails");
        return;
    }
    for (i = 0; i < vh->cert_files->nelts; i++) {
        const ocspr_chain_setting_t *cf = &APR_ARRAY_IDX(vh->cert_files, i, ocspr_chain_setting_t);

        if (cf->value != NULL && strcmp(cf->value, vh->chain_file.value) == 0) {
            skip_first = 1;
        }
    }
    vc->extra_from = skip_first;
    for (i = skip_first; i < f->certs->nelts; i++) {
        APR_ARRAY_PUSH(vc->extra, const ocspr_cert_lite_t *) =
            APR_ARRAY_IDX(f->certs, i, const ocspr_cert_lite_t *);
    }
}

static apr_status_t free_store(void *data)
{
    X509_STORE_free(data);
    return APR_SUCCESS;
}

apr_status_t ocspr_chain_setup_store(ocspr_chain_vctx_t *vc)
{
    const ocspr_chain_vhost_t *vh = vc->vh;
    ocspr_chain_run_t *run = vc->run;
    const char *key = apr_pstrcat(vc->p, vh->ca_file.value ? vh->ca_file.value : "", "\n",
                                  vh->ca_path.value ? vh->ca_path.value : "", NULL);
    int usable_file = 0;

    if (vh->ca_file.value != NULL) {
        ocspr_chain_load(vc, &vc->ca_file, &vh->ca_file, "SSLCACertificateFile");
        if (vc->ca_file.file->rv != APR_SUCCESS) {
            ocspr_chain_report_unreadable(vc, &vc->ca_file);
        }
        else if (vc->ca_file.file->format != OCSPR_FORMAT_PEM) {
            ocspr_chain_report_not_pem(vc, NULL, &vc->ca_file, OCSPR_SEV_FATAL,
                                       "mod_ssl reads only PEM there and refuses to start "
                                       "(AH01895)");
        }
        else {
            usable_file = 1;
        }
    }
    vc->store = apr_hash_get(run->stores, key, APR_HASH_KEY_STRING);
    if (vc->store != NULL) {
        return APR_SUCCESS;
    }
    if ((vc->store = X509_STORE_new()) == NULL) {
        return APR_ENOMEM;
    }
    apr_pool_cleanup_register(run->p, vc->store, free_store, apr_pool_cleanup_null);
    if (usable_file) {
        X509_STORE_load_file(vc->store, vh->ca_file.value);
    }
    if (vh->ca_path.value != NULL) {
        X509_STORE_load_path(vc->store, vh->ca_path.value);
    }
    ERR_clear_error();
    apr_hash_set(run->stores, apr_pstrdup(run->p, key), APR_HASH_KEY_STRING, vc->store);
    return APR_SUCCESS;
}

/* OpenSSL's subject hash (the one of hashed CA directories); 0 on failure. */
static unsigned long name_hash(const X509_NAME *name)
{
    int ok = 0;
    unsigned long h = X509_NAME_hash_ex(name, NULL, NULL, &ok);

    return ok ? h : 0;
}

/* The indexes of a file's certificates whose subject hashes to h, in file
 * order: a chain file that is a CA bundle of hundreds, shared by thousands
 * of vhosts, is indexed once instead of scanned per vhost. */
static const apr_array_header_t *by_subject(ocspr_chain_run_t *run, ocspr_chain_file_t *f,
                                            unsigned long h)
{
    int i;

    if (f->by_subject == NULL) {
        f->by_subject = apr_hash_make(run->p);
        for (i = 0; i < f->certs->nelts; i++) {
            unsigned long *key = apr_palloc(run->p, sizeof(*key));
            apr_array_header_t *list;

            *key = name_hash(X509_get_subject_name(ocspr_cert_lite_x509(
                APR_ARRAY_IDX(f->certs, i, const ocspr_cert_lite_t *))));
            list = apr_hash_get(f->by_subject, key, sizeof(*key));
            if (list == NULL) {
                list = apr_array_make(run->p, 1, sizeof(int));
                apr_hash_set(f->by_subject, key, sizeof(*key), list);
            }
            APR_ARRAY_PUSH(list, int) = i;
        }
        ERR_clear_error();
    }
    return apr_hash_get(f->by_subject, &h, sizeof(h));
}

/* mod_ssl's loop over the extra certificates: the first that
 * X509_check_issued accepts (which requires the issuer's name as subject,
 * so looking only at that subject's certificates finds the same one). */
static const ocspr_cert_lite_t *first_issuer_in(ocspr_chain_vctx_t *vc,
                                                const ocspr_cert_lite_t *leaf,
                                                const apr_array_header_t *extra)
{
    const apr_array_header_t *list = NULL;
    int i, n = extra->nelts;

    if (extra == vc->extra && extra->nelts > 0) {
        list = by_subject(vc->run, (ocspr_chain_file_t *)vc->chain.file,
                          name_hash(X509_get_issuer_name(ocspr_cert_lite_x509(leaf))));
        n = list != NULL ? list->nelts : 0;
    }
    for (i = 0; i < n; i++) {
        const ocspr_cert_lite_t *candidate = list != NULL
            ? APR_ARRAY_IDX(vc->chain.file->certs, APR_ARRAY_IDX(list, i, int),
                            const ocspr_cert_lite_t *)
            : APR_ARRAY_IDX(extra, i, const ocspr_cert_lite_t *);

        if ((list == NULL || APR_ARRAY_IDX(list, i, int) >= vc->extra_from)
            && ocspr_cert_lite_check_issued(candidate, leaf) == X509_V_OK) {
            return candidate;
        }
    }
    return NULL;
}

const ocspr_cert_lite_t *ocspr_chain_modssl_issuer(ocspr_chain_vctx_t *vc,
                                                   const ocspr_cert_lite_t *leaf,
                                                   const apr_array_header_t *extra)
{
    X509 *issuer = NULL;
    X509_STORE_CTX *ctx;
    const ocspr_cert_lite_t *found = first_issuer_in(vc, leaf, extra);

    ERR_clear_error();
    if (found != NULL) {
        return found;
    }
    ctx = X509_STORE_CTX_new();
    if (ctx != NULL && X509_STORE_CTX_init(ctx, vc->store, NULL, NULL)
        && X509_STORE_CTX_get1_issuer(&issuer, ctx, ocspr_cert_lite_x509(leaf)) <= 0) {
        issuer = NULL;
    }
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return issuer != NULL ? ocspr_cert_lite_of(vc->p, ocspr_cert_wrap(vc->p, issuer)) : NULL;
}

static void push_candidates(apr_array_header_t *all, const apr_array_header_t *certs,
                            ocspr_chain_source_t kind, const char *path,
                            ocspr_cert_format_t format)
{
    int i;

    for (i = 0; certs != NULL && i < certs->nelts; i++) {
        ocspr_chain_candidate_t *c = apr_array_push(all);

        c->cert = APR_ARRAY_IDX(certs, i, const ocspr_cert_lite_t *);
        c->kind = kind;
        c->path = path;
        c->format = format;
    }
}

/* Every certificate in the files of an SSLCACertificatePath, whatever their
 * names: the diagnosis wants to know what is there, not what OpenSSL's
 * hashed lookup can see. Scanned once per run and directory. */
static apr_array_header_t *ca_path_certs(ocspr_chain_run_t *run, const char *dirpath)
{
    apr_array_header_t *found = apr_hash_get(run->ca_paths, dirpath, APR_HASH_KEY_STRING);
    apr_dir_t *dir;
    apr_finfo_t entry;
    int scanned = 0;

    if (found != NULL) {
        return found;
    }
    found = apr_array_make(run->p, 8, sizeof(ocspr_chain_candidate_t));
    apr_hash_set(run->ca_paths, apr_pstrdup(run->p, dirpath), APR_HASH_KEY_STRING, found);
    if (apr_dir_open(&dir, dirpath, run->p) != APR_SUCCESS) {
        return found;
    }
    while (scanned++ < CA_PATH_SCAN_MAX
           && apr_dir_read(&entry, APR_FINFO_NAME | APR_FINFO_TYPE, dir) == APR_SUCCESS) {
        const char *path;
        apr_finfo_t target;
        const ocspr_chain_file_t *f;

        if (entry.name[0] == '.') {
            continue;
        }
        path = apr_pstrcat(run->p, dirpath, "/", entry.name, NULL);
        /* A hash link and its target are the same certificate: keep one. */
        if (entry.filetype == APR_LNK
            || apr_stat(&target, path, APR_FINFO_TYPE, run->p) != APR_SUCCESS
            || target.filetype != APR_REG) {
            continue;
        }
        f = ocspr_chain_run_file(run, path);
        if (f->rv == APR_SUCCESS) {
            push_candidates(found, f->certs, OCSPR_SRC_CA_PATH, f->path, f->format);
        }
    }
    apr_dir_close(dir);
    return found;
}

apr_array_header_t *ocspr_chain_candidates(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc)
{
    apr_array_header_t *all = apr_array_make(vc->p, 8, sizeof(ocspr_chain_candidate_t));
    const ocspr_chain_loaded_t *l;

    push_candidates(all, cc->rest, OCSPR_SRC_CERT_FILE, cc->file.setting->value,
                    cc->file.file->format);
    l = &vc->chain;
    if (l->setting != NULL && l->file->rv == APR_SUCCESS) {
        push_candidates(all, l->file->certs, OCSPR_SRC_CHAIN_FILE, l->file->path, l->file->format);
    }
    l = &vc->ca_file;
    if (l->setting != NULL && l->file->rv == APR_SUCCESS) {
        push_candidates(all, l->file->certs, OCSPR_SRC_CA_FILE, l->file->path, l->file->format);
    }
    if (vc->vh->ca_path.value != NULL) {
        apr_array_cat(all, ca_path_certs(vc->run, vc->vh->ca_path.value));
    }
    return all;
}

/* Mark, and queue for their own issuers, the certificates of chain that
 * X509_check_issued accepts as issuer of x (chain index x_index, or -1 for
 * an anchor): through the chain file's subject index when chain is what
 * mod_ssl takes from that file, else by a scan (a certificate file's own
 * chain: a few certificates). */
static void mark_issuers_of(ocspr_chain_vctx_t *vc, const apr_array_header_t *chain,
                            const ocspr_cert_lite_t *x, int x_index, char *used, int *queue,
                            int *ptail)
{
    const apr_array_header_t *list = NULL;
    int n = chain->nelts, k;

    if (chain == vc->extra) {
        list = by_subject(vc->run, (ocspr_chain_file_t *)vc->chain.file,
                          name_hash(X509_get_issuer_name(ocspr_cert_lite_x509(x))));
        n = list != NULL ? list->nelts : 0;
    }
    for (k = 0; k < n; k++) {
        int i = list != NULL ? APR_ARRAY_IDX(list, k, int) - vc->extra_from : k;

        if (i >= 0 && i != x_index && !used[i]
            && ocspr_cert_lite_check_issued(APR_ARRAY_IDX(chain, i, const ocspr_cert_lite_t *),
                                            x) == X509_V_OK) {
            used[i] = 1;
            queue[(*ptail)++] = i;
        }
    }
}

apr_array_header_t *ocspr_chain_unused(ocspr_chain_vctx_t *vc, const apr_array_header_t *chain,
                                       const apr_array_header_t *anchors)
{
    char *used = apr_pcalloc(vc->p, (apr_size_t)chain->nelts + 1);
    int *queue = apr_palloc(vc->p, sizeof(int) * ((apr_size_t)chain->nelts + 1));
    apr_array_header_t *unused = apr_array_make(vc->p, 2, sizeof(ocspr_cert_lite_t *));
    int head = 0, tail = 0, i;

    /* A certificate belongs to this chain when it issues an anchor or a
     * certificate that belongs. Name and key identifier (X509_check_issued)
     * decide: a signature check per vhost would cost more than the rest of
     * -t. Marking upwards from the anchors, each certificate once, finds
     * what passes over the whole chain until nothing changes would, without
     * their cost (cubic in a CA bundle used as the chain file of every
     * vhost). */
    for (i = 0; i < anchors->nelts; i++) {
        mark_issuers_of(vc, chain, APR_ARRAY_IDX(anchors, i, const ocspr_cert_lite_t *), -1,
                        used, queue, &tail);
    }
    while (head < tail) {
        i = queue[head++];
        mark_issuers_of(vc, chain, APR_ARRAY_IDX(chain, i, const ocspr_cert_lite_t *), i, used,
                        queue, &tail);
    }
    for (i = 0; i < chain->nelts; i++) {
        if (!used[i]) {
            APR_ARRAY_PUSH(unused, const ocspr_cert_lite_t *) =
                APR_ARRAY_IDX(chain, i, const ocspr_cert_lite_t *);
        }
    }
    return unused;
}
