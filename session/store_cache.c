/* Session reads without the shard mutex, for shmcb.
 *
 * Every write or delete in a shard increments that shard's version, a
 * counter in shared memory, while the shard mutex is held.  A reader reads
 * the version first; a record this process fetched when the version was the
 * same is still what the store holds, so it is served from a small
 * per-process table without taking the mutex.  Any change in the shard
 * (a logout, a new session, an outstanding request) makes every copy of its
 * records stale at once.  Expiry is not a write, but every session carries
 * its own expiry, which authn checks on each request; a record that shmcb
 * dropped for space may be served a while longer, until it expires.
 *
 * The table is a seqlock per slot: readers never write, and a writer that
 * finds a slot busy just does not cache. */
#include "store.h"
#include <apr_strings.h>
#include <string.h>

#define SLOTS 256
#define SLOT_DATA 2048                  /* larger records are not cached */

typedef struct {
    apr_uint32_t seq;                   /* odd while being written */
    apr_uint32_t version;
    const void *owner;                  /* which store */
    unsigned char key[SIPSSO_WIRE_KEY_LEN];
    unsigned int len;                   /* 0: empty */
    char data[SLOT_DATA];
} slot;

static slot slots[SLOTS];               /* per child: static data is not shared */

static slot *slot_for(const unsigned char *key)
{
    return &slots[key[2]];              /* b[0], b[1]: shmcb subcache, shard */
}

int sipsso_cache_get(const void *owner, const unsigned char *key,
                     apr_uint32_t version, apr_pool_t *p,
                     char **val, apr_size_t *len)
{
    slot *sl = slot_for(key);
    char copy[SLOT_DATA];
    apr_uint32_t s1 = __atomic_load_n(&sl->seq, __ATOMIC_ACQUIRE);
    unsigned int n = sl->len;

    if ((s1 & 1) || n == 0 || n > SLOT_DATA || sl->version != version ||
        sl->owner != owner || memcmp(sl->key, key, SIPSSO_WIRE_KEY_LEN) != 0)
        return 0;
    memcpy(copy, sl->data, n);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&sl->seq, __ATOMIC_RELAXED) != s1)
        return 0;                       /* rewritten meanwhile: not a snapshot */
    *val = apr_palloc(p, n + 1);
    memcpy(*val, copy, n);
    (*val)[n] = '\0';
    *len = n;
    return 1;
}

void sipsso_cache_put(const void *owner, const unsigned char *key,
                      apr_uint32_t version, const char *val, apr_size_t len)
{
    slot *sl = slot_for(key);
    apr_uint32_t s = __atomic_load_n(&sl->seq, __ATOMIC_RELAXED);

    if (len == 0 || len > SLOT_DATA || (s & 1) ||
        !__atomic_compare_exchange_n(&sl->seq, &s, s + 1, 0,
                                     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    sl->version = version;
    sl->owner = owner;
    memcpy(sl->key, key, SIPSSO_WIRE_KEY_LEN);
    sl->len = (unsigned int)len;
    memcpy(sl->data, val, len);
    __atomic_store_n(&sl->seq, s + 2, __ATOMIC_RELEASE);
}
