/* Every condition of the assertion, checked here whether or not lasso
 * looked at it (lasso 2.8.1 checks none of audience, recipient,
 * destination, times or InResponseTo).  Absent where required is a
 * rejection, not a pass. */
#include "response_int.h"
#include "../util/util.h"
#include <apr_strings.h>
#include <string.h>

#define CM_BEARER "urn:oasis:names:tc:SAML:2.0:cm:bearer"
#define FMT_ENTITY "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"

typedef struct {
    apr_pool_t *p;
    const sipsso_sp *sp;
    apr_time_t now, skew;
    sipsso_response *out;
} check_ctx;

/* An optional time attribute: absent is fine (*t = 0), garbage is not. */
static const char *time_attr(check_ctx *c, xmlNodePtr n, const char *name,
                             apr_time_t *t)
{
    const char *v = sipsso_xml_attr(c->p, n, name);
    *t = 0;
    if (v == NULL)
        return NULL;
    if (sipsso_parse_xs_datetime(v, t) != 0)
        return apr_psprintf(c->p, "%s %s is not a valid time", n->name, name);
    return NULL;
}

static const char *check_window(check_ctx *c, const char *what,
                                apr_time_t nb, apr_time_t noa)
{
    if (nb && c->now + c->skew < nb)
        return apr_psprintf(c->p, "%s is not valid yet (NotBefore %s, now %s; "
                            "check the server clock)", what,
                            sipsso_format_xs_datetime(c->p, nb),
                            sipsso_format_xs_datetime(c->p, c->now));
    if (noa && c->now - c->skew >= noa)
        return apr_psprintf(c->p, "%s has expired (NotOnOrAfter %s, now %s; "
                            "check the server clock)", what,
                            sipsso_format_xs_datetime(c->p, noa),
                            sipsso_format_xs_datetime(c->p, c->now));
    return NULL;
}

static const char *check_issuer(check_ctx *c, xmlNodePtr parent, int required)
{
    int n;
    xmlNodePtr is = sipsso_xml_child(parent, SIPSSO_NS_SAML, "Issuer", &n);
    const char *v, *fmt;
    if (is == NULL)
        return required ? "the Assertion has no Issuer" : NULL;
    if (n != 1)
        return "more than one Issuer";
    v = sipsso_xml_text(c->p, is);
    fmt = sipsso_xml_attr(c->p, is, "Format");
    if (fmt && strcmp(fmt, FMT_ENTITY) != 0)
        return "the Issuer is not an entity identifier";
    if (v == NULL || strcmp(v, c->sp->idp->entity_id) != 0)
        return apr_psprintf(c->p, "the issuer %s is not the configured IdP %s "
                            "(another tenant, or SipSSOIdPEntityID is wrong)",
                            v ? v : "(unreadable)", c->sp->idp->entity_id);
    c->out->issuer = v;
    return NULL;
}

static const char *check_response_attrs(check_ctx *c, sipsso_msg *m)
{
    const char *dest = sipsso_xml_attr(c->p, m->response, "Destination");
    if (dest && strcmp(dest, c->sp->acs_url) != 0)
        return apr_psprintf(c->p, "the response's Destination %s is not this "
                            "SP's ACS URL %s", dest, c->sp->acs_url);
    c->out->response_id = sipsso_xml_attr(c->p, m->response, "ID");
    return check_issuer(c, m->response, 0);
}

/* One bearer SubjectConfirmation must hold entirely. */
static const char *check_confirmation(check_ctx *c, xmlNodePtr sc,
                                      const char *resp_irt, int resp_signed,
                                      apr_time_t *noa_out)
{
    const char *method = sipsso_xml_attr(c->p, sc, "Method"), *rcp, *irt, *err;
    xmlNodePtr scd;
    apr_time_t nb, noa;

    if (method == NULL || strcmp(method, CM_BEARER) != 0)
        return apr_psprintf(c->p, "SubjectConfirmation method %s is not bearer",
                            method ? method : "(none)");
    scd = sipsso_xml_child(sc, SIPSSO_NS_SAML, "SubjectConfirmationData", NULL);
    if (scd == NULL)
        return "the bearer SubjectConfirmation has no SubjectConfirmationData";
    rcp = sipsso_xml_attr(c->p, scd, "Recipient");
    if (rcp == NULL || strcmp(rcp, c->sp->acs_url) != 0)
        return apr_psprintf(c->p, "the Recipient %s is not this SP's ACS URL %s "
                            "(Reply URL in Entra differs?)",
                            rcp ? rcp : "(none)", c->sp->acs_url);
    if ((err = time_attr(c, scd, "NotBefore", &nb)) ||
        (err = time_attr(c, scd, "NotOnOrAfter", &noa)))
        return err;
    if (noa == 0)
        return "the SubjectConfirmationData has no NotOnOrAfter";
    if ((err = check_window(c, "the SubjectConfirmation", nb, noa)) != NULL)
        return err;
    irt = sipsso_xml_attr(c->p, scd, "InResponseTo");
    if (irt && resp_irt && strcmp(irt, resp_irt) != 0)
        return "the InResponseTo of the Response and of the assertion differ";
    /* The Response element is often unsigned: its InResponseTo counts only
     * when the signature covers it. */
    c->out->in_response_to = irt ? irt : (resp_signed ? resp_irt : NULL);
    *noa_out = noa;
    return NULL;
}

static const char *check_subject(check_ctx *c, sipsso_msg *m,
                                 apr_time_t *noa_out)
{
    int n;
    xmlNodePtr subj = sipsso_xml_child(m->assertion, SIPSSO_NS_SAML, "Subject", &n);
    xmlNodePtr nid, sc;
    const char *first_err = NULL;
    const char *resp_irt = sipsso_xml_attr(c->p, m->response, "InResponseTo");

    if (subj == NULL || n != 1)
        return "the Assertion has no Subject";
    nid = sipsso_xml_child(subj, SIPSSO_NS_SAML, "NameID", &n);
    if (nid == NULL || n != 1)
        return "the Subject has no NameID (encrypted or missing)";
    c->out->name_id = sipsso_xml_text(c->p, nid);
    if (c->out->name_id == NULL || !*c->out->name_id)
        return "the NameID is empty";
    c->out->name_id_format = sipsso_xml_attr(c->p, nid, "Format");
    for (sc = subj->children; sc; sc = sc->next) {
        const char *err;
        if (!sipsso_xml_is(sc, SIPSSO_NS_SAML, "SubjectConfirmation"))
            continue;
        err = check_confirmation(c, sc, resp_irt, m->response_sig != NULL,
                                 noa_out);
        if (err == NULL)
            return NULL;
        if (first_err == NULL)
            first_err = err;
    }
    return first_err ? first_err : "the Subject has no SubjectConfirmation";
}

static const char *check_audiences(check_ctx *c, xmlNodePtr cond)
{
    xmlNodePtr ch, a;
    int restrictions = 0;
    for (ch = cond->children; ch; ch = ch->next) {
        int ok = 0;
        if (ch->type != XML_ELEMENT_NODE)
            continue;
        if (sipsso_xml_is(ch, SIPSSO_NS_SAML, "OneTimeUse") ||
            sipsso_xml_is(ch, SIPSSO_NS_SAML, "ProxyRestriction"))
            continue;
        if (!sipsso_xml_is(ch, SIPSSO_NS_SAML, "AudienceRestriction"))
            return apr_psprintf(c->p, "unknown condition %s", ch->name);
        restrictions++;
        for (a = ch->children; a; a = a->next) {
            const char *v;
            if (!sipsso_xml_is(a, SIPSSO_NS_SAML, "Audience"))
                continue;
            v = sipsso_xml_text(c->p, a);
            if (v && strcmp(v, c->sp->entity_id) == 0)
                ok = 1;
        }
        if (!ok)
            return apr_psprintf(c->p, "the assertion is not meant for this SP: "
                                "no Audience is %s (Identifier in Entra "
                                "differs from SipSSOEntityID?)", c->sp->entity_id);
    }
    return restrictions ? NULL : "the assertion has no AudienceRestriction";
}

static const char *check_conditions(check_ctx *c, sipsso_msg *m,
                                    apr_time_t *noa_out)
{
    int n;
    xmlNodePtr cond = sipsso_xml_child(m->assertion, SIPSSO_NS_SAML, "Conditions", &n);
    apr_time_t nb, noa;
    const char *err;

    if (cond == NULL || n != 1)
        return "the assertion has no Conditions";
    if ((err = time_attr(c, cond, "NotBefore", &nb)) ||
        (err = time_attr(c, cond, "NotOnOrAfter", &noa)))
        return err;
    if (noa == 0)
        return "the Conditions have no NotOnOrAfter";
    if ((err = check_window(c, "the assertion", nb, noa)) != NULL)
        return err;
    *noa_out = noa;
    return check_audiences(c, cond);
}

static const char *check_authn_statement(check_ctx *c, sipsso_msg *m)
{
    xmlNodePtr as = sipsso_xml_child(m->assertion, SIPSSO_NS_SAML,
                                     "AuthnStatement", NULL);
    apr_time_t snoa;
    const char *err;
    if (as == NULL)
        return "the assertion has no AuthnStatement";
    c->out->session_index = sipsso_xml_attr(c->p, as, "SessionIndex");
    if ((err = time_attr(c, as, "SessionNotOnOrAfter", &snoa)) != NULL)
        return err;
    if (snoa && c->now - c->skew >= snoa)
        return "the IdP session (SessionNotOnOrAfter) has already ended";
    c->out->session_not_on_or_after = snoa;
    return NULL;
}

const char *sipsso_check_assertion(apr_pool_t *p, const sipsso_sp *sp,
                                   sipsso_msg *m, apr_time_t now,
                                   sipsso_response *out)
{
    check_ctx c = { p, sp, now, apr_time_from_sec(sp->clock_skew), out };
    apr_time_t scd_noa = 0, cond_noa = 0;
    const char *err, *version = sipsso_xml_attr(p, m->assertion, "Version");

    if (version == NULL || strcmp(version, "2.0") != 0)
        return "the Assertion is not SAML version 2.0";
    out->assertion_id = sipsso_xml_attr(p, m->assertion, "ID");
    if ((err = check_response_attrs(&c, m)) ||
        (err = check_issuer(&c, m->assertion, 1)) ||
        (err = check_subject(&c, m, &scd_noa)) ||
        (err = check_conditions(&c, m, &cond_noa)) ||
        (err = check_authn_statement(&c, m)))
        return err;
    out->not_on_or_after = (scd_noa > cond_noa ? scd_noa : cond_noa) + c.skew;
    return NULL;
}
