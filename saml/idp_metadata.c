/* Entra's metadata carries WS-Federation role descriptors, several signing
 * certificates and a signature we do not need (the file comes from the
 * admin, not from the network).  We take only what SAML sign-in needs and
 * hand lasso a normalized document built from it. */
#include "idp_metadata.h"
#include "cert.h"
#include "xml.h"
#include "../util/util.h"
#include <apr_file_io.h>
#include <apr_strings.h>
#include <string.h>

#define SIPSSO_MAX_METADATA (4 * 1024 * 1024)
#define BINDING_REDIRECT "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"

static xmlNodePtr find_idp_entity(xmlNodePtr root)
{
    xmlNodePtr c;
    if (sipsso_xml_is(root, SIPSSO_NS_MD, "EntityDescriptor"))
        return root;
    if (!sipsso_xml_is(root, SIPSSO_NS_MD, "EntitiesDescriptor"))
        return NULL;
    for (c = root->children; c; c = c->next)
        if (sipsso_xml_is(c, SIPSSO_NS_MD, "EntityDescriptor") &&
            sipsso_xml_child(c, SIPSSO_NS_MD, "IDPSSODescriptor", NULL))
            return c;
    return NULL;
}

static const char *add_key(apr_pool_t *p, xmlNodePtr kd, const char *source,
                           sipsso_idp_cfg *idp)
{
    xmlNodePtr ki, x5d, x5c;
    const char *use = sipsso_xml_attr(p, kd, "use"), *b64, *err;
    sipsso_cert cert;
    int i;

    if (use && strcmp(use, "signing") != 0)
        return NULL;                       /* encryption keys: not ours */
    ki = sipsso_xml_child(kd, SIPSSO_NS_DS, "KeyInfo", NULL);
    x5d = sipsso_xml_child(ki, SIPSSO_NS_DS, "X509Data", NULL);
    for (x5c = x5d ? x5d->children : NULL; x5c; x5c = x5c->next) {
        if (!sipsso_xml_is(x5c, SIPSSO_NS_DS, "X509Certificate"))
            continue;
        if ((b64 = sipsso_xml_text(p, x5c)) == NULL)
            return "an X509Certificate element holds markup";
        if ((err = sipsso_cert_from_b64(p, b64, source, &cert)) != NULL)
            return apr_psprintf(p, "a signing X509Certificate %s", err);
        for (i = 0; i < idp->certs->nelts; i++)
            if (strcmp(APR_ARRAY_IDX(idp->certs, i, sipsso_cert).thumbprint,
                       cert.thumbprint) == 0)
                break;
        if (i == idp->certs->nelts)        /* each role repeats the keys */
            APR_ARRAY_PUSH(idp->certs, sipsso_cert) = cert;
    }
    return NULL;
}

static void read_endpoints(apr_pool_t *p, xmlNodePtr sso, sipsso_idp_cfg *idp)
{
    xmlNodePtr c;
    for (c = sso->children; c; c = c->next) {
        const char *b = sipsso_xml_attr(p, c, "Binding");
        if (b == NULL || strcmp(b, BINDING_REDIRECT) != 0)
            continue;
        if (sipsso_xml_is(c, SIPSSO_NS_MD, "SingleSignOnService") && !idp->login_url)
            idp->login_url = sipsso_xml_attr(p, c, "Location");
        if (sipsso_xml_is(c, SIPSSO_NS_MD, "SingleLogoutService") && !idp->logout_url)
            idp->logout_url = sipsso_xml_attr(p, c, "Location");
    }
}

static const char *read_entity(apr_pool_t *p, xmlNodePtr ent,
                               const char *source, sipsso_idp_cfg *idp)
{
    xmlNodePtr sso = sipsso_xml_child(ent, SIPSSO_NS_MD, "IDPSSODescriptor", NULL);
    xmlNodePtr kd;
    const char *err;

    idp->entity_id = sipsso_xml_attr(p, ent, "entityID");
    if (idp->entity_id == NULL || !*idp->entity_id)
        return "has no entityID";
    if (sso == NULL)
        return "has no IDPSSODescriptor (is it the SP's metadata?)";
    for (kd = sso->children; kd; kd = kd->next)
        if (sipsso_xml_is(kd, SIPSSO_NS_MD, "KeyDescriptor") &&
            (err = add_key(p, kd, source, idp)) != NULL)
            return err;
    if (idp->certs->nelts == 0)
        return "has no signing certificate in its IDPSSODescriptor; a "
               "response could not be verified";
    read_endpoints(p, sso, idp);
    if (idp->login_url == NULL)
        return "has no SingleSignOnService with the HTTP-Redirect binding";
    return NULL;
}

const char *sipsso_idp_metadata_parse(apr_pool_t *p, const char *buf,
                                      apr_size_t len, const char *source,
                                      sipsso_idp_cfg *idp)
{
    const char *err;
    xmlDocPtr doc = sipsso_xml_parse(buf, len, 1, &err);
    xmlNodePtr ent;

    if (doc == NULL)
        return err;
    ent = find_idp_entity(xmlDocGetRootElement(doc));
    if (ent == NULL)
        err = "is not SAML metadata with an IdP EntityDescriptor";
    else
        err = read_entity(p, ent, source, idp);
    xmlFreeDoc(doc);
    return err;
}

const char *sipsso_idp_metadata_load(apr_pool_t *p, const char *path,
                                     sipsso_idp_cfg *idp)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n;
    char *buf;

    if (apr_file_open(&f, path, APR_READ | APR_BINARY, 0, p) != APR_SUCCESS)
        return "cannot be read";
    if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS ||
        fi.size > SIPSSO_MAX_METADATA || fi.size == 0) {
        apr_file_close(f);
        return "is empty or larger than 4 MiB";
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(p, n + 1);
    if (apr_file_read_full(f, buf, n, &n) != APR_SUCCESS) {
        apr_file_close(f);
        return "cannot be read";
    }
    apr_file_close(f);
    return sipsso_idp_metadata_parse(p, buf, n, path, idp);
}

static const char *xml_attr_escape(apr_pool_t *p, const char *s)
{
    /* Values come from our own config; still escape, they end up in XML. */
    return sipsso_html_escape(p, s);
}

const char *sipsso_idp_metadata_for_lasso(apr_pool_t *p,
                                          const sipsso_idp_cfg *idp)
{
    const char *keys = "";
    int i;

    for (i = 0; i < idp->certs->nelts; i++)
        keys = apr_pstrcat(p, keys,
            "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data>"
            "<ds:X509Certificate>",
            APR_ARRAY_IDX(idp->certs, i, sipsso_cert).b64,
            "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
            "</md:KeyDescriptor>", NULL);
    return apr_pstrcat(p,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<md:EntityDescriptor xmlns:md=\"" SIPSSO_NS_MD "\" xmlns:ds=\""
        SIPSSO_NS_DS "\" entityID=\"", xml_attr_escape(p, idp->entity_id), "\">"
        "<md:IDPSSODescriptor protocolSupportEnumeration=\"" SIPSSO_NS_SAMLP "\">",
        keys,
        idp->logout_url ? apr_pstrcat(p,
            "<md:SingleLogoutService Binding=\"" BINDING_REDIRECT "\" Location=\"",
            xml_attr_escape(p, idp->logout_url), "\"/>", NULL) : "",
        "<md:SingleSignOnService Binding=\"" BINDING_REDIRECT "\" Location=\"",
        xml_attr_escape(p, idp->login_url), "\"/>"
        "</md:IDPSSODescriptor></md:EntityDescriptor>", NULL);
}
