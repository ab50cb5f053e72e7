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

#endif
