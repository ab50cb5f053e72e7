/* The module's endpoints are served from the quick handler, before
 * authentication and before mod_proxy, so a location protected by SipSSO
 * (even "/") can always reach its own ACS.  Only the exact raw paths match:
 * an encoded or differently-cased variant is an ordinary (protected) URL. */
#include "handlers.h"
#include <http_protocol.h>
#include <apr_strings.h>
#include <string.h>

const char *sipsso_location(request_rec *r, sipsso_srv_cfg *c,
                            const char *target)
{
    if (target[0] == '/')
        return apr_pstrcat(r->pool, c->external_base, target, NULL);
    return target;
}

int sipsso_quick_handler(request_rec *r, int lookup)
{
    sipsso_srv_cfg *c = sipsso_srv(r->server);
    const char *ep, *path = r->parsed_uri.path, *rest;
    apr_size_t n;

    if (lookup || c == NULL || c->sp == NULL || path == NULL || r->main)
        return DECLINED;
    ep = sipsso_cfg_endpoint(c);
    n = strlen(ep);
    if (strncmp(path, ep, n) != 0)
        return DECLINED;
    rest = path + n;
    if (*rest == '\0' || strcmp(rest, "/") == 0)
        return sipsso_setup_handler(r, c);
    if (strcmp(rest, "/acs") == 0)
        return sipsso_acs_handler(r, c);
    if (strcmp(rest, "/login") == 0)
        return sipsso_login_handler(r, c);
    if (strcmp(rest, "/logout") == 0)
        return sipsso_logout_handler(r, c);
    if (strcmp(rest, "/sls") == 0)
        return sipsso_sls_handler(r, c);
    if (strcmp(rest, "/metadata") == 0)
        return sipsso_metadata_handler(r, c);
    return DECLINED;
}
