/* GET <endpoint>/logout?ReturnTo=/local: the local session ends at once. */
#include "handlers.h"
#include "../session/state.h"
#include "../session/cookie.h"
#include <http_log.h>
#include <http_protocol.h>
#include <apr_strings.h>

APLOG_USE_MODULE(sipsso);

int sipsso_logout_handler(request_rec *r, sipsso_srv_cfg *c)
{
    const char *name = sipsso_cfg_cookie_name(c);
    const char *id = sipsso_cookie_get(r->pool, apr_table_get(r->headers_in,
                                       "Cookie"), name, SIPSSO_SESSION_ID_LEN);
    const char *rt = r->args ? sipsso_query_param(r->pool, r->args, "ReturnTo")
                             : NULL;
    const char *target = sipsso_local_url(r->pool, rt);
    sipsso_cookie_opts o = { c->cookie_domain, c->cookie_path,
                             c->cookie_samesite ? c->cookie_samesite : "Lax",
                             c->secure_cookie };
    apr_status_t rv;

    if (id && (rv = sipsso_session_remove(r, c, id)) != APR_SUCCESS &&
        rv != APR_NOTFOUND)
        return sipsso_store_down(r, rv, 0);
    apr_table_addn(r->err_headers_out, "Set-Cookie",
                   sipsso_cookie_build(r->pool, name, "", &o, 0));
    if (!target)
        target = c->default_url ? c->default_url : "/";
    sipsso_no_cache(r);
    apr_table_setn(r->headers_out, "Location",
                   sipsso_location(r, c, target));
    return HTTP_SEE_OTHER;
}
