/* What downstream handlers receive (DESIGN.md): REMOTE_USER, AUTH_TYPE and
 * SIPSSO_* variables, one per claim, multi-valued ones joined with ';' and
 * also numbered. */
#include "auth.h"
#include <apr_strings.h>
#include <string.h>

const char *sipsso_claim_name_for(request_rec *r, const char *uri)
{
    const char *alias = apr_table_get(sipsso_dir(r)->claim_aliases, uri);
    return alias ? sipsso_claim_short(r->pool, alias)
                 : sipsso_claim_short(r->pool, uri);
}

const sipsso_claim *sipsso_lookup_claim(request_rec *r, const sipsso_session *s,
                                        const char *name)
{
    const char *want = sipsso_claim_short(r->pool, name);
    int i;
    for (i = 0; i < s->claims->nelts; i++) {
        const sipsso_claim *c = &APR_ARRAY_IDX(s->claims, i, sipsso_claim);
        if (strcmp(c->name, name) == 0)
            return c;
        if (!strpbrk(name, "/:") &&
            strcmp(sipsso_claim_name_for(r, c->name), want) == 0)
            return c;
    }
    return NULL;
}

static void set_claim(request_rec *r, const char *shortn, const sipsso_claim *c)
{
    apr_table_t *e = r->subprocess_env;
    const char *base = apr_pstrcat(r->pool, "SIPSSO_", shortn, NULL), *joined = "";
    int i;
    for (i = 0; i < c->values->nelts; i++) {
        const char *v = APR_ARRAY_IDX(c->values, i, const char *);
        joined = i ? apr_pstrcat(r->pool, joined, ";", v, NULL) : v;
        if (c->values->nelts > 1)
            apr_table_setn(e, apr_psprintf(r->pool, "%s_%d", base, i), v);
    }
    apr_table_setn(e, base, joined);
    if (c->values->nelts > 1)
        apr_table_setn(e, apr_pstrcat(r->pool, base, "_N", NULL),
                       apr_itoa(r->pool, c->values->nelts));
}

static const char *user_value(request_rec *r, const sipsso_dir_cfg *d,
                              const sipsso_session *s)
{
    const sipsso_claim *c;
    if (d->user_attribute == NULL || strcasecmp(d->user_attribute, "NameID") == 0)
        return s->name_id;
    c = sipsso_lookup_claim(r, s, d->user_attribute);
    if (c == NULL || c->values->nelts == 0)
        return NULL;
    return APR_ARRAY_IDX(c->values, 0, const char *);
}

const char *sipsso_set_identity(request_rec *r, const sipsso_session *s)
{
    const sipsso_dir_cfg *d = sipsso_dir(r);
    apr_table_t *e = r->subprocess_env;
    const char *user = user_value(r, d, s);
    int i;

    if (user == NULL || !*user)
        return apr_psprintf(r->pool, "the session has no value for "
                            "SipSSOUserAttribute %s", d->user_attribute);
    r->user = apr_pstrdup(r->pool, user);
    r->ap_auth_type = SIPSSO_AUTH_TYPE;
    for (i = 0; i < s->claims->nelts; i++) {
        const sipsso_claim *c = &APR_ARRAY_IDX(s->claims, i, sipsso_claim);
        set_claim(r, sipsso_claim_name_for(r, c->name), c);
    }
    /* After the claims: a claim named NAMEID or IDP cannot replace these. */
    apr_table_setn(e, "SIPSSO_NAMEID", s->name_id);
    if (s->name_id_format)
        apr_table_setn(e, "SIPSSO_NAMEID_FORMAT", s->name_id_format);
    if (s->session_index)
        apr_table_setn(e, "SIPSSO_SESSION_INDEX", s->session_index);
    if (s->idp)
        apr_table_setn(e, "SIPSSO_IDP", s->idp);
    return NULL;
}
