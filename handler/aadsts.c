/* Entra's error codes, explained for the person who sees them and for the
 * admin they will forward the page to. */
#include "handlers.h"
#include "../util/util.h"
#include <http_log.h>
#include <http_protocol.h>
#include <apr_strings.h>
#include <ctype.h>
#include <string.h>

APLOG_USE_MODULE(sipsso);

static const struct { const char *code, *text; } known[] = {
    { "AADSTS50105", "You are signed in, but your account has not been given "
      "access to this application. An administrator must assign you (or a "
      "group you are in) to the application in Microsoft Entra ID "
      "(Enterprise applications &rarr; Users and groups)." },
    { "AADSTS50011", "The reply URL configured in Microsoft Entra ID does not "
      "match this site's sign-in address. An administrator must set the "
      "Reply URL (Assertion Consumer Service URL) to the value shown on this "
      "site's setup page." },
    { "AADSTS700016", "Microsoft Entra ID does not know this application's "
      "Identifier. An administrator must set the Identifier (Entity ID) in "
      "Entra to this site's entity ID, or fix SipSSOEntityID." },
    { "AADSTS75011", "The way you signed in does not match what this "
      "application asked for. Signing out of Microsoft and back in usually "
      "helps; an administrator can turn off SipSSOForceAuthn or adjust "
      "conditional access." },
    { "AADSTS750054", "The sign-in request did not reach Microsoft in the "
      "expected form (SAMLRequest missing or not in the HTTP-Redirect "
      "binding)." },
    { NULL, NULL }
};

/* "AADSTS50105" from "AADSTS50105: Your administrator ..." */
static const char *find_code(apr_pool_t *p, const char *msg)
{
    const char *s = msg ? strstr(msg, "AADSTS") : NULL, *e;
    if (s == NULL)
        return NULL;
    for (e = s + 6; isdigit((unsigned char)*e) && e - s < 16; e++)
        ;
    return e > s + 6 ? apr_pstrmemdup(p, s, (apr_size_t)(e - s)) : NULL;
}

static const char *explain(const char *code)
{
    int i;
    for (i = 0; code && known[i].code; i++)
        if (strcmp(known[i].code, code) == 0)
            return known[i].text;
    return NULL;
}

int sipsso_idp_error_page(request_rec *r, sipsso_srv_cfg *c, const char *code,
                          const char *subcode, const char *message,
                          int answers_our_request)
{
    const char *ref = sipsso_new_ref(r);
    const char *first = message ? apr_pstrndup(r->pool, message,
                                  strcspn(message, "\r\n")) : NULL;
    const char *aad, *why;

    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "sipsso: the IdP refused "
                  "the sign-in (ref %s): status %s%s%s, %s%s", ref, code,
                  subcode ? " / " : "", subcode ? subcode : "",
                  first ? first : "no message", answers_our_request ? "" :
                  " (not shown: the error does not answer a sign-in this "
                  "browser started)");
    if (!answers_our_request)
        first = NULL;
    aad = find_code(r->pool, first);
    why = explain(aad);
    return sipsso_send_page(r, HTTP_FORBIDDEN, "Sign-in was refused",
        apr_pstrcat(r->pool,
            "<p>Microsoft Entra ID did not sign you in to this application.</p>",
            aad ? apr_pstrcat(r->pool, "<p>Error code: <code>",
                              sipsso_html_escape(r->pool, aad), "</code></p>",
                              NULL) : "",
            why ? apr_pstrcat(r->pool, "<p>", why, "</p>", NULL) : "",
            first ? apr_pstrcat(r->pool, "<p>Message from Entra: ",
                                sipsso_html_escape(r->pool, first), "</p>",
                                NULL) : "",
            "<p><a href=\"", sipsso_html_escape(r->pool, sipsso_cfg_endpoint(c)),
            "/login?ReturnTo=%2F\">Back to login</a></p>"
            "<p>Reference: <span class=\"ref\">",
            sipsso_html_escape(r->pool, ref), "</span></p>", NULL));
}
