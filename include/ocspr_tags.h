/* The registry of our log tags. Every message the module logs at NOTICE or
 * above starts with one of these stable tags, so that admins can grep and
 * monitoring can match; the README lists each with its meaning and fix.
 * Ranges: 01xx lifecycle, 02xx fetch and refresh, 03xx store and cache,
 * 04xx diagnostics, 05xx status page. Never reuse a retired number. */
#ifndef OCSPR_TAGS_H
#define OCSPR_TAGS_H

/* 01xx lifecycle */
#define OCSPR_T_STARTED          "OCSPR0101"  /* NOTICE: N certificates primed, cache, store */
#define OCSPR_T_NOT_APPLICABLE   "OCSPR0102"  /* NOTICE: certificate without usable responder */
#define OCSPR_T_PRIME_UNREADABLE "OCSPR0104"  /* ERR: mod_ssl primed unreadable PEM */
#define OCSPR_T_PREFETCH         "OCSPR0105"  /* NOTICE: startup prefetch summary */
#define OCSPR_T_PREFETCH_LATE    "OCSPR0106"  /* WARN: startup deadline passed before all fetched */
#define OCSPR_T_LEADER           "OCSPR0107"  /* NOTICE: this child now refreshes */
#define OCSPR_T_SETUP_FAILED     "OCSPR0109"  /* EMERG/ERR: cache, mutex or memory setup failed */
#define OCSPR_T_THREAD           "OCSPR0110"  /* ERR: maintenance or fetch thread could not start */
#define OCSPR_T_LOCK             "OCSPR0111"  /* ERR: a lock could not be taken or released */

/* 02xx fetch and refresh */
#define OCSPR_T_FETCHED          "OCSPR0201"  /* INFO: response obtained (network, store, fleet) */
#define OCSPR_T_FETCH_FAILED     "OCSPR0202"  /* WARN per responder and pass; INFO per cert (ERR Must-Staple) */
#define OCSPR_T_REVOKED          "OCSPR0203"  /* ALERT: the responder says revoked */
#define OCSPR_T_EXPIRED          "OCSPR0204"  /* ERR per pass (count); INFO per cert (ERR Must-Staple) */

/* 03xx store and cache */
#define OCSPR_T_STORE_UNUSABLE   "OCSPR0301"  /* WARN: store directory unusable, memory only */
#define OCSPR_T_STORE_SKIPPED    "OCSPR0302"  /* WARN: a store file was ignored */
#define OCSPR_T_STORE_WRITE      "OCSPR0303"  /* WARN: could not save a response */
#define OCSPR_T_CACHE_WRITE      "OCSPR0305"  /* WARN: could not put a response in the socache */
#define OCSPR_T_FLEET_REJECTED   "OCSPR0306"  /* WARN: a fleet record was refused (once per cert and reason) */
#define OCSPR_T_CACHE_SMALL      "OCSPR0307"  /* WARN: held responses missing from the serving cache */

/* 04xx diagnostics */
#define OCSPR_T_DIAG_SUMMARY         "OCSPR0400"  /* NOTICE: N vhosts, M certificates ready, K findings */
#define OCSPR_T_DIAG_UNREADABLE      "OCSPR0401"  /* ERR: file unreadable or without a certificate */
#define OCSPR_T_DIAG_ISSUER_MISSING  "OCSPR0402"  /* ERR/WARN: issuer in no file mod_ssl searches */
#define OCSPR_T_DIAG_CHAIN_OVERRIDES "OCSPR0403"  /* ERR/WARN: SSLCertificateChainFile hides the issuer */
#define OCSPR_T_DIAG_OTHER_KEY       "OCSPR0404"  /* ERR/WARN: issuer's name but another key */
#define OCSPR_T_DIAG_FOREIGN         "OCSPR0405"  /* ERR/WARN: intermediates of another chain */
#define OCSPR_T_DIAG_NOT_PEM         "OCSPR0406"  /* ERR/WARN: DER or PKCS#7 where PEM is read */
#define OCSPR_T_DIAG_WRONG_ORDER     "OCSPR0407"  /* ERR: CA certificate before the leaf */
#define OCSPR_T_DIAG_SELF_SIGNED     "OCSPR0408"  /* ERR: self-signed certificate, stapling on */
#define OCSPR_T_DIAG_EXPIRED         "OCSPR0409"  /* ERR: leaf or issuer outside its validity */
#define OCSPR_T_DIAG_NO_OCSP_URL     "OCSPR0410"  /* NOTICE (ERR for Must-Staple): no responder URL */
#define OCSPR_T_DIAG_HTTPS_RESPONDER "OCSPR0411"  /* ERR: https:// responder URL */
#define OCSPR_T_DIAG_NO_CACHE        "OCSPR0412"  /* ERR: SSLUseStapling On, no SSLStaplingCache */
#define OCSPR_T_DIAG_NOT_PRIMED      "OCSPR0413"  /* ERR: startup, mod_ssl did not prime it */
#define OCSPR_T_DIAG_CA_PATH_HASH    "OCSPR0414"  /* ERR/WARN: issuer in CA path without hash link */
#define OCSPR_T_DIAG_REJECTED        "OCSPR0415"  /* ERR/WARN: issuer present, OpenSSL rejects it */
#define OCSPR_T_DIAG_FALLBACK        "OCSPR0416"  /* ERR: no certificate configured, stapling on */
#define OCSPR_T_DIAG_MUST_STAPLE_OFF "OCSPR0417"  /* ERR: Must-Staple certificate, stapling off */
#define OCSPR_T_DIAG_CLIENT_CHAIN    "OCSPR0418"  /* WARN: clients of this vhost cannot build the chain; stapling unaffected */

/* 05xx status page */
#define OCSPR_T_STATUS_REFRESH       "OCSPR0501"  /* NOTICE: "refresh now" requested from the page */
#define OCSPR_T_STATUS_REFUSED       "OCSPR0502"  /* INFO: a status page action was refused, and why */

#endif /* OCSPR_TAGS_H */
