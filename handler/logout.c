/* GET <endpoint>/logout?ReturnTo=/local: the local session ends at once;
 * then, when the IdP has a logout URL, the browser carries our
 * LogoutRequest there and comes back through <endpoint>/sls. */
#include "handlers.h"
#include "../saml/logout.h"
#include "../session/state.h"
#include "../session/cookie.h"
#include <http_log.h>
#include <http_protocol.h>
#include <apr_strings.h>

APLOG_USE_MODULE(sipsso);

void sipsso_clear_cookie(request_rec *r, sipsso_srv_cfg *c)
{
    sipsso_cookie_opts o = { c->cookie_domain, c->cookie_path,
                             c->cookie_samesite ? c->cookie_samesite : "Lax",
                             c->secure_cookie };
    apr_table_addn(r->err_headers_out, "Set-Cookie", sipsso_cookie_build(
        r->pool, sipsso_cfg_cookie_name(c), "", &o, 0));
}

/* Ask the IdP to end its session too; falls back to a local landing. */
static int to_idp(request_rec *r, sipsso_srv_cfg *c, const sipsso_session *s,
                  const char *target)
{
    sipsso_logout_subject who = { s->name_id, s->name_id_format,
                                  s->session_index };
    sipsso_pending pd;
    const char *relay = sipsso_random_token(r->pool, 24), *url, *err;
    apr_status_t rv;

    err = relay ? sipsso_logout_request(r->pool, c->sp, &who, relay, &url,
                                        &pd.request_id) : "no random bytes";
    if (err != NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "sipsso: %s; signed out "
                      "locally only", err);
        return HTTP_SEE_OTHER;
    }
    pd.binding_hash = "-";
    pd.return_to = target;
    if ((rv = sipsso_pending_put(r, c, SIPSSO_PENDING_LOGOUT, relay, &pd))
        != APR_SUCCESS)
        return sipsso_store_down(r, rv, 0);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "sipsso: %s signed out; "
                  "LogoutRequest %s sent to the IdP", s->name_id, pd.request_id);
    apr_table_setn(r->headers_out, "Location", url);
    return HTTP_MOVED_TEMPORARILY;
}

int sipsso_logout_handler(request_rec *r, sipsso_srv_cfg *c)
{
    const char *id = sipsso_cookie_get(r->pool, apr_table_get(r->headers_in,
                                       "Cookie"), sipsso_cfg_cookie_name(c),
                                       SIPSSO_SESSION_ID_LEN);
    const char *rt = r->args ? sipsso_query_param(r->pool, r->args, "ReturnTo")
                             : NULL;
    const char *target = sipsso_local_url(r->pool, rt);
    sipsso_session *s = NULL;
    apr_status_t rv;

    if (r->method_number != M_GET) {
        apr_table_setn(r->err_headers_out, "Allow", "GET, HEAD");
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!target)
        target = c->default_url ? c->default_url : "/";
    if (id) {
        rv = sipsso_session_load(r, c, id, &s);
        if (rv == APR_SUCCESS)
            rv = sipsso_session_remove(r, c, id);
        if (rv != APR_SUCCESS && rv != APR_NOTFOUND)
            return sipsso_store_down(r, rv, 0);
    }
    sipsso_clear_cookie(r, c);
    sipsso_no_cache(r);
    apr_table_setn(r->headers_out, "Location", sipsso_location(r, c, target));
    if (s != NULL && c->idp.logout_url != NULL)
        return to_idp(r, c, s, target);
    if (s != NULL)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "sipsso: %s signed out "
                      "(locally: no IdP logout URL is configured)", s->name_id);
    return HTTP_SEE_OTHER;
}
