/* Directory-scope directive handlers. */
#include "config.h"
#include <apr_strings.h>
#include <string.h>

const char *sipsso_set_user_attribute(cmd_parms *cmd, void *dcfg, const char *arg)
{
    sipsso_dir_cfg *d = dcfg;
    if (!*arg)
        return apr_psprintf(cmd->pool, "%s must not be empty", cmd->cmd->name);
    d->user_attribute = arg;
    return NULL;
}

const char *sipsso_set_claim_alias(cmd_parms *cmd, void *dcfg, const char *uri,
                                   const char *s)
{
    sipsso_dir_cfg *d = dcfg;
    const char *c;
    for (c = s; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
              (*c >= '0' && *c <= '9') || *c == '_'))
            return apr_psprintf(cmd->pool, "%s %s %s: the short name may hold "
                                "only letters, digits and '_'", cmd->cmd->name,
                                uri, s);
    if (!*s)
        return apr_psprintf(cmd->pool, "%s: empty short name", cmd->cmd->name);
    apr_table_set(d->claim_aliases, uri, s);
    return NULL;
}

const char *sipsso_set_header_prefix(cmd_parms *cmd, void *dcfg, const char *arg)
{
    sipsso_dir_cfg *d = dcfg;
    const char *c;
    if (strlen(arg) < 2)
        return apr_psprintf(cmd->pool, "%s must be at least 2 characters",
                            cmd->cmd->name);
    for (c = arg; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
              (*c >= '0' && *c <= '9') || *c == '-'))
            return apr_psprintf(cmd->pool, "%s %s: only letters, digits and "
                                "'-'", cmd->cmd->name, arg);
    d->header_prefix = arg;
    return NULL;
}
