/* Trusting "not found" from memcache and redis.
 *
 * apr_memcache and apr_redis set a server aside after a failure and then,
 * for 5 s and for as long as it does not answer a ping, answer APR_NOTFOUND
 * for it without asking it, reads and writes alike.  That is not "no such
 * key": taken as such, a session would seem gone (a sign-in loop), and a
 * logout or a used request would seem done while the record stays on the
 * server, to come back with it.
 *
 * So every failure on a shard is counted, and a NOTFOUND from it is taken as
 * an answer only while a successful probe write has vouched for every
 * failure counted so far; otherwise the store is unavailable (EHOSTDOWN:
 * callers answer 503).  What remains is the moment between the client
 * setting a server aside and our counting the failure that made it do so,
 * which the socache API does not let us close (docs/cluster.md). */
#include "store.h"
#include <errno.h>

#define SIPSSO_PROBE_KEY "sipsso-probe"
/* at most one probe a second per shard and process: the provider logs
 * every failed write at level crit */
#define SIPSSO_PROBE_INTERVAL apr_time_from_sec(1)
#define UNAVAILABLE APR_FROM_OS_ERROR(EHOSTDOWN)

static void count_failure(sipsso_shard *sh)
{
    __atomic_add_fetch(&sh->failures, 1, __ATOMIC_ACQ_REL);
}

static apr_uint32_t failures(sipsso_shard *sh)
{
    return __atomic_load_n(&sh->failures, __ATOMIC_ACQUIRE);
}

static apr_status_t probe(sipsso_store *st, sipsso_shard *sh, server_rec *s,
                          apr_pool_t *p)
{
    apr_time_t now = apr_time_now();
    apr_status_t rv;

    if (now - __atomic_load_n(&sh->probe_failed, __ATOMIC_RELAXED) <
        SIPSSO_PROBE_INTERVAL)
        return UNAVAILABLE;
    rv = st->provider->store(sh->inst, s,
        (const unsigned char *)SIPSSO_PROBE_KEY, sizeof(SIPSSO_PROBE_KEY) - 1,
        now + apr_time_from_sec(60), (unsigned char *)"1", 1, p);
    if (rv != APR_SUCCESS) {
        count_failure(sh);
        __atomic_store_n(&sh->probe_failed, now, __ATOMIC_RELAXED);
        return UNAVAILABLE;
    }
    return APR_SUCCESS;
}

apr_status_t sipsso_shard_written(sipsso_store *st, sipsso_shard *sh,
                                  apr_status_t rv)
{
    if (!st->network || rv == APR_SUCCESS)
        return rv;
    count_failure(sh);
    return rv == APR_NOTFOUND ? UNAVAILABLE : rv;
}

/* A provider answer to a read or a delete: a failure is counted. */
static int answered(sipsso_shard *sh, apr_status_t rv)
{
    if (rv == APR_SUCCESS || rv == APR_NOTFOUND)
        return 1;
    count_failure(sh);
    return 0;
}

apr_status_t sipsso_shard_read(sipsso_store *st, sipsso_shard *sh,
                               server_rec *s, sipsso_shard_call call,
                               void *arg, apr_pool_t *p)
{
    apr_status_t rv = call(st, sh, s, arg, p);
    apr_uint32_t seen;

    if (!st->network || !answered(sh, rv) || rv == APR_SUCCESS)
        return rv;
    seen = failures(sh);
    if (seen == __atomic_load_n(&sh->vouched, __ATOMIC_ACQUIRE))
        return rv;                      /* no failure since the last probe */
    if (probe(st, sh, s, p) != APR_SUCCESS)
        return UNAVAILABLE;
    __atomic_store_n(&sh->vouched, seen, __ATOMIC_RELEASE);
    rv = call(st, sh, s, arg, p);
    if (!answered(sh, rv))
        return rv;
    /* a failure since the probe may have set the server aside again */
    return rv == APR_NOTFOUND && failures(sh) != seen ? UNAVAILABLE : rv;
}
