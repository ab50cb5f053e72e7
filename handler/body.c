/* Reading a bounded request body. */
#include "body.h"
#include <http_protocol.h>
#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

int sipsso_read_body(request_rec *r, apr_size_t limit, char **out,
                     apr_size_t *len)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_size_t got = 0;
    char *buf;
    int rc;

    if (cl && strtoull(cl, NULL, 10) > limit)
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK)
        return rc;
    buf = apr_palloc(r->pool, limit + 1);
    if (ap_should_client_block(r)) {
        long n;
        char tmp[8192];
        while ((n = ap_get_client_block(r, tmp, sizeof(tmp))) > 0) {
            if (got + (apr_size_t)n > limit)
                return HTTP_REQUEST_ENTITY_TOO_LARGE;
            memcpy(buf + got, tmp, (apr_size_t)n);
            got += (apr_size_t)n;
        }
        if (n < 0)
            return HTTP_BAD_REQUEST;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return OK;
}
