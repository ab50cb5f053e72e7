/* session/store_health.c: when "not found" from memcache or redis may be
 * believed.  A fake provider stands in for a client that sets a server
 * aside: its answers are scripted per call. */
#include "unit.h"
#include "../../session/store.h"
#include <errno.h>

#define UNAVAILABLE APR_FROM_OS_ERROR(EHOSTDOWN)

static apr_status_t probe_answer;       /* what the probe write gets */
static int probes, reads;
static apr_status_t read_answers[8];    /* what each read gets, in turn */
static sipsso_store *fail_between;      /* count a failure after the probe */

static apr_status_t fake_store(ap_socache_instance_t *i, server_rec *s,
                               const unsigned char *id, unsigned int idlen,
                               apr_time_t expiry, unsigned char *data,
                               unsigned int datalen, apr_pool_t *p)
{
    (void)i; (void)s; (void)id; (void)idlen; (void)expiry; (void)data;
    (void)datalen; (void)p;
    probes++;
    if (fail_between)                   /* another thread's failure */
        sipsso_shard_written(fail_between, &fail_between->shards[0], APR_EGENERAL);
    return probe_answer;
}

static apr_status_t fake_read(sipsso_store *st, sipsso_shard *sh, server_rec *s,
                              void *arg, apr_pool_t *p)
{
    (void)st; (void)sh; (void)s; (void)arg; (void)p;
    return read_answers[reads++];
}

static ap_socache_provider_t provider = { "fake", 0, NULL, NULL, NULL,
                                          fake_store, NULL, NULL, NULL, NULL };

static sipsso_store *store(apr_pool_t *p, int network)
{
    sipsso_store *st = apr_pcalloc(p, sizeof(*st));
    st->provider = &provider;
    st->nshards = 1;
    st->shards = apr_pcalloc(p, sizeof(sipsso_shard));
    st->network = network;
    probes = reads = 0;
    fail_between = NULL;
    probe_answer = APR_SUCCESS;
    return st;
}

static apr_status_t read1(apr_pool_t *p, sipsso_store *st, apr_status_t a,
                          apr_status_t b)
{
    reads = 0;
    read_answers[0] = a;
    read_answers[1] = b;
    return sipsso_shard_read(st, &st->shards[0], NULL, fake_read, NULL, p);
}

void test_store_health(apr_pool_t *p)
{
    sipsso_store *st = store(p, 1);
    sipsso_shard *sh = &st->shards[0];

    /* no failure yet: NOTFOUND is an answer, without a probe */
    CHECK(read1(p, st, APR_NOTFOUND, APR_SUCCESS) == APR_NOTFOUND && probes == 0);
    /* a failure is passed on and counted */
    CHECK(read1(p, st, APR_EGENERAL, APR_SUCCESS) == APR_EGENERAL);
    /* then NOTFOUND is believed only after a probe, and the read is redone */
    CHECK(read1(p, st, APR_NOTFOUND, APR_NOTFOUND) == APR_NOTFOUND);
    CHECK(probes == 1 && reads == 2);
    CHECK(read1(p, st, APR_NOTFOUND, APR_SUCCESS) == APR_NOTFOUND && probes == 1);
    /* the redone read may find the record after all */
    CHECK(sipsso_shard_written(st, sh, APR_EGENERAL) == APR_EGENERAL);
    CHECK(read1(p, st, APR_NOTFOUND, APR_SUCCESS) == APR_SUCCESS && probes == 2);

    /* a write NOTFOUND is a server set aside: a failure, reported as such */
    CHECK(sipsso_shard_written(st, sh, APR_NOTFOUND) == UNAVAILABLE);
    probe_answer = APR_NOTFOUND;
    CHECK(read1(p, st, APR_NOTFOUND, APR_SUCCESS) == UNAVAILABLE && probes == 3);
    /* no second probe within a second: still unavailable */
    CHECK(read1(p, st, APR_NOTFOUND, APR_SUCCESS) == UNAVAILABLE && probes == 3);

    /* a failure counted between the probe and the redone read: not believed */
    st = store(p, 1);
    sh = &st->shards[0];
    sipsso_shard_written(st, sh, APR_EGENERAL);
    fail_between = st;
    CHECK(read1(p, st, APR_NOTFOUND, APR_NOTFOUND) == UNAVAILABLE && probes == 1);
    /* and that failure still needs its own probe next time */
    fail_between = NULL;
    CHECK(read1(p, st, APR_NOTFOUND, APR_NOTFOUND) == APR_NOTFOUND && probes == 2);

    /* shmcb and other local stores: passed through, never probed */
    st = store(p, 0);
    sh = &st->shards[0];
    CHECK(sipsso_shard_written(st, sh, APR_NOTFOUND) == APR_NOTFOUND);
    CHECK(read1(p, st, APR_EGENERAL, APR_SUCCESS) == APR_EGENERAL);
    CHECK(read1(p, st, APR_NOTFOUND, APR_SUCCESS) == APR_NOTFOUND && probes == 0);
}
