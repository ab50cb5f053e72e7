/* Authorization providers for mod_authz_core:
 *   Require sipsso-claim <short name or claim URI> <value> [value...]
 *   Require sipsso-group <group object id> [...]
 * Usable inside <RequireAll>/<RequireAny> and with "Require not". */
#include "auth.h"
#include <http_log.h>
#include <http_request.h>
#include <mod_auth.h>
#include <apr_strings.h>
#include <string.h>

APLOG_USE_MODULE(sipsso);

#define GROUPS_CLAIM "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
#define GROUPS_LINK "http://schemas.microsoft.com/claims/groups.link"

static const char *parse_values(cmd_parms *cmd, const char *line,
                                const void **parsed, int want_name)
{
    apr_array_header_t *words = apr_array_make(cmd->pool, 4, sizeof(char *));
    const char *w;
    while (*(w = ap_getword_conf(cmd->pool, &line)) != '\0')
        APR_ARRAY_PUSH(words, const char *) = w;
    if (words->nelts < (want_name ? 2 : 1))
        return want_name ? "Require sipsso-claim needs a claim name and at "
                           "least one value"
                         : "Require sipsso-group needs at least one group "
                           "object ID";
    *parsed = words;
    return NULL;
}

static const char *parse_claim(cmd_parms *cmd, const char *line,
                               const void **parsed)
{
    return parse_values(cmd, line, parsed, 1);
}

static const char *parse_group(cmd_parms *cmd, const char *line,
                               const void **parsed)
{
    return parse_values(cmd, line, parsed, 0);
}

static const sipsso_session *session_of(request_rec *r)
{
    const sipsso_session *s = sipsso_request_session(r);
    return s ? s : sipsso_inherited_session(r);
}

/* Does the claim hold any of words[from..]?  Group object IDs are GUIDs,
 * which compare without regard to case (Entra sends them lower-case; an
 * admin may paste them upper-case). */
static int claim_has(const sipsso_claim *c, const apr_array_header_t *words,
                     int from, int nocase)
{
    int i, j;
    for (i = 0; c && i < c->values->nelts; i++)
        for (j = from; j < words->nelts; j++) {
            const char *v = APR_ARRAY_IDX(c->values, i, const char *);
            const char *w = APR_ARRAY_IDX(words, j, const char *);
            if ((nocase ? strcasecmp(v, w) : strcmp(v, w)) == 0)
                return 1;
        }
    return 0;
}

static authz_status check_claim(request_rec *r, const char *line,
                                const void *parsed)
{
    const apr_array_header_t *words = parsed;
    const sipsso_session *s = session_of(r);
    const char *name = APR_ARRAY_IDX(words, 0, const char *);
    (void)line;
    if (r->user == NULL || s == NULL)
        return AUTHZ_DENIED_NO_USER;
    if (claim_has(sipsso_lookup_claim(r, s, name), words, 1, 0))
        return AUTHZ_GRANTED;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "sipsso: %s does not have "
                  "claim %s with a required value", r->user, name);
    return AUTHZ_DENIED;
}

static authz_status check_group(request_rec *r, const char *line,
                                const void *parsed)
{
    const sipsso_session *s = session_of(r);
    const sipsso_claim *groups;
    (void)line;
    if (r->user == NULL || s == NULL)
        return AUTHZ_DENIED_NO_USER;
    groups = sipsso_session_claim(r->pool, s, GROUPS_CLAIM);
    if (claim_has(groups, parsed, 0, 1))
        return AUTHZ_GRANTED;
    if (groups == NULL && sipsso_session_claim(r->pool, s, GROUPS_LINK))
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "sipsso: cannot check the "
            "groups of %s: Entra sent a groups.link overage claim instead of "
            "the groups (the user is in more than 150 groups). In Entra, "
            "under Attributes & Claims, edit the groups claim to send only "
            "\"Groups assigned to the application\" (and assign the groups), "
            "or filter the groups claim", r->user);
    else
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "sipsso: %s is in none of "
                      "the required groups", r->user);
    return AUTHZ_DENIED;
}

static const authz_provider claim_provider = { check_claim, parse_claim };
static const authz_provider group_provider = { check_group, parse_group };

void sipsso_register_authz(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "sipsso-claim",
                              AUTHZ_PROVIDER_VERSION, &claim_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "sipsso-group",
                              AUTHZ_PROVIDER_VERSION, &group_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
}
