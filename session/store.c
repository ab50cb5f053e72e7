/* Store operations, modelled on mod_authn_socache: providers that are not
 * multi-process safe (shmcb) are called under their shard's global mutex;
 * another one serialises read-modify-write sections for every provider.
 * Lock order: section first, then a shard's mutex; calls never take the
 * section.  Creation and restarts: store_open.c. */
#include "store.h"
#include <apr_strings.h>
#include "../util/util.h"
#include <errno.h>
#include <string.h>


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
    unsigned char md[SIPSSO_SHA256_LEN];
    wire_key w;
    sipsso_sha256(key, strlen(key), md);
    memcpy(w.b, md, sizeof(w.b));
    return w;
}

static int shard_index(sipsso_store *st, const wire_key *w)
{
    return w->b[1] % st->nshards;       /* b[0] picks shmcb's subcache */
}

static sipsso_shard *shard_of(sipsso_store *st, const wire_key *w)
{
    return &st->shards[shard_index(st, w)];
}

/* Under the shard mutex, after a change: cached copies are stale. */
static void changed(sipsso_store *st, const wire_key *w)
{
    if (st->versions)
        __atomic_add_fetch(&st->versions[shard_index(st, w)], 1, __ATOMIC_RELEASE);
}

/* fcntl locks (Debian's "Mutex file:... default") belong to a process, not
 * a thread: while one thread holds a shard and another waits for a second
 * mutex, the kernel can see a deadlock between two processes that is none
 * and fail with EDEADLK.  Our order (section, then one shard) rules out
 * real ones, so wait and try again, boundedly. */
static apr_status_t lock_mutex(apr_global_mutex_t *m)
{
    apr_status_t rv;
    int tries = 0;
    while ((rv = apr_global_mutex_lock(m)) == APR_FROM_OS_ERROR(EDEADLK) &&
           ++tries < 10000)
        apr_sleep(20);
    return rv;
}

static apr_status_t lock(sipsso_shard *sh)
{
    return sh->mutex ? lock_mutex(sh->mutex) : APR_SUCCESS;
}

static void unlock(sipsso_shard *sh)
{
    if (sh->mutex)
        apr_global_mutex_unlock(sh->mutex);
}

apr_status_t sipsso_store_put(sipsso_store *st, server_rec *s, const char *key,
                              const char *val, apr_size_t len,
                              apr_time_t expiry, apr_pool_t *p)
{
    wire_key w = to_wire(key);
    sipsso_shard *sh = shard_of(st, &w);
    apr_status_t rv;
    if (len > SIPSSO_MAX_RECORD)
        return APR_ENOSPC;
    if ((rv = lock(sh)) != APR_SUCCESS)
        return rv;
    rv = sipsso_shard_written(st, sh, st->provider->store(sh->inst, s, w.b,
                              sizeof(w.b), expiry, (unsigned char *)val,
                              (unsigned int)len, p));
    changed(st, &w);
    unlock(sh);
    return rv;
}

/* socache copies a record into a buffer the caller sizes up front, and a
 * 64 KiB allocation from each request's pool made glibc map and unmap
 * memory on every authenticated request (TLB shootdowns across all
 * threads).  One buffer per thread instead; the record is copied out. */
static __thread unsigned char scratch[SIPSSO_MAX_RECORD];

typedef struct {
    const wire_key *w;
    unsigned int n;
} retrieval;

static apr_status_t call_retrieve(sipsso_store *st, sipsso_shard *sh,
                                  server_rec *s, void *arg, apr_pool_t *p)
{
    retrieval *g = arg;
    g->n = sizeof(scratch);
    return st->provider->retrieve(sh->inst, s, g->w->b, sizeof(g->w->b),
                                  scratch, &g->n, p);
}

static apr_status_t call_remove(sipsso_store *st, sipsso_shard *sh,
                                server_rec *s, void *arg, apr_pool_t *p)
{
    const wire_key *w = arg;
    return st->provider->remove(sh->inst, s, w->b, sizeof(w->b), p);
}

static apr_status_t get_wire(sipsso_store *st, server_rec *s, const wire_key *w,
                             char **val, apr_size_t *len, apr_pool_t *p)
{
    retrieval g = { w, 0 };
    unsigned int n;
    sipsso_shard *sh = shard_of(st, w);
    apr_status_t rv;

    *val = NULL;                        /* callers may look on failure */
    *len = 0;

    if ((rv = lock(sh)) != APR_SUCCESS)
        return rv;
    rv = sipsso_shard_read(st, sh, s, call_retrieve, &g, p);
    n = g.n;
    unlock(sh);
    if (rv != APR_SUCCESS)
        return rv;
    if (n > sizeof(scratch))            /* a provider that overran: refuse */
        return APR_EGENERAL;
    *val = apr_palloc(p, n + 1);
    memcpy(*val, scratch, n);
    (*val)[n] = '\0';
    *len = n;
    return APR_SUCCESS;
}

apr_status_t sipsso_store_get(sipsso_store *st, server_rec *s, const char *key,
                              char **val, apr_size_t *len, apr_pool_t *p)
{
    wire_key w = to_wire(key);
    return get_wire(st, s, &w, val, len, p);
}

apr_status_t sipsso_store_get_cached(sipsso_store *st, server_rec *s,
                                     const char *key, char **val,
                                     apr_size_t *len, apr_pool_t *p)
{
    wire_key w = to_wire(key);
    apr_uint32_t version;
    apr_status_t rv;

    if (st->versions == NULL)
        return get_wire(st, s, &w, val, len, p);
    /* read before the fetch: a change after it makes this copy stale */
    version = __atomic_load_n(&st->versions[shard_index(st, &w)], __ATOMIC_ACQUIRE);
    if (sipsso_cache_get(st->versions, w.b, version, p, val, len))
        return APR_SUCCESS;
    rv = get_wire(st, s, &w, val, len, p);
    if (rv == APR_SUCCESS)
        sipsso_cache_put(st->versions, w.b, version, *val, *len);
    return rv;
}

apr_status_t sipsso_store_del(sipsso_store *st, server_rec *s, const char *key,
                              apr_pool_t *p)
{
    wire_key w = to_wire(key);
    sipsso_shard *sh = shard_of(st, &w);
    apr_status_t rv;
    if ((rv = lock(sh)) != APR_SUCCESS)
        return rv;
    rv = sipsso_shard_read(st, sh, s, call_remove, &w, p);
    changed(st, &w);
    unlock(sh);
    return rv;
}

apr_status_t sipsso_store_begin(sipsso_store *st)
{
    return st->section ? lock_mutex(st->section) : APR_SUCCESS;
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
