#ifndef SIPSSO_AUTHN_REQUEST_H
#define SIPSSO_AUTHN_REQUEST_H

#include "sp.h"

/* Build an HTTP-Redirect AuthnRequest to the IdP.  On success *url is the
 * full Location (Login URL with SAMLRequest, RelayState and, when the SP has
 * a key, SigAlg/Signature) and *request_id the ID to expect back in
 * InResponseTo.  Returns an error message or NULL. */
const char *sipsso_authn_request(apr_pool_t *p, const sipsso_sp *sp,
                                 const char *relay_state, int force_authn,
                                 const char **url, const char **request_id);

#endif
