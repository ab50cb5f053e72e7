#ifndef SIPSSO_COOKIE_H
#define SIPSSO_COOKIE_H

#include "../util/util.h"

typedef struct {
    const char *domain, *path, *samesite;
    int secure;
} sipsso_cookie_opts;

/* Our cookie in a Cookie header: the first value under that exact name
 * that is a well-formed token of token_len base64url characters.  Anything
 * else (forged length, odd characters) counts as no cookie. */
const char *sipsso_cookie_get(apr_pool_t *p, const char *header,
                              const char *name, apr_size_t token_len);

/* Set-Cookie value.  max_age < 0: browser-session cookie; 0: delete. */
char *sipsso_cookie_build(apr_pool_t *p, const char *name, const char *value,
                          const sipsso_cookie_opts *o, int max_age);

/* Is a cookie of that name in the header at all? */
int sipsso_cookie_has(apr_pool_t *p, const char *header, const char *name);

/* The Cookie header without our cookie (NULL when nothing else is left),
 * so a backend never sees a usable session identifier. */
char *sipsso_cookie_strip(apr_pool_t *p, const char *header, const char *name);

#endif
