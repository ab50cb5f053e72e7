/* GET <endpoint>/sls: Entra's LogoutResponse after our LogoutRequest, or
 * Entra's own LogoutRequest when the user signs out elsewhere.  The latter
 * must carry a valid IdP signature over the query string exactly as sent,
 * and ends every session of that user, not only this browser's. */
#include "handlers.h"
#include "../saml/logout.h"
#include "../session/state.h"
#include "../session/cookie.h"
#include <http_log.h>
#include <http_protocol.h>
#include <apr_strings.h>

APLOG_USE_MODULE(sipsso);

#define SIPSSO_MAX_SLS_QUERY (64 * 1024)

static int refuse(request_rec *r, const char *reason)
{
    const char *ref = sipsso_new_ref(r);
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "sipsso: refused sign-out "
                  "message (ref %s): %s", ref, reason);
    return sipsso_send_page(r, HTTP_BAD_REQUEST, "Sign-out request refused",
        apr_pstrcat(r->pool, "<p>This sign-out request did not come from the "
            "identity provider in a form this site can trust, so nothing was "
            "changed.</p><p>Reference: <span class=\"ref\">",
            sipsso_html_escape(r->pool, ref), "</span></p>", NULL));
}

/* This browser's own session goes too (it may not be in the index if it
 * was created before the index existed or the index entry was lost). */
static void end_own_session(request_rec *r, sipsso_srv_cfg *c)
{
    const char *id = sipsso_cookie_get(r->pool, apr_table_get(r->headers_in,
                                       "Cookie"), sipsso_cfg_cookie_name(c),
                                       SIPSSO_SESSION_ID_LEN);
    if (id)
        sipsso_session_remove(r, c, id);
    sipsso_clear_cookie(r, c);
}

static int idp_logout(request_rec *r, sipsso_srv_cfg *c)
{
    sipsso_logout_subject who;
    apr_array_header_t *indexes;
    const char *err, *url;
    void *ctx;
    apr_status_t rv;
    int ended;

    err = sipsso_logout_accept(r->pool, c->sp, r->args, apr_time_now(), &who,
                               &indexes, &ctx);
    if (err != NULL)
        return refuse(r, err);
    rv = sipsso_index_end(r, c, who.name_id, indexes, &ended);
    if (rv != APR_SUCCESS) {
        sipsso_logout_respond(r->pool, c->sp, ctx, &who, &url);  /* frees */
        return sipsso_store_down(r, rv, 0);
    }
    end_own_session(r, c);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "sipsso: the IdP signed %s "
                  "out: %d session(s) ended", who.name_id, ended);
    if ((err = sipsso_logout_respond(r->pool, c->sp, ctx, &who, &url)) != NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "sipsso: %s", err);
        return sipsso_send_page(r, HTTP_OK, "Signed out",
                                "<p>You have been signed out.</p>");
    }
    sipsso_no_cache(r);
    apr_table_setn(r->headers_out, "Location", url);
    return HTTP_MOVED_TEMPORARILY;
}

static int logout_done(request_rec *r, sipsso_srv_cfg *c)
{
    const char *relay = sipsso_query_param(r->pool, r->args, "RelayState");
    const char *target = c->default_url ? c->default_url : "/";
    sipsso_pending *pd;

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "sipsso: LogoutResponse from "
                  "the IdP: %s", sipsso_logout_response_status(r->pool, c->sp,
                                                               r->args));
    if (relay && sipsso_is_b64url_token(relay, SIPSSO_RELAY_LEN) &&
        sipsso_pending_take(r, c, SIPSSO_PENDING_LOGOUT, relay, &pd) ==
        APR_SUCCESS)
        target = pd->return_to;
    sipsso_no_cache(r);
    apr_table_setn(r->headers_out, "Location", sipsso_location(r, c, target));
    return HTTP_SEE_OTHER;
}

int sipsso_sls_handler(request_rec *r, sipsso_srv_cfg *c)
{
    if (r->method_number != M_GET) {
        apr_table_setn(r->err_headers_out, "Allow", "GET, HEAD");
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (r->args == NULL || strlen(r->args) > SIPSSO_MAX_SLS_QUERY)
        return refuse(r, "no SAML message in the query string, or larger "
                         "than 64 KiB");
    if (sipsso_query_param(r->pool, r->args, "SAMLRequest"))
        return idp_logout(r, c);
    if (sipsso_query_param(r->pool, r->args, "SAMLResponse"))
        return logout_done(r, c);
    return refuse(r, "neither SAMLRequest nor SAMLResponse in the query");
}
