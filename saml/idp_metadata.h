#ifndef SIPSSO_IDP_METADATA_H
#define SIPSSO_IDP_METADATA_H

#include "../config/config.h"

/* Read Entra's Federation Metadata XML (application or tenant metadata) into
 * idp: entity ID, SAML sign-in and sign-out URLs and every signing
 * certificate.  Returns an error message naming what is wrong, or NULL. */
const char *sipsso_idp_metadata_load(apr_pool_t *p, const char *path,
                                     sipsso_idp_cfg *idp);
const char *sipsso_idp_metadata_parse(apr_pool_t *p, const char *buf,
                                      apr_size_t len, const char *source,
                                      sipsso_idp_cfg *idp);

/* The IdP as lasso wants it: a minimal EntityDescriptor we generate from
 * idp, so both configuration styles take the same path into lasso. */
const char *sipsso_idp_metadata_for_lasso(apr_pool_t *p,
                                          const sipsso_idp_cfg *idp);

#endif
