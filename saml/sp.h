/* One SP per virtual host, built at startup from its configuration: the
 * LassoServer, the IdP's keys for our own signature checks, the URLs. */
#ifndef SIPSSO_SP_H
#define SIPSSO_SP_H

#include "../config/config.h"
#include <lasso/lasso.h>

typedef struct sipsso_sp {
    LassoServer *server;
    const char *entity_id;
    const char *acs_url;
    const char *sls_url;
    const sipsso_idp_cfg *idp;
    apr_array_header_t *idp_keys;    /* xmlSecKeyPtr, one per certificate */
    int clock_skew;                  /* seconds */
    int allow_idp_initiated;
    int allow_sha1;
    int signs_requests;
    const char *sp_metadata;         /* served at <endpoint>/metadata */
    const char *sp_cert_b64;
} sipsso_sp;

/* lasso_init() once per process, with signature verification forced on
 * whatever LASSO_FLAG says in the environment. */
const char *sipsso_lasso_init(void);

/* Build sp (entity_id, acs_url, sls_url, idp, flags filled by the caller).
 * key_pem/cert_pem may be NULL.  Returns an error message or NULL.  The
 * LassoServer and keys are released with pool p. */
const char *sipsso_sp_build(apr_pool_t *p, sipsso_sp *sp,
                            const char *key_pem, const char *cert_pem);

/* SP metadata XML (saml/sp_metadata.c). */
const char *sipsso_sp_metadata_xml(apr_pool_t *p, const char *entity_id,
                                   const char *acs_url, const char *sls_url,
                                   const char *cert_b64);

#endif
