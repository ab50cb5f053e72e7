/* socache glue, modelled on mod_authn_socache: providers that are not
 * multi-process safe (shmcb) are wrapped in a global mutex. */
#include "store.h"
#include <http_log.h>
#include <ap_provider.h>
#include <util_mutex.h>
#include <apr_strings.h>
#include <string.h>

APLOG_USE_MODULE(sipsso);

static apr_status_t store_cleanup(void *data)
{
    sipsso_store *st = data;
    if (st->inst && st->provider)
        st->provider->destroy(st->inst, NULL);
    st->inst = NULL;
    return APR_SUCCESS;
}

const char *sipsso_store_create(apr_pool_t *p, const char *spec,
                                const char *mutex_id, sipsso_store **out)
{
    sipsso_store *st = apr_pcalloc(p, sizeof(*st));
    const char *colon = strchr(spec, ':'), *name, *arg, *err;

    name = colon ? apr_pstrmemdup(p, spec, (apr_size_t)(colon - spec)) : spec;
    arg = colon ? colon + 1 : NULL;
    st->provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                      AP_SOCACHE_PROVIDER_VERSION);
    if (st->provider == NULL)
        return apr_psprintf(p, "socache provider '%s' is not loaded (LoadModule "
                            "socache_%s_module)", name, name);
    if (strcmp(name, "shmcb") == 0 && (arg == NULL || !*arg))
        arg = apr_psprintf(p, "%s(%d)", ap_runtime_dir_relative(p,
                           apr_pstrcat(p, "sipsso_", mutex_id, NULL)),
                           SIPSSO_DEFAULT_SHMCB_SIZE);
    err = st->provider->create(&st->inst, arg, p, p);
    if (err)
        return apr_psprintf(p, "socache provider '%s': %s", name, err);
    st->spec = spec;
    st->mutex_id = mutex_id;
    apr_pool_cleanup_register(p, st, store_cleanup, apr_pool_cleanup_null);
    *out = st;
    return NULL;
}

const char *sipsso_store_init(sipsso_store *st, server_rec *s, apr_pool_t *p)
{
    struct ap_socache_hints hints = { 80, 1500, apr_time_from_sec(60) };
    apr_status_t rv;

    if (st->provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&st->mutex, NULL, SIPSSO_MUTEX_TYPE,
                                    st->mutex_id, s, p, 0);
        if (rv != APR_SUCCESS)
            return "cannot create the session store mutex";
    }
    rv = st->provider->init(st->inst, apr_pstrcat(p, "sipsso-", st->mutex_id,
                            NULL), &hints, s, p);
    if (rv != APR_SUCCESS)
        return apr_psprintf(p, "cannot initialise session store %s", st->spec);
    return NULL;
}

void sipsso_store_child_init(sipsso_store *st, server_rec *s, apr_pool_t *p)
{
    if (st->mutex &&
        apr_global_mutex_child_init(&st->mutex,
            apr_global_mutex_lockfile(st->mutex), p) != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "sipsso: cannot attach the session store mutex in a child");
}

static apr_status_t lock(sipsso_store *st)
{
    return st->mutex ? apr_global_mutex_lock(st->mutex) : APR_SUCCESS;
}

static void unlock(sipsso_store *st)
{
    if (st->mutex)
        apr_global_mutex_unlock(st->mutex);
}

apr_status_t sipsso_store_put(sipsso_store *st, server_rec *s, const char *key,
                              const char *val, apr_size_t len,
                              apr_time_t expiry, apr_pool_t *p)
{
    apr_status_t rv;
    if (len > SIPSSO_MAX_RECORD)
        return APR_ENOSPC;
    if ((rv = lock(st)) != APR_SUCCESS)
        return rv;
    rv = st->provider->store(st->inst, s, (const unsigned char *)key,
                             (unsigned int)strlen(key), expiry,
                             (unsigned char *)val, (unsigned int)len, p);
    unlock(st);
    return rv;
}

apr_status_t sipsso_store_get(sipsso_store *st, server_rec *s, const char *key,
                              char **val, apr_size_t *len, apr_pool_t *p)
{
    unsigned char *buf = apr_palloc(p, SIPSSO_MAX_RECORD + 1);
    unsigned int n = SIPSSO_MAX_RECORD;
    apr_status_t rv;

    *val = NULL;                        /* callers may look on failure */
    *len = 0;

    if ((rv = lock(st)) != APR_SUCCESS)
        return rv;
    rv = st->provider->retrieve(st->inst, s, (const unsigned char *)key,
                                (unsigned int)strlen(key), buf, &n, p);
    unlock(st);
    if (rv != APR_SUCCESS)
        return rv;
    buf[n] = '\0';
    *val = (char *)buf;
    *len = n;
    return APR_SUCCESS;
}

apr_status_t sipsso_store_del(sipsso_store *st, server_rec *s, const char *key,
                              apr_pool_t *p)
{
    apr_status_t rv;
    if ((rv = lock(st)) != APR_SUCCESS)
        return rv;
    rv = st->provider->remove(st->inst, s, (const unsigned char *)key,
                              (unsigned int)strlen(key), p);
    unlock(st);
    return rv;
}
