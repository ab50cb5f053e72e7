#ifndef SIPSSO_BODY_H
#define SIPSSO_BODY_H

#include <httpd.h>

/* Read at most limit bytes of request body.  Returns OK, or
 * HTTP_REQUEST_ENTITY_TOO_LARGE / HTTP_BAD_REQUEST. */
int sipsso_read_body(request_rec *r, apr_size_t limit, char **out,
                     apr_size_t *len);

#endif
