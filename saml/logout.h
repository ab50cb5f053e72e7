/* Single logout with lasso: our LogoutRequest to the IdP, the IdP's
 * LogoutRequest (signature over the query string exactly as received) and
 * our LogoutResponse to it. */
#ifndef SIPSSO_LOGOUT_H
#define SIPSSO_LOGOUT_H

#include "sp.h"

typedef struct {
    const char *name_id, *name_id_format;
    const char *session_index;          /* may be NULL */
} sipsso_logout_subject;

/* HTTP-Redirect LogoutRequest for subject; *url is the full Location. */
const char *sipsso_logout_request(apr_pool_t *p, const sipsso_sp *sp,
                                  const sipsso_logout_subject *who,
                                  const char *relay_state, const char **url,
                                  const char **request_id);

/* A LogoutRequest from the IdP (raw query string).  On success fills
 * *who->name_id and *indexes (const char *, maybe empty) and *ctx (pass it
 * to sipsso_logout_respond, which frees it). */
const char *sipsso_logout_accept(apr_pool_t *p, const sipsso_sp *sp,
                                 const char *query, apr_time_t now,
                                 sipsso_logout_subject *who,
                                 apr_array_header_t **indexes, void **ctx);
const char *sipsso_logout_respond(apr_pool_t *p, const sipsso_sp *sp,
                                  void *ctx, const sipsso_logout_subject *who,
                                  const char **url);

/* A LogoutResponse from the IdP: its status, for the log. */
const char *sipsso_logout_response_status(apr_pool_t *p, const sipsso_sp *sp,
                                          const char *query);

#endif
