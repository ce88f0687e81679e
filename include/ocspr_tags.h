/* The registry of our log tags. Every message the module logs at NOTICE or
 * above starts with one of these stable tags, so that admins can grep and
 * monitoring can match; the README lists each with its meaning and fix.
 * Ranges: 01xx lifecycle and engine, 02xx fetch and refresh, 03xx store and
 * cache, 04xx diagnostics, 05xx status page. Never reuse a retired number. */
#ifndef OCSPR_TAGS_H
#define OCSPR_TAGS_H

#define OCSPR_TAG(n) "OCSPR" #n

#endif /* OCSPR_TAGS_H */
