/* POST <endpoint>/acs: the browser brings the IdP's SAMLResponse.  The
 * response is checked (saml/response.c), then matched with the request
 * this browser started, checked against replay, and only then a session is
 * created under a fresh identifier. */
#include "handlers.h"
#include "body.h"
#include "../saml/response.h"
#include "../session/state.h"
#include "../session/cookie.h"
#include <http_log.h>
#include <http_protocol.h>
#include <apr_strings.h>
#include <string.h>

APLOG_USE_MODULE(sipsso);

#define SIPSSO_MAX_ACS_BODY (256 * 1024)

static int read_form(request_rec *r, apr_table_t **form)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type"), *err = NULL;
    char *body;
    apr_size_t len;
    int rc;

    if (ct == NULL || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0 ||
        (ct[33] != '\0' && ct[33] != ';'))
        return sipsso_reject(r, HTTP_UNSUPPORTED_MEDIA_TYPE, apr_psprintf(
            r->pool, "content type %s is not a form post", ct ? ct : "(none)"));
    if ((rc = sipsso_read_body(r, SIPSSO_MAX_ACS_BODY, &body, &len)) != OK)
        return sipsso_reject(r, rc, rc == HTTP_REQUEST_ENTITY_TOO_LARGE
                             ? "request body larger than 256 KiB"
                             : "request body could not be read");
    if ((*form = sipsso_form_parse(r->pool, body, len, 8, &err)) == NULL)
        return sipsso_reject(r, HTTP_BAD_REQUEST, err);
    return DECLINED;
}

static int binding_matches(request_rec *r, sipsso_srv_cfg *c,
                           const sipsso_pending *pd)
{
    const char *bind = sipsso_cookie_get(r->pool,
        apr_table_get(r->headers_in, "Cookie"),
        apr_pstrcat(r->pool, sipsso_cfg_cookie_name(c), "_binding", NULL),
        SIPSSO_BINDING_LEN);
    return bind != NULL &&
           sipsso_ct_streq(sipsso_sha256_hex(r->pool, bind, strlen(bind)),
                           pd->binding_hash);
}

/* An error response is unsigned: its text is shown only when it answers a
 * request this browser made, so no other site can put words on our page. */
static int error_is_ours(request_rec *r, sipsso_srv_cfg *c,
                         const sipsso_response *res, const char *relay)
{
    sipsso_pending *pd;
    if (res->in_response_to == NULL || relay == NULL ||
        !sipsso_is_b64url_token(relay, SIPSSO_RELAY_LEN) ||
        sipsso_pending_take(r, c, SIPSSO_PENDING_LOGIN, relay, &pd) != APR_SUCCESS)
        return 0;
    return strcmp(pd->request_id, res->in_response_to) == 0 &&
           binding_matches(r, c, pd);
}

/* Was this response asked for, by this browser?  Fills *return_to. */
static int check_solicited(request_rec *r, sipsso_srv_cfg *c,
                           const sipsso_response *res, const char *relay,
                           const char **return_to)
{
    sipsso_pending *pd;
    apr_status_t rv;

    if (res->in_response_to == NULL) {
        if (!c->sp->allow_idp_initiated)
            return sipsso_reject(r, HTTP_BAD_REQUEST, "unsolicited response "
                "(no InResponseTo) while IdP-initiated sign-on is off "
                "(SipSSOAllowIdPInitiated)");
        *return_to = sipsso_local_url(r->pool, relay);
        if (*return_to == NULL)
            *return_to = c->default_url ? c->default_url : "/";
        return DECLINED;
    }
    if (relay == NULL || !sipsso_is_b64url_token(relay, SIPSSO_RELAY_LEN))
        return sipsso_reject(r, HTTP_BAD_REQUEST, "response to a request "
                             "without our RelayState");
    rv = sipsso_pending_take(r, c, SIPSSO_PENDING_LOGIN, relay, &pd);
    if (rv == APR_NOTFOUND)
        return sipsso_reject_hint(r, HTTP_BAD_REQUEST, apr_psprintf(r->pool,
            "InResponseTo %s: no outstanding request for this RelayState "
            "(expired after 10 minutes, already used, or never issued)",
            res->in_response_to), "The sign-in took longer than 10 minutes or "
            "was already completed (for example with the Back button). "
            "Please start again.");
    if (rv != APR_SUCCESS)
        return sipsso_store_down(r, rv, 0);
    if (strcmp(pd->request_id, res->in_response_to) != 0)
        return sipsso_reject(r, HTTP_BAD_REQUEST, apr_psprintf(r->pool,
            "InResponseTo %s does not match the request %s sent with this "
            "RelayState", res->in_response_to, pd->request_id));
    if (!binding_matches(r, c, pd))
        return sipsso_reject_hint(r, HTTP_BAD_REQUEST, "the response answers "
            "a request started in another browser (binding cookie missing or "
            "different): possible login CSRF", "Your browser did not send back "
            "the cookie this site set when the sign-in started. Allow cookies "
            "for this site and start the sign-in again in the same browser.");
    *return_to = pd->return_to;
    return DECLINED;
}

static apr_time_t session_expiry(sipsso_srv_cfg *c, const sipsso_response *res,
                                 apr_time_t now)
{
    apr_time_t exp = now + apr_time_from_sec(sipsso_cfg_max_age(c));
    if (res->session_not_on_or_after && res->session_not_on_or_after < exp)
        exp = res->session_not_on_or_after;
    return exp;
}

static int create_session(request_rec *r, sipsso_srv_cfg *c,
                          const sipsso_response *res, const char *return_to)
{
    sipsso_session s;
    sipsso_cookie_opts o = { c->cookie_domain, c->cookie_path,
                             c->cookie_samesite ? c->cookie_samesite : "Lax",
                             c->secure_cookie };
    apr_time_t now = apr_time_now();
    apr_status_t rv;

    memset(&s, 0, sizeof(s));
    if ((s.id = sipsso_random_token(r->pool, 32)) == NULL)
        return sipsso_reject(r, HTTP_INTERNAL_SERVER_ERROR, "no random bytes");
    s.created = s.last_access = now;
    s.expires = session_expiry(c, res, now);
    s.name_id = res->name_id;
    s.name_id_format = res->name_id_format;
    s.session_index = res->session_index;
    s.idp = res->issuer;
    s.claims = res->claims;
    if ((rv = sipsso_session_save(r, c, &s)) != APR_SUCCESS ||
        (rv = sipsso_index_add(r, c, &s)) != APR_SUCCESS)
        return sipsso_store_down(r, rv, 0);
    apr_table_addn(r->err_headers_out, "Set-Cookie", sipsso_cookie_build(
        r->pool, sipsso_cfg_cookie_name(c), s.id, &o, -1));
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "sipsso: %s signed in "
                  "(assertion %s, signed: %s, session until %s)", res->name_id,
                  res->assertion_id, res->signed_parts,
                  sipsso_format_xs_datetime(r->pool, s.expires));
    sipsso_no_cache(r);
    apr_table_setn(r->headers_out, "Location",
                   sipsso_location(r, c, return_to));
    return HTTP_SEE_OTHER;
}

int sipsso_acs_handler(request_rec *r, sipsso_srv_cfg *c)
{
    apr_table_t *form;
    const char *b64, *relay, *return_to = NULL;
    sipsso_response res;
    sipsso_resp_rc prc;
    apr_status_t rv;
    int rc;

    if (r->method_number != M_POST) {
        apr_table_setn(r->err_headers_out, "Allow", "POST");
        return sipsso_reject(r, HTTP_METHOD_NOT_ALLOWED, apr_pstrcat(r->pool,
                             r->method, " on the ACS (only POST)", NULL));
    }
    if ((rc = read_form(r, &form)) != DECLINED)
        return rc;
    b64 = apr_table_get(form, "SAMLResponse");
    relay = apr_table_get(form, "RelayState");
    if (b64 == NULL)
        return sipsso_reject(r, HTTP_BAD_REQUEST, "no SAMLResponse in the form");
    if (relay && strlen(relay) > 80)
        return sipsso_reject(r, HTTP_BAD_REQUEST, "RelayState longer than 80 bytes");
    prc = sipsso_response_process(r->pool, c->sp, b64, strlen(b64),
                                  apr_time_now(), &res);
    if (prc == SIPSSO_RESP_IDP_ERROR)
        return sipsso_idp_error_page(r, c, res.status_code, res.status_subcode,
                                     res.status_message,
                                     error_is_ours(r, c, &res, relay));
    if (prc != SIPSSO_RESP_OK)
        return sipsso_reject(r, HTTP_BAD_REQUEST, res.reason);
    if ((rc = check_solicited(r, c, &res, relay, &return_to)) != DECLINED)
        return rc;
    rv = sipsso_replay_mark(r, c, res.assertion_id, res.not_on_or_after);
    if (rv == APR_EEXIST)
        return sipsso_reject(r, HTTP_BAD_REQUEST, apr_psprintf(r->pool,
            "assertion %s was already used (replay)", res.assertion_id));
    if (rv != APR_SUCCESS)
        return sipsso_store_down(r, rv, 0);
    return create_session(r, c, &res, return_to);
}
