/* Sessions in the store.  The store key is a hash of the cookie value under
 * this virtual host's namespace: another vhost's cookie finds nothing, and
 * a dump of the store yields no usable cookie. */
#include "state.h"
#include "store.h"
#include <http_log.h>
#include <apr_strings.h>
#include <apr_random.h>
#include <apr_general.h>
#include <string.h>

APLOG_USE_MODULE(sipsso);

const char *sipsso_random_token(apr_pool_t *p, apr_size_t bytes)
{
    unsigned char buf[64];
    if (bytes > sizeof(buf) || apr_generate_random_bytes(buf, bytes) != APR_SUCCESS)
        return NULL;
    return sipsso_b64url_encode(p, buf, bytes);
}

static const char *session_key(apr_pool_t *p, sipsso_srv_cfg *c, const char *id)
{
    return apr_pstrcat(p, c->store_ns, ":s:", sipsso_sha256_hex(p, id, strlen(id)),
                       NULL);
}

apr_status_t sipsso_session_remove_hash(request_rec *r, sipsso_srv_cfg *c,
                                        const char *id_hash)
{
    return sipsso_store_del(c->store, r->server,
                            apr_pstrcat(r->pool, c->store_ns, ":s:", id_hash,
                                        NULL), r->pool);
}

apr_status_t sipsso_session_load(request_rec *r, sipsso_srv_cfg *c,
                                 const char *id, sipsso_session **out)
{
    char *buf;
    apr_size_t len;
    const char *err;
    sipsso_session *s = apr_pcalloc(r->pool, sizeof(*s));
    apr_status_t rv = sipsso_store_get_cached(c->store, r->server,
                                       session_key(r->pool, c, id), &buf, &len,
                                       r->pool);
    if (rv != APR_SUCCESS)
        return rv;
    if ((err = sipsso_session_decode(r->pool, buf, len, s)) != NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "sipsso: ignoring a damaged session record: %s", err);
        return APR_NOTFOUND;
    }
    s->id = id;
    *out = s;
    return APR_SUCCESS;
}

apr_status_t sipsso_session_save(request_rec *r, sipsso_srv_cfg *c,
                                 const sipsso_session *s)
{
    apr_size_t len;
    char *rec = sipsso_session_encode(r->pool, s, &len);
    return sipsso_store_put(c->store, r->server, session_key(r->pool, c, s->id),
                            rec, len, s->expires, r->pool);
}

apr_status_t sipsso_session_remove(request_rec *r, sipsso_srv_cfg *c,
                                   const char *id)
{
    return sipsso_store_del(c->store, r->server, session_key(r->pool, c, id),
                            r->pool);
}
