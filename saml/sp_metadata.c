/* The SP metadata an admin can upload in Entra's "Basic SAML Configuration"
 * ("Upload metadata file").  Also what lasso is built from, so the two can
 * never disagree. */
#include "sp.h"
#include "xml.h"
#include "../util/util.h"
#include <apr_strings.h>

#define B_POST "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
#define B_REDIRECT "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"

static const char *key_descriptors(apr_pool_t *p, const char *cert_b64)
{
    const char *ki;
    if (cert_b64 == NULL)
        return "";
    ki = apr_pstrcat(p, "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>",
                     cert_b64, "</ds:X509Certificate></ds:X509Data>"
                     "</ds:KeyInfo>", NULL);
    /* Signing only: encrypted assertions are not supported yet, so the
     * metadata must not invite them. */
    return apr_pstrcat(p, "  <md:KeyDescriptor use=\"signing\">", ki,
                       "</md:KeyDescriptor>\n", NULL);
}

const char *sipsso_sp_metadata_xml(apr_pool_t *p, const char *entity_id,
                                   const char *acs_url, const char *sls_url,
                                   const char *cert_b64)
{
    return apr_pstrcat(p,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<md:EntityDescriptor xmlns:md=\"" SIPSSO_NS_MD "\" xmlns:ds=\""
        SIPSSO_NS_DS "\" entityID=\"", sipsso_html_escape(p, entity_id), "\">\n"
        " <md:SPSSODescriptor protocolSupportEnumeration=\"" SIPSSO_NS_SAMLP
        "\" AuthnRequestsSigned=\"", cert_b64 ? "true" : "false",
        "\" WantAssertionsSigned=\"true\">\n",
        key_descriptors(p, cert_b64),
        "  <md:SingleLogoutService Binding=\"" B_REDIRECT "\" Location=\"",
        sipsso_html_escape(p, sls_url), "\"/>\n"
        "  <md:AssertionConsumerService Binding=\"" B_POST "\" Location=\"",
        sipsso_html_escape(p, acs_url), "\" index=\"0\" isDefault=\"true\"/>\n"
        " </md:SPSSODescriptor>\n"
        "</md:EntityDescriptor>\n", NULL);
}
