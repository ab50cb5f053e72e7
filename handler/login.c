/* Starting a sign-in: an AuthnRequest to the IdP, remembered server-side
 * under a random RelayState and bound to this browser by a cookie. */
#include "handlers.h"
#include "../saml/authn_request.h"
#include "../session/state.h"
#include "../session/cookie.h"
#include "../util/util.h"
#include <http_log.h>
#include <http_protocol.h>
#include <apr_strings.h>
#include <string.h>

APLOG_USE_MODULE(sipsso);

/* The binding cookie must come back on the IdP's cross-site POST to the
 * ACS: SameSite=None (which browsers accept only with Secure) on https;
 * on plain http no SameSite attribute, the most a browser will send. */
static const char *binding_cookie(request_rec *r, sipsso_srv_cfg *c)
{
    const char *name = apr_pstrcat(r->pool, sipsso_cfg_cookie_name(c),
                                   "_binding", NULL);
    const char *v = sipsso_cookie_get(r->pool, apr_table_get(r->headers_in,
                                      "Cookie"), name, SIPSSO_BINDING_LEN);
    /* Path=/ so that every page starting a sign-in sees and reuses it:
     * several tabs signing in at once must all be able to finish. */
    sipsso_cookie_opts o = { c->cookie_domain, "/",
                             c->secure_cookie ? "None" : NULL, c->secure_cookie };
    if (v == NULL && (v = sipsso_random_token(r->pool, 32)) == NULL)
        return NULL;
    apr_table_addn(r->err_headers_out, "Set-Cookie", sipsso_cookie_build(
        r->pool, name, v, &o, SIPSSO_PENDING_TTL));
    return v;
}

int sipsso_start_login(request_rec *r, sipsso_srv_cfg *c,
                       const char *return_to, int force_authn)
{
    sipsso_pending pd;
    const char *relay = sipsso_random_token(r->pool, 24), *bind, *url, *err;
    apr_status_t rv;

    if (relay == NULL || (bind = binding_cookie(r, c)) == NULL)
        return HTTP_INTERNAL_SERVER_ERROR;
    err = sipsso_authn_request(r->pool, c->sp, relay, force_authn, &url,
                               &pd.request_id);
    if (err != NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "sipsso: %s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    pd.binding_hash = sipsso_sha256_hex(r->pool, bind, strlen(bind));
    pd.return_to = return_to;
    if ((rv = sipsso_pending_put(r, c, SIPSSO_PENDING_LOGIN, relay, &pd)) != APR_SUCCESS)
        return sipsso_store_down(r, rv, 1);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "sipsso: AuthnRequest %s "
                  "to %s for %s", pd.request_id, c->idp.login_url, return_to);
    sipsso_no_cache(r);
    apr_table_setn(r->headers_out, "Location", url);
    return HTTP_MOVED_TEMPORARILY;
}

/* GET <endpoint>/login?ReturnTo=/local/path */
int sipsso_login_handler(request_rec *r, sipsso_srv_cfg *c)
{
    const char *rt = r->args ? sipsso_query_param(r->pool, r->args, "ReturnTo")
                             : NULL;
    const char *target = sipsso_local_url(r->pool, rt);

    if (r->method_number != M_GET) {
        apr_table_setn(r->err_headers_out, "Allow", "GET, HEAD");
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (rt && !target)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "sipsso: ignoring a "
                      "ReturnTo that is not a local path");
    if (!target)
        target = c->default_url ? c->default_url : "/";
    return sipsso_start_login(r, c, target, 0);
}
