/* Server-scope directive handlers.  Files named by a directive are read and
 * checked here, so a mistake stops httpd with the line that caused it. */
#include "config.h"
#include "../saml/cert.h"
#include "../saml/idp_metadata.h"
#include <http_log.h>
#include <apr_strings.h>
#include <apr_uri.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>

/* httpd has parsed the whole file into a tree before directives run, so
 * the location is in cmd->directive, not cmd->config_file. */
static const char *cfg_file(cmd_parms *cmd)
{
    return cmd->directive && cmd->directive->filename
        ? cmd->directive->filename : "?";
}

static int cfg_line(cmd_parms *cmd)
{
    return cmd->directive ? cmd->directive->line_num : 0;
}

static sipsso_srv_cfg *cfg_of(cmd_parms *cmd)
{
    sipsso_srv_cfg *c = ap_get_module_config(cmd->server->module_config,
                                             &sipsso_module);
    c->configured = 1;
    return c;
}

/* "SipSSOIdPCertificate /x.cer (line 8 of /etc/apache2/x.conf, in the
 * virtual host defined at ...): <what is wrong>" -- one line that says all. */
static const char *fail(cmd_parms *cmd, const char *arg, const char *what)
{
    const char *where = cmd->server->is_virtual
        ? apr_psprintf(cmd->pool, "<VirtualHost> defined at %s:%d",
                       cmd->server->defn_name, cmd->server->defn_line_number)
        : "the main server";
    return apr_psprintf(cmd->pool, "%s %s (line %d of %s, in %s): %s",
                        cmd->cmd->name, arg ? arg : "",
                        cfg_line(cmd), cfg_file(cmd),
                        where, what);
}

static const char *check_scope(cmd_parms *cmd)
{
    return ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
}

const char *sipsso_set_srv_string(cmd_parms *cmd, void *dummy, const char *arg)
{
    sipsso_srv_cfg *c = cfg_of(cmd);
    const char *err = check_scope(cmd);
    (void)dummy;
    if (err)
        return err;
    if (!*arg)
        return fail(cmd, arg, "must not be empty");
    *(const char **)((char *)c + (size_t)cmd->info) = arg;
    return NULL;
}

const char *sipsso_set_srv_flag(cmd_parms *cmd, void *dummy, int flag)
{
    sipsso_srv_cfg *c = cfg_of(cmd);
    const char *err = check_scope(cmd);
    (void)dummy;
    if (err)
        return err;
    *(int *)((char *)c + (size_t)cmd->info) = flag ? 1 : 0;
    if (flag && strcmp(cmd->cmd->name, "SipSSOAllowSHA1") == 0)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     "sipsso: SipSSOAllowSHA1 On (line %d of %s): SHA-1 "
                     "signatures are accepted; SHA-1 is broken, Entra signs "
                     "with SHA-256 by default",
                     cfg_line(cmd), cfg_file(cmd));
    return NULL;
}

const char *sipsso_set_srv_int(cmd_parms *cmd, void *dummy, const char *arg)
{
    sipsso_srv_cfg *c = cfg_of(cmd);
    const char *err = check_scope(cmd);
    char *end;
    long v = strtol(arg, &end, 10);
    (void)dummy;
    if (err)
        return err;
    if (*arg == '\0' || *end != '\0' || v < 0 || v > 365L * 86400)
        return fail(cmd, arg, "must be a number of seconds (0 to one year)");
    if (v == 0 && strcmp(cmd->cmd->name, "SipSSOSessionMaxAge") == 0)
        return fail(cmd, arg, "0 would end every session at once");
    *(int *)((char *)c + (size_t)cmd->info) = (int)v;
    return NULL;
}

static const char *check_url(cmd_parms *cmd, const char *arg)
{
    apr_uri_t u;
    if (apr_uri_parse(cmd->pool, arg, &u) != APR_SUCCESS || !u.scheme ||
        (strcasecmp(u.scheme, "https") && strcasecmp(u.scheme, "http")) ||
        !u.hostname || !*u.hostname)
        return fail(cmd, arg, "must be an absolute http:// or https:// URL");
    if (strcmp(cmd->cmd->name, "SipSSOBaseURL") == 0 &&
        ((u.path && strcmp(u.path, "/") && *u.path) || u.query || u.fragment))
        return fail(cmd, arg, "must be only scheme://host[:port], without a path");
    return NULL;
}

const char *sipsso_set_url(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = check_scope(cmd);
    if (err || (err = check_url(cmd, arg)) != NULL)
        return err;
    return sipsso_set_srv_string(cmd, dummy, arg);
}

const char *sipsso_set_default_url(cmd_parms *cmd, void *dummy, const char *arg)
{
    if (arg[0] == '/' && arg[1] != '/' && arg[1] != '\\' &&
        strpbrk(arg, "\r\n\t\\") == NULL)
        return sipsso_set_srv_string(cmd, dummy, arg);
    return sipsso_set_url(cmd, dummy, arg);
}

const char *sipsso_set_endpoint_path(cmd_parms *cmd, void *dummy, const char *arg)
{
    apr_size_t n = strlen(arg);
    if (arg[0] != '/' || n < 2 || arg[n - 1] == '/' ||
        strpbrk(arg, "?#%\\ \t;") != NULL || strstr(arg, "//") != NULL)
        return fail(cmd, arg, "must be a path like /sipsso (leading '/', no "
                    "trailing '/', no '?', '#', '%' or '//')");
    return sipsso_set_srv_string(cmd, dummy, arg);
}

const char *sipsso_set_samesite(cmd_parms *cmd, void *dummy, const char *arg)
{
    if (strcasecmp(arg, "Lax") && strcasecmp(arg, "Strict") &&
        strcasecmp(arg, "None"))
        return fail(cmd, arg, "must be Lax, Strict or None");
    arg = strcasecmp(arg, "Lax") == 0 ? "Lax"
        : strcasecmp(arg, "Strict") == 0 ? "Strict" : "None";
    return sipsso_set_srv_string(cmd, dummy, arg);
}

static const char *idp_twice(cmd_parms *cmd, const char *arg,
                             const sipsso_where *w)
{
    return fail(cmd, arg, apr_psprintf(cmd->pool, "the IdP is configured "
        "twice in this scope (already by %s at line %d of %s); use either "
        "SipSSOIdPMetadataFile or the three values SipSSOIdPLoginURL, "
        "SipSSOIdPEntityID, SipSSOIdPCertificate", w->directive, w->line,
        w->file));
}

static void note_where(cmd_parms *cmd, sipsso_where *w)
{
    w->directive = cmd->cmd->name;
    w->file = cfg_file(cmd);
    w->line = cfg_line(cmd);
}

const char *sipsso_set_idp_metadata(cmd_parms *cmd, void *dummy, const char *arg)
{
    sipsso_srv_cfg *c = cfg_of(cmd);
    const char *path = ap_server_root_relative(cmd->pool, arg), *err;
    (void)dummy;
    if ((err = check_scope(cmd)) != NULL)
        return err;
    if (c->idp.metadata_file)
        return idp_twice(cmd, arg, &c->idp.metadata_where);
    if (c->idp.values_where.directive)
        return idp_twice(cmd, arg, &c->idp.values_where);
    if ((err = sipsso_idp_metadata_load(cmd->pool, path, &c->idp)) != NULL)
        return fail(cmd, arg, apr_pstrcat(cmd->pool, "the metadata file ",
                                          err, NULL));
    c->idp.metadata_file = path;
    c->idp.set = 1;
    note_where(cmd, &c->idp.metadata_where);
    return NULL;
}

const char *sipsso_set_idp_value(cmd_parms *cmd, void *dummy, const char *arg)
{
    (void)dummy;
    sipsso_srv_cfg *c = cfg_of(cmd);
    const char **slot = (const char **)((char *)&c->idp + (size_t)cmd->info);
    const char *err;

    if (c->idp.metadata_file)
        return idp_twice(cmd, arg, &c->idp.metadata_where);
    if (*slot)
        return fail(cmd, arg, "is given twice in this scope");
    if (strcmp(cmd->cmd->name, "SipSSOIdPEntityID") != 0 &&
        (err = check_url(cmd, arg)) != NULL)
        return err;
    if ((err = check_scope(cmd)) != NULL)
        return err;
    if (!*arg)
        return fail(cmd, arg, "must not be empty");
    *slot = arg;
    c->idp.set = 1;
    if (!c->idp.values_where.directive)
        note_where(cmd, &c->idp.values_where);
    return NULL;
}

const char *sipsso_set_idp_cert(cmd_parms *cmd, void *dummy, const char *arg)
{
    sipsso_srv_cfg *c = cfg_of(cmd);
    const char *path = ap_server_root_relative(cmd->pool, arg), *err;
    sipsso_cert cert;
    (void)dummy;
    if ((err = check_scope(cmd)) != NULL)
        return err;
    if (c->idp.metadata_file)
        return idp_twice(cmd, arg, &c->idp.metadata_where);
    if ((err = sipsso_cert_load_file(cmd->pool, path, &cert)) != NULL)
        return fail(cmd, arg, apr_pstrcat(cmd->pool, "the certificate file ",
                                          err, NULL));
    APR_ARRAY_PUSH(c->idp.certs, sipsso_cert) = cert;
    c->idp.set = 1;
    if (!c->idp.values_where.directive)
        note_where(cmd, &c->idp.values_where);
    return NULL;
}
