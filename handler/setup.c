/* GET <endpoint>/ (the setup page) and GET <endpoint>/metadata.  Both show
 * only public values: what Entra needs, and what the module loaded. */
#include "handlers.h"
#include "../saml/sp.h"
#include "../saml/cert.h"
#include "../util/util.h"
#include <http_protocol.h>
#include <apr_strings.h>

int sipsso_metadata_handler(request_rec *r, sipsso_srv_cfg *c)
{
    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    ap_set_content_type(r, "application/samlmetadata+xml");
    apr_table_setn(r->headers_out, "Content-Disposition",
                   "inline; filename=\"sp-metadata.xml\"");
    if (!r->header_only)
        ap_rputs(c->sp->sp_metadata, r);
    return OK;
}

static const char *row(apr_pool_t *p, const char *k, const char *v)
{
    return apr_pstrcat(p, "<tr><th>", k, "</th><td><code>",
                       sipsso_html_escape(p, v ? v : "(none)"),
                       "</code></td></tr>", NULL);
}

static const char *idp_rows(request_rec *r, sipsso_srv_cfg *c)
{
    const char *out = apr_pstrcat(r->pool,
        row(r->pool, "Microsoft Entra Identifier", c->idp.entity_id),
        row(r->pool, "Login URL", c->idp.login_url),
        row(r->pool, "Logout URL", c->idp.logout_url), NULL);
    int i;
    for (i = 0; i < c->idp.certs->nelts; i++)
        out = apr_pstrcat(r->pool, out, row(r->pool, "Signing certificate",
            sipsso_cert_describe(r->pool,
                                 &APR_ARRAY_IDX(c->idp.certs, i, sipsso_cert))),
            NULL);
    return out;
}

int sipsso_setup_handler(request_rec *r, sipsso_srv_cfg *c)
{
    const char *ep = sipsso_cfg_endpoint(c);
    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    return sipsso_send_page(r, HTTP_OK, "mod_sipsso setup", apr_pstrcat(r->pool,
        "<p>In Microsoft Entra ID, open your Enterprise application, choose "
        "<b>Single sign-on &rarr; SAML</b> and enter these two values under "
        "<b>Basic SAML Configuration</b> (or upload the <a href=\"",
        sipsso_html_escape(r->pool, ep), "/metadata\">SP metadata file</a>):"
        "</p><table>",
        row(r->pool, "Identifier (Entity ID)", c->entity_id),
        row(r->pool, "Reply URL (Assertion Consumer Service URL)", c->acs_url),
        row(r->pool, "Logout Url (optional)", c->sls_url),
        "</table><h2>Identity provider loaded</h2><table>",
        idp_rows(r, c), "</table><p><a href=\"", sipsso_html_escape(r->pool, ep),
        "/login?ReturnTo=%2F\">Test sign-in</a></p>", NULL));
}
