/* Processing of a SAMLResponse posted to the ACS.  Pure with respect to
 * httpd: the caller supplies the time, and does the store-backed checks
 * (InResponseTo outstanding for this browser, assertion replay). */
#ifndef SIPSSO_RESPONSE_H
#define SIPSSO_RESPONSE_H

#include "sp.h"
#include "../util/util.h"

#define SIPSSO_MAX_RESPONSE_B64 (256 * 1024)
#define SIPSSO_MAX_RESPONSE_XML (192 * 1024)
#define SIPSSO_MAX_ELEMENTS 4000
#define SIPSSO_MAX_DEPTH 24
#define SIPSSO_MAX_ATTRIBUTES 200
#define SIPSSO_MAX_VALUES 1000         /* all values of all attributes */
#define SIPSSO_MAX_VALUE_LEN 8192

typedef enum {
    SIPSSO_RESP_OK = 0,
    SIPSSO_RESP_INVALID,               /* 400: rejected, see reason */
    SIPSSO_RESP_IDP_ERROR              /* 403: the IdP said no, see status */
} sipsso_resp_rc;

typedef struct {
    const char *name_id, *name_id_format, *session_index;
    const char *issuer, *assertion_id, *response_id;
    const char *in_response_to;        /* NULL: unsolicited */
    apr_time_t not_on_or_after;        /* latest validity: replay cache */
    apr_time_t session_not_on_or_after;/* 0 when the IdP gave none */
    apr_array_header_t *claims;        /* sipsso_claim */
    const char *signed_parts;          /* "assertion", "response", "both" */

    const char *status_code, *status_subcode, *status_message;
    const char *reason;                /* precise, for the error log */
} sipsso_response;

sipsso_resp_rc sipsso_response_process(apr_pool_t *p, const sipsso_sp *sp,
                                       const char *b64, apr_size_t len,
                                       apr_time_t now, sipsso_response *out);

#endif
