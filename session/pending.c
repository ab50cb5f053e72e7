/* Outstanding AuthnRequests.  The RelayState sent to the IdP is only a
 * random key into this record: the return URL never travels, so it cannot
 * be tampered with or leak, and the request is bound to the browser that
 * started it through a hash of its binding cookie. */
#include "state.h"
#include "store.h"
#include <apr_strings.h>
#include <string.h>

static const char *pending_key(apr_pool_t *p, sipsso_srv_cfg *c, char kind,
                               const char *relay)
{
    return apr_psprintf(p, "%s:%c:%s", c->store_ns, kind, relay);
}

apr_status_t sipsso_pending_put(request_rec *r, sipsso_srv_cfg *c, char kind,
                                const char *relay, const sipsso_pending *pd)
{
    char *rec = apr_pstrcat(r->pool, sipsso_escape_value(r->pool, pd->request_id),
                            "\n", pd->binding_hash, "\n",
                            sipsso_escape_value(r->pool, pd->return_to), "\n",
                            NULL);
    return sipsso_store_put(c->store, r->server, pending_key(r->pool, c, kind, relay),
                            rec, strlen(rec),
                            r->request_time + apr_time_from_sec(SIPSSO_PENDING_TTL),
                            r->pool);
}

apr_status_t sipsso_pending_take(request_rec *r, sipsso_srv_cfg *c, char kind,
                                 const char *relay, sipsso_pending **out)
{
    const char *key = pending_key(r->pool, c, kind, relay);
    char *buf, *state = NULL, *a, *b, *d;
    apr_size_t len;
    apr_status_t rv = sipsso_store_get(c->store, r->server, key, &buf, &len,
                                       r->pool);
    sipsso_pending *pd;

    if (rv != APR_SUCCESS)
        return rv;
    /* The delete is the claim: atomic in every store, so of two requests
     * racing with the same RelayState (one cluster node each, say) only
     * one gets APR_SUCCESS; the other sees NOTFOUND, as for a reuse. */
    rv = sipsso_store_del(c->store, r->server, key, r->pool);
    if (rv != APR_SUCCESS)
        return rv;
    a = apr_strtok(buf, "\n", &state);
    b = apr_strtok(NULL, "\n", &state);
    d = apr_strtok(NULL, "\n", &state);
    if (!a || !b || !d)
        return APR_NOTFOUND;
    pd = apr_palloc(r->pool, sizeof(*pd));
    pd->request_id = sipsso_unescape_value(r->pool, a);
    pd->binding_hash = b;
    pd->return_to = sipsso_unescape_value(r->pool, d);
    if (pd->request_id == NULL || pd->return_to == NULL)
        return APR_NOTFOUND;
    *out = pd;
    return APR_SUCCESS;
}
