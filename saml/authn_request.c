/* The AuthnRequest is built by lasso.  We override two of its defaults:
 * no transient NameID format (Entra would then send a random per-login
 * identifier instead of the user principal name), and no signature when the
 * SP has no key (lasso would otherwise fail trying to load one). */
#include "authn_request.h"
#include <apr_strings.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_name_id_policy.h>

#define NAMEID_UNSPECIFIED "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"

static void shape_request(LassoSamlp2AuthnRequest *req, const sipsso_sp *sp,
                          int force_authn)
{
    if (req->NameIDPolicy) {
        g_free(req->NameIDPolicy->Format);
        req->NameIDPolicy->Format = g_strdup(NAMEID_UNSPECIFIED);
        req->NameIDPolicy->AllowCreate = TRUE;
    }
    g_free(req->AssertionConsumerServiceURL);
    req->AssertionConsumerServiceURL = g_strdup(sp->acs_url);
    g_free(req->ProtocolBinding);
    req->ProtocolBinding = g_strdup(LASSO_SAML2_METADATA_BINDING_POST);
    req->ForceAuthn = force_authn ? TRUE : FALSE;
    req->IsPassive = FALSE;
}

const char *sipsso_authn_request(apr_pool_t *p, const sipsso_sp *sp,
                                 const char *relay_state, int force_authn,
                                 const char **url, const char **request_id)
{
    LassoLogin *login = lasso_login_new(sp->server);
    LassoProfile *profile = LASSO_PROFILE(login);
    LassoSamlp2AuthnRequest *req;
    const char *err = NULL;
    int rc;

    if (login == NULL)
        return "lasso_login_new failed";
    if (!sp->signs_requests)
        lasso_profile_set_signature_hint(profile,
                                         LASSO_PROFILE_SIGNATURE_HINT_FORBID);
    rc = lasso_login_init_authn_request(login, sp->idp->entity_id,
                                        LASSO_HTTP_METHOD_REDIRECT);
    if (rc != 0) {
        err = apr_psprintf(p, "lasso could not start an AuthnRequest: %s",
                           lasso_strerror(rc));
        goto done;
    }
    req = LASSO_SAMLP2_AUTHN_REQUEST(profile->request);
    shape_request(req, sp, force_authn);
    g_free(profile->msg_relayState);
    profile->msg_relayState = g_strdup(relay_state);
    rc = lasso_login_build_authn_request_msg(login);
    if (rc != 0 || profile->msg_url == NULL) {
        err = apr_psprintf(p, "lasso could not build the AuthnRequest: %s",
                           lasso_strerror(rc));
        goto done;
    }
    *url = apr_pstrdup(p, profile->msg_url);
    *request_id = apr_pstrdup(p, LASSO_SAMLP2_REQUEST_ABSTRACT(req)->ID);
done:
    lasso_login_destroy(login);
    return err;
}
