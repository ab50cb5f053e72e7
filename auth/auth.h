#ifndef SIPSSO_AUTH_H
#define SIPSSO_AUTH_H

#include "../config/config.h"
#include "../session/session.h"

/* check_authn hook for AuthType SipSSO. */
int sipsso_check_authn(request_rec *r);
/* fixups hook: SipSSOPassive On without Require. */
int sipsso_fixups(request_rec *r);

/* Find the session of this request: APR_SUCCESS, APR_NOTFOUND or a store
 * error.  Expired and idle sessions are removed and count as not found. */
apr_status_t sipsso_find_session(request_rec *r, sipsso_srv_cfg *c,
                                 sipsso_session **out);

/* identity.c: REMOTE_USER, AUTH_TYPE and SIPSSO_* for this request.
 * Returns NULL, or why the configured user attribute is missing. */
const char *sipsso_set_identity(request_rec *r, const sipsso_session *s);
/* The short name a claim gets here (SipSSOClaimAlias, else DESIGN's rule). */
const char *sipsso_claim_name_for(request_rec *r, const char *uri);
/* A claim by URI, short name or alias. */
const sipsso_claim *sipsso_lookup_claim(request_rec *r, const sipsso_session *s,
                                        const char *name);

/* request_session.c */
void sipsso_note_session(request_rec *r, const sipsso_session *s);
const sipsso_session *sipsso_request_session(request_rec *r);
const sipsso_session *sipsso_inherited_session(request_rec *r);

/* headers.c */
#define SIPSSO_NOTE_SID "sipsso-session-id"
void sipsso_strip_spoofed(request_rec *r);
void sipsso_strip_session_cookie(request_rec *r, const sipsso_srv_cfg *c,
                                 const sipsso_session *s);
void sipsso_add_identity_headers(request_rec *r, const sipsso_session *s);
int sipsso_header_parser(request_rec *r);

/* authz.c, forbidden.c */
void sipsso_register_authz(apr_pool_t *p);
void sipsso_register_forbidden(apr_pool_t *p);
int sipsso_note_auth_failure(request_rec *r, const char *auth_type);
void sipsso_insert_error_filter(request_rec *r);

#endif
