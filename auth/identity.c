/* What downstream handlers receive (DESIGN.md): REMOTE_USER, AUTH_TYPE and
 * SIPSSO_* variables, one per claim, multi-valued ones joined with ';' and
 * also numbered. */
#include "auth.h"
#include <apr_strings.h>
#include <string.h>

/* The name a claim goes by here: its SipSSOClaimAlias, else its URI. */
static const char *aliased(request_rec *r, const char *uri)
{
    const apr_table_t *aliases = sipsso_dir(r)->claim_aliases;
    const char *alias = apr_is_empty_table(aliases) ? NULL
                                                    : apr_table_get(aliases, uri);
    return alias ? alias : uri;
}

const char *sipsso_claim_name_for(request_rec *r, const char *uri)
{
    return sipsso_claim_short(r->pool, aliased(r, uri));
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

static void set_claim(request_rec *r, sipsso_vars *vars, const sipsso_claim *c)
{
    /* upper-case by construction, as sipsso_vars wants its names */
    const char *base = sipsso_claim_short_prefixed(r->pool, "SIPSSO_",
                                                   aliased(r, c->name));
    int i, n = c->values->nelts;
    for (i = 0; n > 1 && i < n; i++)
        sipsso_vars_set(vars, apr_psprintf(r->pool, "%s_%d", base, i),
                        APR_ARRAY_IDX(c->values, i, const char *));
    sipsso_vars_set(vars, base, sipsso_join_values(r->pool, c->values));
    if (n > 1)
        sipsso_vars_set(vars, apr_pstrcat(r->pool, base, "_N", NULL),
                        apr_itoa(r->pool, n));
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
    const char *user = user_value(r, d, s);
    sipsso_vars *vars;
    int i;

    if (user == NULL || !*user)
        return apr_psprintf(r->pool, "the session has no value for "
                            "SipSSOUserAttribute %s", d->user_attribute);
    r->user = apr_pstrdup(r->pool, user);
    r->ap_auth_type = SIPSSO_AUTH_TYPE;
    vars = sipsso_vars_make(r->pool, s->claims->nelts + 4);
    for (i = 0; i < s->claims->nelts; i++)
        set_claim(r, vars, &APR_ARRAY_IDX(s->claims, i, sipsso_claim));
    /* After the claims: a claim named NAMEID or IDP cannot replace these. */
    sipsso_vars_set(vars, "SIPSSO_NAMEID", s->name_id);
    if (s->name_id_format)
        sipsso_vars_set(vars, "SIPSSO_NAMEID_FORMAT", s->name_id_format);
    if (s->session_index)
        sipsso_vars_set(vars, "SIPSSO_SESSION_INDEX", s->session_index);
    if (s->idp)
        sipsso_vars_set(vars, "SIPSSO_IDP", s->idp);
    sipsso_vars_apply(vars, r->subprocess_env, "SIPSSO_");
    return NULL;
}
