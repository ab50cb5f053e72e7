/* post_config: every virtual host that uses SipSSO is checked and its SP is
 * built once.  A wrong configuration stops httpd with one line naming the
 * directive, the file and the virtual host. */
#include "config.h"
#include "../saml/sp.h"
#include "../saml/cert.h"
#include "../session/store.h"
#include "../util/util.h"
#include <http_log.h>
#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_uri.h>
#include <string.h>

APLOG_USE_MODULE(sipsso);

static apr_hash_t *stores;             /* spec -> sipsso_store, this generation */

/* The main server has no <VirtualHost> line to point at: name the file
 * where its SipSSO configuration was found instead. */
static const char *where_configured(apr_pool_t *p, server_rec *s)
{
    const sipsso_srv_cfg *c = sipsso_srv(s);
    const sipsso_where *w = c->idp.metadata_where.file ? &c->idp.metadata_where
                                                       : &c->idp.values_where;
    if (s->is_virtual || !w->file)
        return "";
    return apr_psprintf(p, " (SipSSO configured at line %d of %s)", w->line,
                        w->file);
}

static int startup_error(server_rec *s, apr_pool_t *p, const char *msg)
{
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "sipsso: %s in %s%s",
                 msg, sipsso_vhost_desc(p, s), where_configured(p, s));
    return HTTP_INTERNAL_SERVER_ERROR;
}

static const char *external_base(apr_pool_t *p, sipsso_srv_cfg *c, server_rec *s)
{
    const char *scheme, *host = s->server_hostname ? s->server_hostname : "localhost";
    apr_port_t port = s->port ? s->port
                    : (s->addrs ? s->addrs->host_port : 0), dflt;
    apr_size_t n;

    if (c->base_url) {
        n = strlen(c->base_url);
        return n && c->base_url[n - 1] == '/'
            ? apr_pstrndup(p, c->base_url, n - 1) : c->base_url;
    }
    scheme = s->server_scheme ? s->server_scheme : (port == 443 ? "https" : "http");
    dflt = strcmp(scheme, "https") == 0 ? 443 : 80;
    if (port == 0 || port == dflt)
        return apr_psprintf(p, "%s://%s", scheme, host);
    return apr_psprintf(p, "%s://%s:%u", scheme, host, port);
}

static const char *read_pem(apr_pool_t *p, const char *path, const char **out)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n;
    char *buf;
    if (path == NULL) {
        *out = NULL;
        return NULL;
    }
    if (apr_file_open(&f, path, APR_READ, 0, p) != APR_SUCCESS ||
        apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS ||
        fi.size > 65536)
        return apr_psprintf(p, "cannot read %s", path);
    n = (apr_size_t)fi.size;
    buf = apr_pcalloc(p, n + 1);
    apr_file_read_full(f, buf, n, &n);
    apr_file_close(f);
    *out = buf;
    return NULL;
}

static const char *check_idp(apr_pool_t *p, sipsso_srv_cfg *c)
{
    const sipsso_idp_cfg *idp = &c->idp;
    if (!idp->set)
        return "no IdP is configured: set SipSSOIdPMetadataFile, or "
               "SipSSOIdPLoginURL, SipSSOIdPEntityID and SipSSOIdPCertificate";
    if (idp->metadata_file)
        return NULL;
    if (!idp->login_url)
        return apr_psprintf(p, "SipSSOIdPLoginURL is missing (the IdP is "
                            "configured by %s at line %d of %s)",
                            idp->values_where.directive, idp->values_where.line,
                            idp->values_where.file);
    if (!idp->entity_id)
        return apr_psprintf(p, "SipSSOIdPEntityID is missing (the IdP is "
                            "configured by %s at line %d of %s)",
                            idp->values_where.directive, idp->values_where.line,
                            idp->values_where.file);
    if (idp->certs->nelts == 0)
        return apr_psprintf(p, "SipSSOIdPCertificate is missing: without the "
                            "IdP's signing certificate no response can be "
                            "verified (the IdP is configured by %s at line %d "
                            "of %s)", idp->values_where.directive,
                            idp->values_where.line, idp->values_where.file);
    return NULL;
}

static const char *build_sp(apr_pool_t *p, sipsso_srv_cfg *c)
{
    sipsso_sp *sp = apr_pcalloc(p, sizeof(*sp));
    const char *key = NULL, *cert = NULL, *err;
    sipsso_cert spc;

    if ((c->sp_key_file == NULL) != (c->sp_cert_file == NULL))
        return "SipSSOSPPrivateKeyFile and SipSSOSPCertificateFile must be "
               "given together";
    if ((err = read_pem(p, c->sp_key_file, &key)) ||
        (err = read_pem(p, c->sp_cert_file, &cert)))
        return err;
    if (cert) {
        if ((err = sipsso_cert_from_buffer(p, cert, strlen(cert),
                                           c->sp_cert_file, &spc)) != NULL)
            return apr_psprintf(p, "SipSSOSPCertificateFile %s %s",
                                c->sp_cert_file, err);
        sp->sp_cert_b64 = spc.b64;
    }
    sp->entity_id = c->entity_id;
    sp->acs_url = c->acs_url;
    sp->sls_url = c->sls_url;
    sp->idp = &c->idp;
    sp->clock_skew = sipsso_cfg_clock_skew(c);
    sp->allow_idp_initiated = c->allow_idp_initiated == 1;
    sp->allow_sha1 = c->allow_sha1 == 1;
    if ((err = sipsso_sp_build(p, sp, key, cert)) != NULL)
        return err;
    c->sp = sp;
    return NULL;
}

static const char *attach_store(apr_pool_t *p, server_rec *s, sipsso_srv_cfg *c)
{
    const char *spec = c->cache_spec ? c->cache_spec : "shmcb", *err;
    sipsso_store *st = apr_hash_get(stores, spec, APR_HASH_KEY_STRING);

    if (st == NULL) {
        const char *id = apr_psprintf(p, "%u", apr_hash_count(stores));
        if ((err = sipsso_store_open(p, s, spec, id, &st)) != NULL)
            return apr_psprintf(p, "SipSSOSessionCache %s: %s", spec, err);
        apr_hash_set(stores, spec, APR_HASH_KEY_STRING, st);
    }
    c->store = st;
    return NULL;
}

static int setup_vhost(apr_pool_t *p, server_rec *s, sipsso_srv_cfg *c)
{
    const char *err;

    if (c->config_error)
        return startup_error(s, p, c->config_error);
    if (!c->entity_id)
        return startup_error(s, p, "SipSSOEntityID is missing (the SP's "
                             "Identifier, as entered in Entra)");
    if ((err = check_idp(p, c)) != NULL)
        return startup_error(s, p, err);
    c->external_base = external_base(p, c, s);
    c->secure_cookie = strncasecmp(c->external_base, "https:", 6) == 0;
    c->acs_url = apr_pstrcat(p, c->external_base, sipsso_cfg_endpoint(c), "/acs", NULL);
    c->sls_url = apr_pstrcat(p, c->external_base, sipsso_cfg_endpoint(c), "/sls", NULL);
    c->store_ns = apr_pstrcat(p, "sipsso:", apr_pstrndup(p, sipsso_sha256_hex(p,
        apr_pstrcat(p, c->entity_id, "|", c->acs_url, NULL),
        strlen(c->entity_id) + strlen(c->acs_url) + 1), 16), NULL);
    if ((err = build_sp(p, c)) != NULL || (err = attach_store(p, s, c)) != NULL)
        return startup_error(s, p, err);
    if (c->cookie_samesite && strcmp(c->cookie_samesite, "None") == 0 &&
        !c->secure_cookie)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "sipsso: SipSSOCookieSameSite "
                     "None without https: browsers drop such cookies");
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "sipsso: SP %s, ACS %s, IdP %s "
                 "(%d signing certificate(s))", c->entity_id, c->acs_url,
                 c->idp.entity_id, c->idp.certs->nelts);
    return OK;
}

int sipsso_config_post(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    int rc;
    (void)ptemp;
    stores = apr_hash_make(pconf);
    for (; s; s = s->next) {
        sipsso_srv_cfg *c = sipsso_srv(s);
        /* A vhost is an SP once it names an entity ID or an IdP; global
         * settings alone (a shared SipSSOSessionCache) do not make one. */
        if (!c->entity_id && !c->idp.set)
            continue;
        if ((rc = setup_vhost(pconf, s, c)) != OK)
            return rc;
    }
    return OK;
}

void sipsso_config_child_init(apr_pool_t *p, server_rec *s)
{
    apr_hash_index_t *hi;
    for (hi = apr_hash_first(p, stores); hi; hi = apr_hash_next(hi)) {
        void *v;
        apr_hash_this(hi, NULL, NULL, &v);
        sipsso_store_child_init(v, s, p);
    }
}
