/* A signed-in user's session, kept server-side in the store; the browser
 * holds only its random identifier. */
#ifndef SIPSSO_SESSION_H
#define SIPSSO_SESSION_H

#include "../util/util.h"

typedef struct {
    const char *id;                     /* cookie value: 256 random bits */
    apr_time_t created, expires, last_access;
    const char *name_id, *name_id_format, *session_index, *idp;
    apr_array_header_t *claims;         /* sipsso_claim */
} sipsso_session;

#define SIPSSO_SESSION_ID_LEN 43        /* base64url of 32 bytes */

/* Record format (session/record.c): pure, unit-tested. */
char *sipsso_session_encode(apr_pool_t *p, const sipsso_session *s,
                            apr_size_t *len);
const char *sipsso_session_decode(apr_pool_t *p, const char *buf,
                                  apr_size_t len, sipsso_session *s);

/* Values of a claim by URI or short name; NULL when absent. */
const sipsso_claim *sipsso_session_claim(apr_pool_t *p,
                                         const sipsso_session *s,
                                         const char *name);

#endif
