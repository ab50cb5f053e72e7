/* The session store: one httpd socache provider instance (shmcb, memcache,
 * redis, ...) behind the same small API, so one machine and a cluster take
 * the same code path. */
#ifndef SIPSSO_STORE_H
#define SIPSSO_STORE_H

#include <httpd.h>
#include <ap_socache.h>
#include <apr_global_mutex.h>

typedef struct sipsso_store {
    const char *spec;                   /* as configured, e.g. "redis:h:p" */
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *inst;
    apr_global_mutex_t *mutex;          /* only for non-MT-safe providers */
    const char *mutex_id;
} sipsso_store;

#define SIPSSO_MUTEX_TYPE "sipsso-cache"
#define SIPSSO_DEFAULT_SHMCB_SIZE (32 * 1024 * 1024)
#define SIPSSO_MAX_RECORD (64 * 1024)

/* Parse "provider[:args]" and create the instance (post_config). */
const char *sipsso_store_create(apr_pool_t *p, const char *spec,
                                const char *mutex_id, sipsso_store **out);
const char *sipsso_store_init(sipsso_store *st, server_rec *s, apr_pool_t *p);
void sipsso_store_child_init(sipsso_store *st, server_rec *s, apr_pool_t *p);

/* APR_SUCCESS, APR_NOTFOUND, or another error: the store is unreachable,
 * which callers must treat as "no access". */
apr_status_t sipsso_store_put(sipsso_store *st, server_rec *s, const char *key,
                              const char *val, apr_size_t len,
                              apr_time_t expiry, apr_pool_t *p);
apr_status_t sipsso_store_get(sipsso_store *st, server_rec *s, const char *key,
                              char **val, apr_size_t *len, apr_pool_t *p);
apr_status_t sipsso_store_del(sipsso_store *st, server_rec *s, const char *key,
                              apr_pool_t *p);

#endif
