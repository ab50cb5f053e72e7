/* lasso builds and checks logout messages from a LassoSession holding the
 * signed-in assertion.  We keep no lasso session dumps (they are large and
 * hold the whole assertion), so a minimal one is rebuilt from the NameID and
 * SessionIndex that the session record keeps. */
#include "logout.h"
#include "../util/util.h"
#include <apr_strings.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
#include <lasso/xml/saml-2.0/saml2_authn_statement.h>
#include <lasso/xml/saml-2.0/saml2_name_id.h>
#include <lasso/xml/saml-2.0/saml2_subject.h>
#include <lasso/xml/saml-2.0/samlp2_logout_request.h>
#include <lasso/xml/saml-2.0/samlp2_status_response.h>
#include <string.h>

static LassoSession *minimal_session(const sipsso_sp *sp,
                                     const sipsso_logout_subject *who)
{
    LassoSaml2Assertion *a = LASSO_SAML2_ASSERTION(lasso_saml2_assertion_new());
    LassoSaml2Subject *sub = LASSO_SAML2_SUBJECT(lasso_saml2_subject_new());
    LassoSaml2NameID *nid = LASSO_SAML2_NAME_ID(
        lasso_saml2_name_id_new_with_string((char *)who->name_id));
    LassoSession *s = lasso_session_new();

    if (who->name_id_format)
        nid->Format = g_strdup(who->name_id_format);
    sub->NameID = nid;
    a->Subject = sub;
    a->Issuer = LASSO_SAML2_NAME_ID(lasso_saml2_name_id_new_with_string(
        (char *)sp->idp->entity_id));
    if (who->session_index) {
        LassoSaml2AuthnStatement *st =
            LASSO_SAML2_AUTHN_STATEMENT(lasso_saml2_authn_statement_new());
        st->SessionIndex = g_strdup(who->session_index);
        a->AuthnStatement = g_list_append(NULL, st);
    }
    lasso_session_add_assertion(s, sp->idp->entity_id, LASSO_NODE(a));
    g_object_unref(a);
    return s;
}

static void set_signing(LassoProfile *profile, const sipsso_sp *sp)
{
    if (!sp->signs_requests)
        lasso_profile_set_signature_hint(profile,
                                         LASSO_PROFILE_SIGNATURE_HINT_FORBID);
}

const char *sipsso_logout_request(apr_pool_t *p, const sipsso_sp *sp,
                                  const sipsso_logout_subject *who,
                                  const char *relay_state, const char **url,
                                  const char **request_id)
{
    LassoLogout *lo = lasso_logout_new(sp->server);
    LassoProfile *profile = LASSO_PROFILE(lo);
    const char *err = NULL;
    int rc;

    set_signing(profile, sp);
    profile->session = minimal_session(sp, who);
    rc = lasso_logout_init_request(lo, (char *)sp->idp->entity_id,
                                   LASSO_HTTP_METHOD_REDIRECT);
    if (rc == 0) {
        g_free(profile->msg_relayState);
        profile->msg_relayState = g_strdup(relay_state);
        rc = lasso_logout_build_request_msg(lo);
    }
    if (rc != 0 || profile->msg_url == NULL)
        err = apr_psprintf(p, "lasso could not build the LogoutRequest: %s",
                           lasso_strerror(rc));
    else {
        *url = apr_pstrdup(p, profile->msg_url);
        *request_id = apr_pstrdup(p,
            LASSO_SAMLP2_REQUEST_ABSTRACT(profile->request)->ID);
    }
    lasso_logout_destroy(lo);
    return err;
}

static const char *check_request(apr_pool_t *p, const sipsso_sp *sp,
                                 LassoSamlp2LogoutRequest *req, apr_time_t now)
{
    LassoSamlp2RequestAbstract *ra = LASSO_SAMLP2_REQUEST_ABSTRACT(req);
    LassoSaml2NameID *nid = LASSO_IS_SAML2_NAME_ID(req->NameID)
                          ? LASSO_SAML2_NAME_ID(req->NameID) : NULL;
    apr_time_t noa;

    if (ra->Issuer == NULL || ra->Issuer->content == NULL ||
        strcmp(ra->Issuer->content, sp->idp->entity_id) != 0)
        return "the LogoutRequest's Issuer is not the configured IdP";
    if (ra->Destination && strcmp(ra->Destination, sp->sls_url) != 0)
        return apr_psprintf(p, "the LogoutRequest's Destination %s is not this "
                            "SP's logout URL %s", ra->Destination, sp->sls_url);
    if (req->NotOnOrAfter && (sipsso_parse_xs_datetime(req->NotOnOrAfter, &noa)
        || now - apr_time_from_sec(sp->clock_skew) >= noa))
        return "the LogoutRequest has expired or has an unreadable NotOnOrAfter";
    if (nid == NULL || nid->content == NULL || !*nid->content)
        return "the LogoutRequest has no (clear-text) NameID";
    return NULL;
}

const char *sipsso_logout_accept(apr_pool_t *p, const sipsso_sp *sp,
                                 const char *query, apr_time_t now,
                                 sipsso_logout_subject *who,
                                 apr_array_header_t **indexes, void **ctx)
{
    LassoLogout *lo = lasso_logout_new(sp->server);
    LassoProfile *profile = LASSO_PROFILE(lo);
    LassoSamlp2LogoutRequest *req;
    const char *err;
    GList *l, *idx;
    int rc;

    lasso_profile_set_signature_verify_hint(profile,
        LASSO_PROFILE_SIGNATURE_VERIFY_HINT_FORCE);
    rc = lasso_logout_process_request_msg(lo, (char *)query);
    /* lasso reports a bad signature as a positive code: anything but 0 is
     * a refusal, and the signature status must say "verified". */
    if (rc != 0 || lasso_profile_get_signature_status(profile) != 0 ||
        !LASSO_IS_SAMLP2_LOGOUT_REQUEST(profile->request)) {
        lasso_logout_destroy(lo);
        return apr_psprintf(p, "the LogoutRequest is not validly signed by the "
                            "IdP: %s (%d)", lasso_strerror(rc), rc);
    }
    req = LASSO_SAMLP2_LOGOUT_REQUEST(profile->request);
    if ((err = check_request(p, sp, req, now)) != NULL) {
        lasso_logout_destroy(lo);
        return err;
    }
    who->name_id = apr_pstrdup(p, LASSO_SAML2_NAME_ID(req->NameID)->content);
    who->name_id_format = LASSO_SAML2_NAME_ID(req->NameID)->Format
        ? apr_pstrdup(p, LASSO_SAML2_NAME_ID(req->NameID)->Format) : NULL;
    *indexes = apr_array_make(p, 2, sizeof(const char *));
    idx = lasso_samlp2_logout_request_get_session_indexes(req);
    for (l = idx; l; l = l->next)
        APR_ARRAY_PUSH(*indexes, const char *) = apr_pstrdup(p, l->data);
    g_list_free_full(idx, g_free);
    who->session_index = (*indexes)->nelts
        ? APR_ARRAY_IDX(*indexes, 0, const char *) : NULL;
    *ctx = lo;
    return NULL;
}

const char *sipsso_logout_respond(apr_pool_t *p, const sipsso_sp *sp,
                                  void *ctx, const sipsso_logout_subject *who,
                                  const char **url)
{
    LassoLogout *lo = ctx;
    LassoProfile *profile = LASSO_PROFILE(lo);
    const char *err = NULL;
    int rc;
    sipsso_logout_subject any = *who;
    /* lasso finds "the assertion" of a session only through an
     * AuthnStatement; a request without SessionIndex still needs one. */
    if (any.session_index == NULL)
        any.session_index = "-";
    set_signing(profile, sp);
    profile->session = minimal_session(sp, &any);
    lasso_logout_validate_request(lo);  /* fills the response and its status */
    rc = lasso_logout_build_response_msg(lo);
    if (rc != 0 || profile->msg_url == NULL)
        err = apr_psprintf(p, "lasso could not build the LogoutResponse: %s",
                           lasso_strerror(rc));
    else
        *url = apr_pstrdup(p, profile->msg_url);
    lasso_logout_destroy(lo);
    return err;
}

const char *sipsso_logout_response_status(apr_pool_t *p, const sipsso_sp *sp,
                                          const char *query)
{
    LassoLogout *lo = lasso_logout_new(sp->server);
    LassoProfile *profile = LASSO_PROFILE(lo);
    LassoSamlp2StatusResponse *resp;
    const char *out = "unreadable";
    int rc = lasso_logout_process_response_msg(lo, (char *)query);

    resp = LASSO_IS_SAMLP2_STATUS_RESPONSE(profile->response)
         ? LASSO_SAMLP2_STATUS_RESPONSE(profile->response) : NULL;
    if (resp && resp->Status && resp->Status->StatusCode &&
        resp->Status->StatusCode->Value)
        out = apr_psprintf(p, "%s (lasso: %s)", resp->Status->StatusCode->Value,
                           rc ? lasso_strerror(rc) : "ok");
    lasso_logout_destroy(lo);
    return out;
}
