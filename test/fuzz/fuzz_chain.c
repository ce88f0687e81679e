/* libFuzzer target: the chain analysis (ocspr_chain_run_*) over a
 * certificate, chain or CA file of arbitrary bytes, as an administrator may
 * name any file, in any format, in SSLCertificateFile,
 * SSLCertificateChainFile or SSLCACertificateFile.
 *
 * Input: one byte of scenario, then the file's content.
 *   bits 0-1  where the bytes go: 0 the certificate file; 1 the chain file
 *             (certificate data/good.pem); 2 the certificate file with
 *             data/int.pem as chain file; 3 the CA file (certificate
 *             data/good.pem)
 *   bit 2     SSLUseStapling On        bit 3  OCSPRefresh On
 *   bit 4     SSLStaplingCache set     bit 5  a second vhost serves
 *             data/good.pem with data/int.pem (settlement across vhosts)
 *   bit 6     the second vhost also uses the bytes as its chain file
 *             (a shared file)
 * Seeds (test/fuzz/corpus/chain/chain-*) were made from the test PKI of
 * test/pki/make-pki.sh and data/ (see the README's fuzzing section).
 *
 * Properties asserted for every finding: a known code whose tag is
 * "OCSPR04nn" with nn its number, a name, a level no lower than NOTICE; a
 * message and a fix, each one line; every command of the fix that writes a
 * file (`> F` or `>> F`) writes one the fix's words name; a finding that
 * breaks stapling is an error. And the totals add up. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "ocspr_chain.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) { \
    fprintf(stderr, "assertion failed: %s (line %d)\n", #cond, __LINE__); abort(); } } while (0)

static apr_pool_t *root;
static char workdir[] = "/tmp/ocspr-fuzz-chain-XXXXXX";
static const char *fuzzed_path;
static apr_time_t now;

static const char *data_path(const char *name)
{
    return apr_pstrcat(root, OCSPR_FUZZ_DATA_DIR, "/", name, NULL);
}

static void remove_workdir(void)
{
    unlink(fuzzed_path);
    rmdir(workdir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    FILE *f;
    long long seconds = 0;

    apr_initialize();
    apr_pool_create(&root, NULL);
    FUZZ_ASSERT(mkdtemp(workdir) != NULL);
    fuzzed_path = apr_pstrcat(root, workdir, "/fuzzed.pem", NULL);
    atexit(remove_workdir);
    /* The time the data was made: expiry findings stay reproducible. */
    f = fopen(data_path("now"), "r");
    FUZZ_ASSERT(f != NULL && fscanf(f, "%lld", &seconds) == 1);
    fclose(f);
    now = apr_time_from_sec(seconds);
    return 0;
}

static void check_one_line(const char *text)
{
    const unsigned char *c;

    FUZZ_ASSERT(text != NULL && *text != '\0');
    for (c = (const unsigned char *)text; *c; c++) {
        FUZZ_ASSERT(*c >= 0x20 && *c != 0x7f);
    }
}

/* Every `... > F` or `... >> F` inside backquotes names a file the words
 * outside the backquotes name too ("X.new && mv X.new X" counts as X). */
static void check_fix_agrees(apr_pool_t *p, const char *fix)
{
    const char *cursor = fix, *words = "";
    apr_array_header_t *targets = apr_array_make(p, 2, sizeof(const char *));
    int i;

    while (*cursor != '\0') {
        const char *open = strchr(cursor, '`'), *close, *w;

        if (open == NULL || (close = strchr(open + 1, '`')) == NULL) {
            words = apr_pstrcat(p, words, cursor, NULL);
            break;
        }
        words = apr_pstrcat(p, words, apr_pstrndup(p, cursor, (apr_size_t)(open - cursor)), NULL);
        for (w = open + 1; w < close; w++) {
            if (*w == '>') {
                const char *start = w + (w[1] == '>' ? 2 : 1);
                apr_size_t len;

                while (*start == ' ') {
                    start++;
                }
                len = strcspn(start, " `;&|");
                if (len > 4 && strncmp(start + len - 4, ".new", 4) == 0) {
                    len -= 4;
                }
                APR_ARRAY_PUSH(targets, const char *) = apr_pstrndup(p, start, len);
                w = start;
            }
        }
        cursor = close + 1;
    }
    for (i = 0; i < targets->nelts; i++) {
        FUZZ_ASSERT(strstr(words, APR_ARRAY_IDX(targets, i, const char *)) != NULL);
    }
}

static void check_report(apr_pool_t *p, const ocspr_chain_report_t *r, int *findings,
                         int *breaking)
{
    int i;

    for (i = 0; i < r->findings->nelts; i++) {
        const ocspr_chain_finding_t *f = &APR_ARRAY_IDX(r->findings, i, ocspr_chain_finding_t);

        FUZZ_ASSERT(f->code >= OCSPR_CHAIN_UNREADABLE && f->code <= OCSPR_CHAIN_CLIENT_CHAIN);
        FUZZ_ASSERT(strcmp(f->tag, apr_psprintf(p, "OCSPR%04d", (int)f->code)) == 0);
        FUZZ_ASSERT(f->name != NULL && *f->name != '\0' && strcmp(f->name, "unknown") != 0);
        FUZZ_ASSERT(f->level <= OCSPR_LOG_NOTICE);
        FUZZ_ASSERT(!f->breaks_stapling || f->level <= OCSPR_LOG_ERR);
        check_one_line(f->message);
        check_one_line(f->fix);
        FUZZ_ASSERT(strstr(f->message, f->fix) != NULL);
        check_fix_agrees(p, f->fix);
        *breaking += f->breaks_stapling;
    }
    *findings += r->findings->nelts;
}

static void set(ocspr_chain_setting_t *s, const char *value, int line)
{
    s->value = value;
    s->file = "/etc/apache2/sites-enabled/fuzz.conf";
    s->line = line;
}

static ocspr_chain_vhost_t *vhost(apr_pool_t *p, const char *name, unsigned flags)
{
    ocspr_chain_vhost_t *vh = apr_pcalloc(p, sizeof(*vh));

    vh->name = name;
    vh->file = "/etc/apache2/sites-enabled/fuzz.conf";
    vh->line = 10;
    vh->cert_files = apr_array_make(p, 1, sizeof(ocspr_chain_setting_t));
    if (flags & 4) {
        set(&vh->use_stapling, "On", 11);
    }
    if (flags & 8) {
        set(&vh->refresh, "On", 12);
    }
    vh->stapling_cache = (flags & 16) != 0;
    return vh;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    apr_file_t *out;
    ocspr_chain_run_t *run;
    ocspr_chain_report_t *r1, *r2 = NULL;
    ocspr_chain_vhost_t *vh;
    ocspr_chain_totals_t totals;
    unsigned flags;
    int findings = 0, breaking = 0;

    if (size < 1) {
        return 0;
    }
    flags = data[0];
    apr_pool_create(&p, root);
    FUZZ_ASSERT(apr_file_open(&out, fuzzed_path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                              | APR_FOPEN_TRUNCATE | APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT,
                              p) == APR_SUCCESS);
    FUZZ_ASSERT(size == 1 || apr_file_write_full(out, data + 1, size - 1, NULL) == APR_SUCCESS);
    apr_file_close(out);

    vh = vhost(p, "fuzz.test:443", flags);
    switch (flags & 3) {
    case 0:
        set(apr_array_push(vh->cert_files), fuzzed_path, 13);
        break;
    case 1:
        set(apr_array_push(vh->cert_files), data_path("good.pem"), 13);
        set(&vh->chain_file, fuzzed_path, 14);
        break;
    case 2:
        set(apr_array_push(vh->cert_files), fuzzed_path, 13);
        set(&vh->chain_file, data_path("int.pem"), 14);
        break;
    default:
        set(apr_array_push(vh->cert_files), data_path("good.pem"), 13);
        set(&vh->ca_file, fuzzed_path, 15);
        break;
    }
    FUZZ_ASSERT(ocspr_chain_run_create(&run, p, now) == APR_SUCCESS);
    FUZZ_ASSERT(ocspr_chain_run_add(&r1, run, vh) == APR_SUCCESS);
    if (flags & 32) {
        ocspr_chain_vhost_t *other = vhost(p, "other.test:443", flags);

        set(apr_array_push(other->cert_files), data_path("good.pem"), 23);
        set(&other->chain_file, (flags & 64) ? fuzzed_path : data_path("int.pem"), 24);
        FUZZ_ASSERT(ocspr_chain_run_add(&r2, run, other) == APR_SUCCESS);
    }
    ocspr_chain_run_finish(run, &totals);
    check_report(p, r1, &findings, &breaking);
    if (r2 != NULL) {
        check_report(p, r2, &findings, &breaking);
    }
    FUZZ_ASSERT(totals.vhosts == (r2 != NULL ? 2 : 1));
    FUZZ_ASSERT(totals.findings == findings && totals.breaking == breaking);
    FUZZ_ASSERT(totals.ready >= 0 && totals.ready <= totals.certs);
    apr_pool_destroy(p);
    return 0;
}
