/* Configuration records.  Server (virtual host) config holds one SP and its
 * IdP; directory config holds what differs per location. */
#ifndef SIPSSO_CONFIG_H
#define SIPSSO_CONFIG_H

#include <httpd.h>
#include <http_config.h>
#include <apr_tables.h>

#define SIPSSO_UNSET (-1)
#define SIPSSO_AUTH_TYPE "SipSSO"

struct sipsso_sp;     /* saml/sp.h: the built SP (LassoServer, keys) */
struct sipsso_store;  /* session/store.h: the socache instance */

/* Where a directive was given, for startup errors that name it. */
typedef struct {
    const char *directive;
    const char *file;
    int line;
} sipsso_where;

/* An IdP signing certificate, loaded and checked when its directive is read. */
typedef struct {
    const unsigned char *der;
    apr_size_t der_len;
    const char *b64;         /* DER as one base64 line, for metadata */
    const char *thumbprint;  /* SHA-1, upper-case hex, as Entra shows */
    const char *subject;
    apr_time_t not_before, not_after;
    const char *source;      /* file it came from */
} sipsso_cert;

/* The IdP as the admin described it, by metadata or by Entra's three
 * values.  Exactly one style per virtual host. */
typedef struct {
    const char *entity_id;
    const char *login_url;
    const char *logout_url;
    apr_array_header_t *certs;          /* sipsso_cert */
    const char *metadata_file;
    sipsso_where metadata_where;
    sipsso_where values_where;          /* first of the three-value directives */
    int set;                            /* any IdP directive in this scope */
} sipsso_idp_cfg;

typedef struct {
    server_rec *s;
    const char *entity_id;
    const char *endpoint_path;
    const char *base_url;
    sipsso_idp_cfg idp;
    const char *sp_key_file, *sp_cert_file;
    const char *cache_spec;
    int session_max_age;
    int session_idle_timeout;
    const char *cookie_name, *cookie_domain, *cookie_path, *cookie_samesite;
    int clock_skew;
    int allow_idp_initiated;
    const char *default_url;
    int allow_sha1;
    int configured;                     /* any SipSSO server directive */
    const char *config_error;           /* deferred error for post_config */

    /* built at post_config */
    struct sipsso_sp *sp;
    struct sipsso_store *store;
    const char *acs_url, *sls_url, *external_base;
    const char *store_ns;               /* key prefix: vhosts never share keys */
    int secure_cookie;
} sipsso_srv_cfg;

typedef struct {
    const char *user_attribute;         /* "NameID" or a claim */
    apr_table_t *claim_aliases;         /* URI -> short */
    int passive;
    int request_headers;
    const char *header_prefix;
    int force_authn;
} sipsso_dir_cfg;

extern module AP_MODULE_DECLARE_DATA sipsso_module;

void *sipsso_create_server_config(apr_pool_t *p, server_rec *s);
void *sipsso_merge_server_config(apr_pool_t *p, void *base, void *add);
void *sipsso_create_dir_config(apr_pool_t *p, char *dir);
void *sipsso_merge_dir_config(apr_pool_t *p, void *base, void *add);

sipsso_srv_cfg *sipsso_srv(server_rec *s);
sipsso_dir_cfg *sipsso_dir(request_rec *r);

/* Effective values with defaults applied. */
int sipsso_cfg_max_age(const sipsso_srv_cfg *c);
int sipsso_cfg_idle_timeout(const sipsso_srv_cfg *c);
int sipsso_cfg_clock_skew(const sipsso_srv_cfg *c);
const char *sipsso_cfg_cookie_name(const sipsso_srv_cfg *c);
const char *sipsso_cfg_endpoint(const sipsso_srv_cfg *c);

/* "the virtual host at FILE:LINE (name:port)" for log lines. */
const char *sipsso_vhost_desc(apr_pool_t *p, server_rec *s);

/* Directive handlers (config/directives_srv.c, config/directives_dir.c). */
const char *sipsso_set_srv_string(cmd_parms *cmd, void *dummy, const char *arg);
const char *sipsso_set_srv_flag(cmd_parms *cmd, void *dummy, int flag);
const char *sipsso_set_srv_int(cmd_parms *cmd, void *dummy, const char *arg);
const char *sipsso_set_idp_metadata(cmd_parms *cmd, void *dummy, const char *arg);
const char *sipsso_set_idp_value(cmd_parms *cmd, void *dummy, const char *arg);
const char *sipsso_set_idp_cert(cmd_parms *cmd, void *dummy, const char *arg);
const char *sipsso_set_samesite(cmd_parms *cmd, void *dummy, const char *arg);
const char *sipsso_set_endpoint_path(cmd_parms *cmd, void *dummy, const char *arg);
const char *sipsso_set_url(cmd_parms *cmd, void *dummy, const char *arg);
const char *sipsso_set_default_url(cmd_parms *cmd, void *dummy, const char *arg);
const char *sipsso_set_user_attribute(cmd_parms *cmd, void *dcfg, const char *arg);
const char *sipsso_set_claim_alias(cmd_parms *cmd, void *dcfg, const char *uri, const char *s);
const char *sipsso_set_header_prefix(cmd_parms *cmd, void *dcfg, const char *arg);

/* Startup validation and building of each virtual host's SP. */
int sipsso_config_post(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);
void sipsso_config_child_init(apr_pool_t *p, server_rec *s);

#endif
