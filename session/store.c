/* socache glue, modelled on mod_authn_socache: providers that are not
 * multi-process safe (shmcb) are wrapped in a global mutex; a second one
 * serialises read-modify-write sections for every provider.  Lock order:
 * section first, then the per-call mutex; calls never take the section. */
#include "store.h"
#include <http_log.h>
#include <ap_provider.h>
#include <util_mutex.h>
#include <apr_strings.h>
#include <openssl/sha.h>
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

/* A shmcb segment lives in this process's memory.  Kept in the process pool
 * (with its mutexes, so that old and new children exclude each other) it
 * outlives a graceful restart: the parent keeps running and new children
 * inherit the mapping, so sessions survive.  Found again by its spec;
 * module globals do not help, since httpd reloads DSOs on restart. */
typedef struct {
    ap_socache_instance_t *inst;
    apr_global_mutex_t *mutex, *section;
} kept_store;

static const char *kept_key(apr_pool_t *p, const char *name, const char *arg)
{
    return apr_pstrcat(p, "sipsso-store:", name, ":", arg ? arg : "", NULL);
}

static const char *create_mutexes(sipsso_store *st, server_rec *s, apr_pool_t *p)
{
    apr_status_t rv;
    if (st->provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&st->mutex, NULL, SIPSSO_MUTEX_TYPE,
                                    st->mutex_id, s, p, 0);
        if (rv != APR_SUCCESS)
            return "cannot create the session store mutex";
    }
    rv = ap_global_mutex_create(&st->section, NULL, SIPSSO_MUTEX_TYPE,
                                apr_pstrcat(p, st->mutex_id, "w", NULL), s, p, 0);
    return rv == APR_SUCCESS ? NULL
                             : "cannot create the session store section mutex";
}

static const char *init_instance(sipsso_store *st, const char *name,
                                 const char *arg, server_rec *s, apr_pool_t *p,
                                 int kept)
{
    struct ap_socache_hints hints = { SIPSSO_HINT_ID_LEN, SIPSSO_HINT_OBJ_SIZE,
                                      apr_time_from_sec(60) };
    const char *err = st->provider->create(&st->inst, arg, p, p);

    if (err)
        return apr_psprintf(p, "socache provider '%s': %s", name, err);
    /* A kept instance is freed by APR's own cleanup of its segment: its
     * provider's code may be unloaded by the time the process pool goes. */
    if (!kept)
        apr_pool_cleanup_register(p, st, store_cleanup, apr_pool_cleanup_null);
    if ((err = create_mutexes(st, s, p)) != NULL)
        return err;
    if (st->provider->init(st->inst, apr_pstrcat(p, "sipsso-", st->mutex_id,
                           NULL), &hints, s, p) != APR_SUCCESS)
        return apr_psprintf(p, "cannot initialise session store %s", st->spec);
    return NULL;
}

const char *sipsso_store_open(apr_pool_t *p, server_rec *s, const char *spec,
                              const char *mutex_id, sipsso_store **out)
{
    sipsso_store *st = apr_pcalloc(p, sizeof(*st));
    const char *colon = strchr(spec, ':'), *name, *arg, *err, *key;
    apr_pool_t *pp = s->process->pool;
    kept_store *k = NULL;

    name = colon ? apr_pstrmemdup(p, spec, (apr_size_t)(colon - spec)) : spec;
    arg = colon ? colon + 1 : NULL;
    st->provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                      AP_SOCACHE_PROVIDER_VERSION);
    if (st->provider == NULL)
        return apr_psprintf(p, "socache provider '%s' is not loaded: add "
                            "\"LoadModule socache_%s_module "
                            "modules/mod_socache_%s.so\" (on Debian: a2enmod "
                            "socache_%s)", name, name, name, name);
    st->spec = spec;
    st->mutex_id = mutex_id;
    if (strcmp(name, "shmcb") != 0) {
        if ((err = init_instance(st, name, arg, s, p, 0)) != NULL)
            return err;
        *out = st;
        return NULL;
    }
    if (arg == NULL || !*arg)
        arg = apr_psprintf(p, "%s(%d)", ap_runtime_dir_relative(p,
                           apr_pstrcat(p, "sipsso_", mutex_id, NULL)),
                           SIPSSO_DEFAULT_SHMCB_SIZE);
    key = kept_key(p, name, arg);
    apr_pool_userdata_get((void **)&k, key, pp);
    if (k == NULL) {                    /* everything in pp: it must outlive p */
        sipsso_store *ks = apr_pcalloc(pp, sizeof(*ks));
        ks->provider = st->provider;
        ks->spec = apr_pstrdup(pp, spec);
        ks->mutex_id = apr_pstrdup(pp, mutex_id);
        if ((err = init_instance(ks, name, apr_pstrdup(pp, arg), s, pp, 1)) != NULL)
            return err;
        k = apr_palloc(pp, sizeof(*k));
        k->inst = ks->inst;
        k->mutex = ks->mutex;
        k->section = ks->section;
        apr_pool_userdata_set(k, apr_pstrdup(pp, key), apr_pool_cleanup_null, pp);
    }
    st->inst = k->inst;
    st->mutex = k->mutex;
    st->section = k->section;
    *out = st;
    return NULL;
}

static void attach(apr_global_mutex_t **m, server_rec *s, apr_pool_t *p)
{
    if (*m && apr_global_mutex_child_init(m, apr_global_mutex_lockfile(*m), p)
               != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "sipsso: cannot attach the session store mutex in a child");
}

void sipsso_store_child_init(sipsso_store *st, server_rec *s, apr_pool_t *p)
{
    attach(&st->mutex, s, p);
    attach(&st->section, s, p);
}

/* What the provider sees as the id: a digest of our readable key.  shmcb
 * picks a subcache from an id's first byte (it expects random TLS session
 * ids), so readable keys, which all begin alike, would crowd one of its 256
 * subcaches; a digest spreads them, and is shorter.  memcache and redis
 * hex-encode it. */
typedef struct {
    unsigned char b[SIPSSO_WIRE_KEY_LEN];
} wire_key;

static wire_key to_wire(const char *key)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    wire_key w;
    SHA256((const unsigned char *)key, strlen(key), md);
    memcpy(w.b, md, sizeof(w.b));
    return w;
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
    wire_key w = to_wire(key);
    apr_status_t rv;
    if (len > SIPSSO_MAX_RECORD)
        return APR_ENOSPC;
    if ((rv = lock(st)) != APR_SUCCESS)
        return rv;
    rv = st->provider->store(st->inst, s, w.b, sizeof(w.b), expiry,
                             (unsigned char *)val, (unsigned int)len, p);
    unlock(st);
    return rv;
}

apr_status_t sipsso_store_get(sipsso_store *st, server_rec *s, const char *key,
                              char **val, apr_size_t *len, apr_pool_t *p)
{
    unsigned char *buf = apr_palloc(p, SIPSSO_MAX_RECORD + 1);
    unsigned int n = SIPSSO_MAX_RECORD;
    wire_key w = to_wire(key);
    apr_status_t rv;

    *val = NULL;                        /* callers may look on failure */
    *len = 0;

    if ((rv = lock(st)) != APR_SUCCESS)
        return rv;
    rv = st->provider->retrieve(st->inst, s, w.b, sizeof(w.b), buf, &n, p);
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
    wire_key w = to_wire(key);
    apr_status_t rv;
    if ((rv = lock(st)) != APR_SUCCESS)
        return rv;
    rv = st->provider->remove(st->inst, s, w.b, sizeof(w.b), p);
    unlock(st);
    return rv;
}

apr_status_t sipsso_store_begin(sipsso_store *st)
{
    return st->section ? apr_global_mutex_lock(st->section) : APR_SUCCESS;
}

void sipsso_store_end(sipsso_store *st)
{
    if (st->section)
        apr_global_mutex_unlock(st->section);
}

apr_status_t sipsso_store_add(sipsso_store *st, server_rec *s, const char *key,
                              const char *val, apr_size_t len,
                              apr_time_t expiry, apr_pool_t *p)
{
    char *old;
    apr_size_t oldlen;
    apr_status_t rv = sipsso_store_begin(st);

    if (rv != APR_SUCCESS)
        return rv;
    rv = sipsso_store_get(st, s, key, &old, &oldlen, p);
    if (rv == APR_SUCCESS)
        rv = APR_EEXIST;
    else if (rv == APR_NOTFOUND)
        rv = sipsso_store_put(st, s, key, val, len, expiry, p);
    sipsso_store_end(st);
    return rv;
}
