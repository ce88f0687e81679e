/* Chain analysis for diagnostics (being written). */
#ifndef OCSPR_CHAIN_H
#define OCSPR_CHAIN_H

#include "ocspr_cert.h"

#endif /* OCSPR_CHAIN_H */
