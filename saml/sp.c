/* Building the per-vhost SP.  All XML parsing and key loading happens here,
 * at startup; the request path only uses what this produced. */
#include "sp.h"
#include "idp_metadata.h"
#include "../util/util.h"
#include <apr_strings.h>
#include <lasso/debug.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/keys.h>
#include <xmlsec/crypto.h>
#include <string.h>
#include <stdlib.h>
#include <dlfcn.h>

/* httpd unloads and reloads modules between its two configuration passes.
 * glib's type registry survives that, so liblasso must too: otherwise the
 * reloaded lasso registers its GObject types a second time and fails.  It is
 * pinned in memory once, and initialised once per process. */
static int lasso_pinned(void)
{
    void *h = dlopen("liblasso.so.3", RTLD_NOW | RTLD_NODELETE | RTLD_NOLOAD);
    if (h == NULL)
        h = dlopen("liblasso.so.3", RTLD_NOW | RTLD_NODELETE);
    return h != NULL;
}

const char *sipsso_lasso_init(void)
{
    static const char *const env = "SIPSSO_LASSO_INITIALISED";
    if (getenv(env) == NULL) {
        if (!lasso_pinned())
            return "cannot pin liblasso.so.3 in memory";
        if (lasso_init() != 0)
            return "lasso_init() failed";
        setenv(env, "1", 1);
    }
    /* lasso_log() formats the local time for each of its debug messages
     * (about 90 per response, logged or not), and with TZ unset glibc's
     * localtime() stats /etc/localtime every time: a fifth of a sign-in.
     * ":/etc/localtime" is the same zone, read once. */
    if (getenv("TZ") == NULL)
        setenv("TZ", ":/etc/localtime", 0);
    /* LASSO_FLAG=no-verify-signature in httpd's environment would silently
     * turn lasso's signature checks off; we never allow that. */
    lasso_flag_verify_signature = TRUE;
    return NULL;
}

static apr_status_t sp_cleanup(void *data)
{
    sipsso_sp *sp = data;
    int i;
    if (sp->server) {
        lasso_server_destroy(sp->server);
        sp->server = NULL;
    }
    for (i = 0; sp->idp_keys && i < sp->idp_keys->nelts; i++)
        xmlSecKeyDestroy(APR_ARRAY_IDX(sp->idp_keys, i, xmlSecKeyPtr));
    if (sp->idp_keys)
        sp->idp_keys->nelts = 0;
    return APR_SUCCESS;
}

static const char *load_idp_keys(apr_pool_t *p, sipsso_sp *sp)
{
    int i;
    sp->idp_keys = apr_array_make(p, sp->idp->certs->nelts, sizeof(xmlSecKeyPtr));
    for (i = 0; i < sp->idp->certs->nelts; i++) {
        const sipsso_cert *c = &APR_ARRAY_IDX(sp->idp->certs, i, sipsso_cert);
        xmlSecKeyPtr key = xmlSecCryptoAppKeyLoadMemory(
            c->der, (xmlSecSize)c->der_len, xmlSecKeyDataFormatCertDer,
            NULL, NULL, NULL);
        if (key == NULL)
            return apr_psprintf(p, "the public key of certificate %s (%s) "
                                "cannot be used", c->thumbprint, c->source);
        APR_ARRAY_PUSH(sp->idp_keys, xmlSecKeyPtr) = key;
    }
    return NULL;
}

/* lasso gives each provider an xmlsec key manager whose X509 store loads
 * OpenSSL's default CA bundle: ~15 ms per SP, twice per start, so 1,000
 * virtual hosts took 30 s.  No CA is ever consulted (the IdP certificates
 * are pinned and signatures checked with them directly), so point OpenSSL
 * at an empty bundle for the call.  post_config runs single-threaded. */
static int add_idp_without_system_cas(LassoServer *server, const char *idp_md)
{
    const char *names[2] = { "SSL_CERT_FILE", "SSL_CERT_DIR" };
    const char *values[2] = { "/dev/null", "/nonexistent" };
    char *saved[2];
    int i, rc;

    for (i = 0; i < 2; i++) {
        const char *v = getenv(names[i]);
        saved[i] = v ? strdup(v) : NULL;
        setenv(names[i], values[i], 1);
    }
    rc = lasso_server_add_provider_from_buffer(server, LASSO_PROVIDER_ROLE_IDP,
                                               idp_md, NULL, NULL);
    for (i = 0; i < 2; i++) {
        if (saved[i])
            setenv(names[i], saved[i], 1);
        else
            unsetenv(names[i]);
        free(saved[i]);
    }
    return rc;
}

const char *sipsso_sp_build(apr_pool_t *p, sipsso_sp *sp,
                            const char *key_pem, const char *cert_pem)
{
    const char *err, *idp_md;
    int rc;

    if ((err = sipsso_lasso_init()) != NULL)
        return err;
    sp->signs_requests = key_pem != NULL;
    sp->sp_metadata = sipsso_sp_metadata_xml(p, sp->entity_id, sp->acs_url,
                                             sp->sls_url, sp->sp_cert_b64);
    apr_pool_cleanup_register(p, sp, sp_cleanup, apr_pool_cleanup_null);
    sp->server = lasso_server_new_from_buffers(sp->sp_metadata, key_pem,
                                               NULL, cert_pem);
    if (sp->server != NULL)             /* lasso's default is RSA-SHA1 */
        sp->server->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
    if (sp->server == NULL)
        return "lasso could not build the SP from its metadata and key pair "
               "(is the SP private key a PEM RSA key matching the certificate?)";
    idp_md = sipsso_idp_metadata_for_lasso(p, sp->idp);
    rc = add_idp_without_system_cas(sp->server, idp_md);
    if (rc != 0)
        return apr_psprintf(p, "lasso refused the IdP: %s", lasso_strerror(rc));
    return load_idp_keys(p, sp);
}
