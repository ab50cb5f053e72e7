/* Creating and merging configuration the httpd way: a virtual host
 * inherits what it does not set, except the IdP, which is taken whole from
 * one scope so two IdPs can never be mixed. */
#include "config.h"
#include <apr_strings.h>

#define MERGE_PTR(f) (add->f ? add->f : base->f)
#define MERGE_INT(f) (add->f != SIPSSO_UNSET ? add->f : base->f)

void *sipsso_create_server_config(apr_pool_t *p, server_rec *s)
{
    sipsso_srv_cfg *c = apr_pcalloc(p, sizeof(*c));
    c->s = s;
    c->idp.certs = apr_array_make(p, 2, sizeof(sipsso_cert));
    c->session_max_age = SIPSSO_UNSET;
    c->session_idle_timeout = SIPSSO_UNSET;
    c->clock_skew = SIPSSO_UNSET;
    c->allow_idp_initiated = SIPSSO_UNSET;
    c->allow_sha1 = SIPSSO_UNSET;
    return c;
}

void *sipsso_merge_server_config(apr_pool_t *p, void *basev, void *addv)
{
    sipsso_srv_cfg *base = basev, *add = addv;
    sipsso_srv_cfg *c = apr_pcalloc(p, sizeof(*c));

    c->s = add->s;
    c->entity_id = MERGE_PTR(entity_id);
    c->endpoint_path = MERGE_PTR(endpoint_path);
    c->base_url = MERGE_PTR(base_url);
    c->idp = add->idp.set ? add->idp : base->idp;
    c->sp_key_file = MERGE_PTR(sp_key_file);
    c->sp_cert_file = MERGE_PTR(sp_cert_file);
    c->cache_spec = MERGE_PTR(cache_spec);
    c->session_max_age = MERGE_INT(session_max_age);
    c->session_idle_timeout = MERGE_INT(session_idle_timeout);
    c->cookie_name = MERGE_PTR(cookie_name);
    c->cookie_domain = MERGE_PTR(cookie_domain);
    c->cookie_path = MERGE_PTR(cookie_path);
    c->cookie_samesite = MERGE_PTR(cookie_samesite);
    c->clock_skew = MERGE_INT(clock_skew);
    c->allow_idp_initiated = MERGE_INT(allow_idp_initiated);
    c->default_url = MERGE_PTR(default_url);
    c->allow_sha1 = MERGE_INT(allow_sha1);
    c->configured = add->configured || base->configured;
    c->config_error = MERGE_PTR(config_error);
    return c;
}

void *sipsso_create_dir_config(apr_pool_t *p, char *dir)
{
    sipsso_dir_cfg *d = apr_pcalloc(p, sizeof(*d));
    (void)dir;
    d->claim_aliases = apr_table_make(p, 2);
    d->passive = SIPSSO_UNSET;
    d->request_headers = SIPSSO_UNSET;
    d->force_authn = SIPSSO_UNSET;
    return d;
}

void *sipsso_merge_dir_config(apr_pool_t *p, void *basev, void *addv)
{
    sipsso_dir_cfg *base = basev, *add = addv;
    sipsso_dir_cfg *d = apr_pcalloc(p, sizeof(*d));
    d->user_attribute = MERGE_PTR(user_attribute);
    d->claim_aliases = apr_table_overlay(p, base->claim_aliases,
                                         add->claim_aliases);
    d->passive = MERGE_INT(passive);
    d->request_headers = MERGE_INT(request_headers);
    d->header_prefix = MERGE_PTR(header_prefix);
    d->force_authn = MERGE_INT(force_authn);
    return d;
}

sipsso_srv_cfg *sipsso_srv(server_rec *s)
{
    return ap_get_module_config(s->module_config, &sipsso_module);
}

sipsso_dir_cfg *sipsso_dir(request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &sipsso_module);
}

int sipsso_cfg_max_age(const sipsso_srv_cfg *c)
{
    return c->session_max_age != SIPSSO_UNSET ? c->session_max_age : 8 * 3600;
}

int sipsso_cfg_idle_timeout(const sipsso_srv_cfg *c)
{
    return c->session_idle_timeout != SIPSSO_UNSET ? c->session_idle_timeout : 0;
}

int sipsso_cfg_clock_skew(const sipsso_srv_cfg *c)
{
    return c->clock_skew != SIPSSO_UNSET ? c->clock_skew : 180;
}

const char *sipsso_cfg_cookie_name(const sipsso_srv_cfg *c)
{
    return c->cookie_name ? c->cookie_name : "sipsso";
}

const char *sipsso_cfg_endpoint(const sipsso_srv_cfg *c)
{
    return c->endpoint_path ? c->endpoint_path : "/sipsso";
}

const char *sipsso_vhost_desc(apr_pool_t *p, server_rec *s)
{
    if (!s->is_virtual)
        return apr_psprintf(p, "the main server (%s)",
                            s->server_hostname ? s->server_hostname : "?");
    return apr_psprintf(p, "the virtual host %s:%u defined at %s:%d",
                        s->server_hostname ? s->server_hostname : "?",
                        s->port, s->defn_name ? s->defn_name : "?",
                        s->defn_line_number);
}
