/* The session store: one httpd socache provider instance (shmcb, memcache,
 * redis, ...) behind the same small API, so one machine and a cluster take
 * the same code path. */
#ifndef SIPSSO_STORE_H
#define SIPSSO_STORE_H

#include <httpd.h>
#include <ap_socache.h>
#include <apr_global_mutex.h>

typedef struct {
    ap_socache_instance_t *inst;
    apr_global_mutex_t *mutex;          /* each call, for non-MT-safe providers */
    /* memcache, redis (store_health.c): failures counted, and how many of
     * them a successful probe has vouched for */
    apr_uint32_t failures, vouched;
    apr_time_t probe_failed;            /* when the last probe failed */
} sipsso_shard;

typedef struct sipsso_store {
    const char *spec;                   /* as configured, e.g. "redis:h:p" */
    const ap_socache_provider_t *provider;
    int nshards;
    sipsso_shard *shards;
    apr_global_mutex_t *section;        /* read-modify-write sections */
    apr_uint32_t *versions;             /* shmcb: per shard, shared memory */
    int network;                        /* memcache, redis */
    const char *mutex_id;
} sipsso_store;

/* shmcb is split into this many instances, each with its own mutex: one
 * global lock taken by every authenticated request of every thread was the
 * module's largest cost (docs/performance.md).  Keys pick their shard. */
#define SIPSSO_SHMCB_SHARDS 16
#define SIPSSO_SHMCB_MIN_SHARD 65536    /* bytes; shmcb itself needs 8192 */

/* memcache and redis: one shard per server of the list */
#define SIPSSO_MAX_STORE_SERVERS 16

#define SIPSSO_MUTEX_TYPE "sipsso-cache"
#define SIPSSO_DEFAULT_SHMCB_SIZE (32 * 1024 * 1024)
#define SIPSSO_MAX_RECORD (64 * 1024)

/* What shmcb sizes its index by: the mean id and record over the four
 * entries one sign-in writes (session ~620 bytes with Entra's default
 * claims, NameID index ~115, outstanding request ~180, replay entry 1).
 * shmcb frees space only as its ring buffer wraps, so a used outstanding
 * request still counts; fewer slots than entries would evict sessions while
 * data space is left (docs/performance.md). */
#define SIPSSO_WIRE_KEY_LEN 24          /* bytes of SHA-256 of our key */
#define SIPSSO_HINT_ID_LEN SIPSSO_WIRE_KEY_LEN
#define SIPSSO_HINT_OBJ_SIZE 230

/* Parse "provider[:args]", create and initialise the instance (post_config).
 * A shmcb instance is reused from the previous generation when its spec is
 * unchanged, so that a restart keeps the sessions. */
const char *sipsso_store_open(apr_pool_t *p, server_rec *s, const char *spec,
                              const char *mutex_id, sipsso_store **out);
void sipsso_store_child_init(sipsso_store *st, server_rec *s, apr_pool_t *p);

/* APR_SUCCESS, APR_NOTFOUND, or another error: the store is unreachable,
 * which callers must treat as "no access". */
apr_status_t sipsso_store_put(sipsso_store *st, server_rec *s, const char *key,
                              const char *val, apr_size_t len,
                              apr_time_t expiry, apr_pool_t *p);
apr_status_t sipsso_store_get(sipsso_store *st, server_rec *s, const char *key,
                              char **val, apr_size_t *len, apr_pool_t *p);
/* APR_NOTFOUND when the key was not there.  Every provider deletes
 * atomically (shmcb under our mutex, memcached DELETE, redis DEL), so of two
 * requests deleting the same key exactly one gets APR_SUCCESS: that is how a
 * single-use record (an outstanding AuthnRequest) is claimed. */
apr_status_t sipsso_store_del(sipsso_store *st, server_rec *s, const char *key,
                              apr_pool_t *p);

/* Read-modify-write sections (the replay cache, the NameID index).  socache
 * has no add or compare-and-set, so these are serialised by a global mutex:
 * atomic among the children of one httpd, and across machines only as close
 * as one store round trip (see docs/cluster.md). */
apr_status_t sipsso_store_begin(sipsso_store *st);
void sipsso_store_end(sipsso_store *st);

/* As sipsso_store_get, but for records read on every request (sessions):
 * with shmcb, served without the shard mutex while nothing in the shard
 * changed (store_cache.c). */
apr_status_t sipsso_store_get_cached(sipsso_store *st, server_rec *s,
                                     const char *key, char **val,
                                     apr_size_t *len, apr_pool_t *p);

/* store_cache.c: the per-process copies, validated by a shard version */
int sipsso_cache_get(const void *owner, const unsigned char *key,
                     apr_uint32_t version, apr_pool_t *p,
                     char **val, apr_size_t *len);
void sipsso_cache_put(const void *owner, const unsigned char *key,
                      apr_uint32_t version, const char *val, apr_size_t len);

/* store_health.c: when APR_NOTFOUND from memcache or redis means "no such
 * key" (see there).  call does one provider read or delete. */
typedef apr_status_t (*sipsso_shard_call)(sipsso_store *st, sipsso_shard *sh,
                                          server_rec *s, void *arg,
                                          apr_pool_t *p);
apr_status_t sipsso_shard_read(sipsso_store *st, sipsso_shard *sh,
                               server_rec *s, sipsso_shard_call call,
                               void *arg, apr_pool_t *p);
/* The result of a provider write, with NOTFOUND (server set aside) turned
 * into EHOSTDOWN; failures are counted. */
apr_status_t sipsso_shard_written(sipsso_store *st, sipsso_shard *sh,
                                  apr_status_t rv);

/* Store val under key unless the key exists: APR_EEXIST if it does. */
apr_status_t sipsso_store_add(sipsso_store *st, server_rec *s, const char *key,
                              const char *val, apr_size_t len,
                              apr_time_t expiry, apr_pool_t *p);

#endif
