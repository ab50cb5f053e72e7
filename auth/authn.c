/* Authentication: a valid session sets the identity; without one, a
 * navigation is sent to sign in and anything else gets 401 (scripts cannot
 * follow a login page).  A store that cannot be reached means 503, never
 * access. */
#include "auth.h"
#include "../handler/handlers.h"
#include "../session/state.h"
#include "../session/cookie.h"
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <http_core.h>
#include <apr_strings.h>
#include <string.h>

APLOG_USE_MODULE(sipsso);

/* Refresh last-access at most this often, not on every request. */
#define SIPSSO_TOUCH_INTERVAL 60

static int session_usable(request_rec *r, sipsso_srv_cfg *c, sipsso_session *s)
{
    apr_time_t now = apr_time_now();
    int idle = sipsso_cfg_idle_timeout(c);
    if (now >= s->expires)
        return 0;
    /* last_access is stored in whole seconds: allow for the truncation. */
    if (idle > 0 && now - s->last_access > apr_time_from_sec(idle + 1))
        return 0;
    if (idle > 0 && now - s->last_access >
        apr_time_from_sec(idle / 4 < SIPSSO_TOUCH_INTERVAL ? idle / 4
                                                           : SIPSSO_TOUCH_INTERVAL)) {
        s->last_access = now;
        if (sipsso_session_save(r, c, s) != APR_SUCCESS)
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          "sipsso: could not refresh the session's last access");
    }
    return 1;
}

apr_status_t sipsso_find_session(request_rec *r, sipsso_srv_cfg *c,
                                 sipsso_session **out)
{
    const char *id = sipsso_cookie_get(r->pool, apr_table_get(r->headers_in,
                                       "Cookie"), sipsso_cfg_cookie_name(c),
                                       SIPSSO_SESSION_ID_LEN);
    request_rec *m;
    apr_status_t rv;
    /* The cookie may have been stripped by an earlier request of this
     * chain (internal redirect, subrequest) before the backend saw it. */
    for (m = r; id == NULL && m != NULL; m = m->main ? m->main : m->prev)
        id = apr_table_get(m->notes, SIPSSO_NOTE_SID);
    if (id == NULL)
        return APR_NOTFOUND;
    rv = sipsso_session_load(r, c, id, out);
    if (rv != APR_SUCCESS)
        return rv;
    if (!session_usable(r, c, *out)) {
        sipsso_session_remove(r, c, id);
        return APR_NOTFOUND;
    }
    return APR_SUCCESS;
}

static int is_navigation(request_rec *r)
{
    const char *xrw = apr_table_get(r->headers_in, "X-Requested-With");
    if (r->method_number != M_GET)   /* HEAD is M_GET with header_only */
        return 0;
    return xrw == NULL || strcasecmp(xrw, "XMLHttpRequest") != 0;
}

static int no_session(request_rec *r, sipsso_srv_cfg *c)
{
    const char *target = sipsso_local_url(r->pool, r->unparsed_uri);
    const sipsso_dir_cfg *d = sipsso_dir(r);

    if (!is_navigation(r) || !ap_is_initial_req(r)) {
        apr_table_setn(r->err_headers_out, "WWW-Authenticate", apr_pstrcat(
            r->pool, "SipSSO login=\"", sipsso_cfg_endpoint(c), "/login\"", NULL));
        return sipsso_hook_page(r, HTTP_UNAUTHORIZED, "Sign-in required",
            "<p>This request needs a signed-in session. Reload the page to "
            "sign in.</p>");
    }
    return sipsso_start_login(r, c, target ? target : "/",
                              d->force_authn == 1);
}

/* Identity from s for this request, or the "Access denied" page. */
static int grant(request_rec *r, const sipsso_session *s)
{
    const char *err = sipsso_set_identity(r, s);
    if (err != NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "sipsso: %s", err);
        return sipsso_hook_page(r, HTTP_FORBIDDEN, "Access denied",
            "<p>Your account does not carry the attribute this site uses to "
            "identify users. Please contact the site's administrator.</p>");
    }
    sipsso_note_session(r, s);
    return OK;
}

int sipsso_check_authn(request_rec *r)
{
    const char *type = ap_auth_type(r);
    const sipsso_session *inherited;
    sipsso_srv_cfg *c;
    sipsso_session *s;
    apr_status_t rv;

    if (type == NULL || strcasecmp(type, SIPSSO_AUTH_TYPE) != 0)
        return DECLINED;
    c = sipsso_srv(r->server);
    if (c->sp == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "sipsso: AuthType SipSSO "
                      "is used in %s, which has no SipSSO configuration "
                      "(SipSSOEntityID and the IdP)",
                      sipsso_vhost_desc(r->pool, r->server));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* Subrequests and internal redirects share the initial request's
     * headers, from which the session cookie may already be stripped. */
    if ((inherited = sipsso_inherited_session(r)) != NULL)
        return grant(r, inherited);
    rv = sipsso_find_session(r, c, &s);
    if (rv == APR_NOTFOUND)
        return no_session(r, c);
    if (rv != APR_SUCCESS)
        return sipsso_store_down(r, rv, 1);
    return grant(r, s);
}

/* Before the handler (mod_proxy, CGI, ...): passive identity, identity
 * headers, and the session cookie taken out of what the backend sees. */
int sipsso_fixups(request_rec *r)
{
    const sipsso_dir_cfg *d = sipsso_dir(r);
    sipsso_srv_cfg *c = sipsso_srv(r->server);
    const sipsso_session *s;
    sipsso_session *found;

    if (c->sp == NULL)
        return DECLINED;
    s = sipsso_request_session(r);
    if (s == NULL && r->user == NULL && d->passive == 1) {
        if ((s = sipsso_inherited_session(r)) == NULL &&
            sipsso_find_session(r, c, &found) == APR_SUCCESS)
            s = found;
        if (s != NULL && sipsso_set_identity(r, s) == NULL)
            sipsso_note_session(r, s);
        else
            s = NULL;
    }
    if (s != NULL && d->request_headers == 1)
        sipsso_add_identity_headers(r, s);
    sipsso_strip_session_cookie(r, c, s);
    return DECLINED;
}

/* After the location is known, before authentication: no client-sent
 * identity header survives.  Subrequests and internal redirects share the
 * initial request's header table, so it is cleaned once, there. */
int sipsso_header_parser(request_rec *r)
{
    if (sipsso_srv(r->server)->sp != NULL && ap_is_initial_req(r))
        sipsso_strip_spoofed(r);
    return DECLINED;
}
