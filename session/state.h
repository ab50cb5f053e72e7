/* Everything the module keeps in the store, with httpd request context:
 * sessions, outstanding AuthnRequests, accepted assertion IDs.  Every
 * function returns APR_SUCCESS, APR_NOTFOUND, or another status meaning the
 * store failed (callers answer 503, never let the request through). */
#ifndef SIPSSO_STATE_H
#define SIPSSO_STATE_H

#include "session.h"
#include "../config/config.h"

/* sessions.c */
apr_status_t sipsso_session_load(request_rec *r, sipsso_srv_cfg *c,
                                 const char *id, sipsso_session **out);
apr_status_t sipsso_session_save(request_rec *r, sipsso_srv_cfg *c,
                                 const sipsso_session *s);
apr_status_t sipsso_session_remove(request_rec *r, sipsso_srv_cfg *c,
                                   const char *id);
/* Remove the session whose cookie hashes to id_hash (SHA-256 hex). */
apr_status_t sipsso_session_remove_hash(request_rec *r, sipsso_srv_cfg *c,
                                        const char *id_hash);

/* index.c: NameID -> its sessions, so an IdP logout is a lookup. */
apr_status_t sipsso_index_add(request_rec *r, sipsso_srv_cfg *c,
                              const sipsso_session *s);
/* End the sessions of name_id (only those with one of indexes, when given);
 * *ended counts them. */
apr_status_t sipsso_index_end(request_rec *r, sipsso_srv_cfg *c,
                              const char *name_id,
                              const apr_array_header_t *indexes, int *ended);

/* 32 random bytes, base64url. */
const char *sipsso_random_token(apr_pool_t *p, apr_size_t bytes);

/* pending.c: an AuthnRequest we sent, keyed by the RelayState token. */
typedef struct {
    const char *request_id;
    const char *binding_hash;           /* SHA-256 of the browser cookie */
    const char *return_to;
} sipsso_pending;

#define SIPSSO_PENDING_TTL 600          /* seconds: 10 minutes */
#define SIPSSO_RELAY_LEN 32             /* base64url of 24 bytes */
#define SIPSSO_BINDING_LEN 43

/* kind: SIPSSO_PENDING_LOGIN or SIPSSO_PENDING_LOGOUT, kept apart so a
 * RelayState of one can never be used as the other. */
#define SIPSSO_PENDING_LOGIN 'r'
#define SIPSSO_PENDING_LOGOUT 'l'
apr_status_t sipsso_pending_put(request_rec *r, sipsso_srv_cfg *c, char kind,
                                const char *relay, const sipsso_pending *pd);
/* Fetch and delete: a RelayState is usable once. */
apr_status_t sipsso_pending_take(request_rec *r, sipsso_srv_cfg *c, char kind,
                                 const char *relay, sipsso_pending **out);

/* replay.c: APR_SUCCESS when the assertion ID was never seen (and records
 * it until expiry), APR_EEXIST when it was. */
apr_status_t sipsso_replay_mark(request_rec *r, sipsso_srv_cfg *c,
                                const char *assertion_id, apr_time_t expiry);

#endif
