/* Internal steps of response processing, one file each. */
#ifndef SIPSSO_RESPONSE_INT_H
#define SIPSSO_RESPONSE_INT_H

#include "response.h"
#include "xml.h"

#define SIPSSO_STATUS_SUCCESS "urn:oasis:names:tc:SAML:2.0:status:Success"

/* The shape we insist on before any signature is looked at. */
typedef struct {
    xmlDocPtr doc;
    xmlNodePtr response;
    xmlNodePtr assertion;              /* NULL for an error response */
    xmlNodePtr response_sig;           /* ds:Signature child of Response */
    xmlNodePtr assertion_sig;          /* ds:Signature child of Assertion */
} sipsso_msg;

/* saml/structure.c */
const char *sipsso_check_structure(apr_pool_t *p, sipsso_msg *m);
/* saml/signature.c: our own xmlsec verification with the configured keys. */
const char *sipsso_check_signatures(apr_pool_t *p, const sipsso_sp *sp,
                                    sipsso_msg *m, sipsso_response *out);
/* saml/status.c */
int sipsso_read_status(apr_pool_t *p, sipsso_msg *m, sipsso_response *out);
/* saml/conditions.c */
const char *sipsso_check_assertion(apr_pool_t *p, const sipsso_sp *sp,
                                   sipsso_msg *m, apr_time_t now,
                                   sipsso_response *out);
/* saml/attributes.c */
const char *sipsso_read_attributes(apr_pool_t *p, xmlNodePtr assertion,
                                   sipsso_response *out);
/* saml/lasso_check.c: lasso's own processing must agree with ours. */
const char *sipsso_lasso_check(apr_pool_t *p, const sipsso_sp *sp,
                               const char *b64, apr_size_t len,
                               const sipsso_msg *m);

#endif
