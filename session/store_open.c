/* Creating the store at startup: the socache provider's instance(s), their
 * mutexes, and for shmcb keeping them across restarts. */
#include "store.h"
#include <http_log.h>
#include <ap_provider.h>
#include <util_mutex.h>
#include <apr_strings.h>
#include <apr_shm.h>
#include <stdlib.h>
#include <string.h>

APLOG_USE_MODULE(sipsso);

static apr_status_t store_cleanup(void *data)
{
    sipsso_store *st = data;
    int i;
    for (i = 0; i < st->nshards; i++)
        if (st->shards[i].inst)
            st->provider->destroy(st->shards[i].inst, NULL);
    st->nshards = 0;
    return APR_SUCCESS;
}

static const char *make_mutex(apr_global_mutex_t **m, const char *id,
                              server_rec *s, apr_pool_t *p)
{
    return ap_global_mutex_create(m, NULL, SIPSSO_MUTEX_TYPE, id, s, p, 0)
           == APR_SUCCESS ? NULL
           : apr_psprintf(p, "cannot create the session store mutex %s", id);
}

static const char *init_shard(sipsso_store *st, int i, const char *name,
                              const char *arg, server_rec *s, apr_pool_t *p)
{
    struct ap_socache_hints hints = { SIPSSO_HINT_ID_LEN, SIPSSO_HINT_OBJ_SIZE,
                                      apr_time_from_sec(60) };
    sipsso_shard *sh = &st->shards[i];
    const char *id = apr_psprintf(p, "%s.%d", st->mutex_id, i), *err;

    if ((err = st->provider->create(&sh->inst, arg, p, p)) != NULL) {
        sh->inst = NULL;
        return apr_psprintf(p, "socache provider '%s': %s", name, err);
    }
    if ((st->provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) &&
        (err = make_mutex(&sh->mutex, id, s, p)) != NULL)
        return err;
    /* The namespace prefixes memcache and redis keys: the same on every
     * node whatever else it configures (mutex ids count the stores).  For
     * a local store it names files (dbm), which must differ per store. */
    if (st->provider->init(sh->inst, st->network ? apr_psprintf(p, "sipsso-s%d", i)
                           : apr_pstrcat(p, "sipsso-", id, NULL),
                           &hints, s, p) != APR_SUCCESS)
        return apr_psprintf(p, "cannot initialise session store %s", st->spec);
    return NULL;
}

/* kept: instances that outlive this generation are freed by APR's cleanup
 * of their segment; the provider's code may be unloaded by then. */
static const char *init_store(sipsso_store *st, const char *name,
                              const char *const *args, server_rec *s,
                              apr_pool_t *p, int kept)
{
    const char *err;
    int i;

    st->shards = apr_pcalloc(p, st->nshards * sizeof(sipsso_shard));
    if (!kept)
        apr_pool_cleanup_register(p, st, store_cleanup, apr_pool_cleanup_null);
    for (i = 0; i < st->nshards; i++)
        if ((err = init_shard(st, i, name, args[i], s, p)) != NULL)
            return err;
    return make_mutex(&st->section, apr_pstrcat(p, st->mutex_id, "w", NULL), s, p);
}

/* "path(bytes)" for the whole store becomes one "path.N(bytes/N)" per
 * shard; the default is 32 MiB in the runtime directory.  NULL (and *err)
 * for a size that is not a number or too small to split. */
static const char *const *shmcb_args(apr_pool_t *p, const char *arg,
                                     const char *mutex_id, int n,
                                     const char **err)
{
    const char **out = apr_pcalloc(p, n * sizeof(char *));
    const char *path = NULL, *open;
    apr_int64_t size = SIPSSO_DEFAULT_SHMCB_SIZE;
    char *end = NULL;
    int i;

    if (arg && *arg) {
        open = strrchr(arg, '(');
        path = open ? apr_pstrmemdup(p, arg, (apr_size_t)(open - arg)) : arg;
        if (open && ((size = apr_strtoi64(open + 1, &end, 10)) < 0 ||
                     end == NULL || strcmp(end, ")") != 0))
            size = -1;
    }
    if (size < (apr_int64_t)n * SIPSSO_SHMCB_MIN_SHARD) {
        *err = apr_psprintf(p, "shmcb size must be a number of bytes, at least "
                            "%d (it is split into %d shards of at least %d)",
                            n * SIPSSO_SHMCB_MIN_SHARD, n, SIPSSO_SHMCB_MIN_SHARD);
        return NULL;
    }
    if (path == NULL || !*path)
        path = ap_runtime_dir_relative(p, apr_pstrcat(p, "sipsso_", mutex_id, NULL));
    for (i = 0; i < n; i++)
        out[i] = apr_psprintf(p, "%s.%d(%" APR_INT64_T_FMT ")", path, i, size / n);
    return out;
}

/* One change counter per shard, shared by all children (store_cache.c). */
static const char *make_versions(sipsso_store *k, apr_pool_t *pp)
{
    apr_shm_t *shm;
    apr_size_t size = k->nshards * sizeof(apr_uint32_t);
    if (apr_shm_create(&shm, size, NULL, pp) != APR_SUCCESS)
        return "cannot create the session store's shared counters";
    k->versions = apr_shm_baseaddr_get(shm);
    memset(k->versions, 0, size);
    return NULL;
}

/* A shmcb segment lives in this process's memory.  Kept in the process pool
 * (with its mutexes, so that old and new children exclude each other) it
 * outlives a graceful restart: the parent keeps running and new children
 * inherit the mapping, so sessions survive.  Found again by its spec;
 * module globals do not help, since httpd reloads DSOs on restart. */
static const char *open_kept_shmcb(sipsso_store *st, const char *arg,
                                   server_rec *s, apr_pool_t *p)
{
    apr_pool_t *pp = s->process->pool;
    const char *key = apr_pstrcat(p, "sipsso-store:shmcb:", arg ? arg : "", NULL);
    sipsso_store *k = NULL;
    const char *err = NULL, *const *args;

    apr_pool_userdata_get((void **)&k, key, pp);
    if (k == NULL) {                    /* everything in pp: it must outlive p */
        k = apr_pcalloc(pp, sizeof(*k));
        k->provider = st->provider;
        k->spec = apr_pstrdup(pp, st->spec);
        k->mutex_id = apr_pstrdup(pp, st->mutex_id);
        k->nshards = SIPSSO_SHMCB_SHARDS;
        args = shmcb_args(pp, arg, k->mutex_id, k->nshards, &err);
        if (args == NULL || (err = init_store(k, "shmcb", args, s, pp, 1)) != NULL ||
            (err = make_versions(k, pp)) != NULL)
            return err;
        apr_pool_userdata_set(k, apr_pstrdup(pp, key), apr_pool_cleanup_null, pp);
    }
    st->nshards = k->nshards;
    st->shards = k->shards;
    st->section = k->section;
    st->versions = k->versions;
    return NULL;
}

/* "h1:p1,h2:p2": one instance, and so one shard, per server.  Given the
 * whole list, apr_memcache and apr_redis move a dead server's keys to the
 * next server, where a session ended meanwhile may not be ended and the
 * server's old records come back with it; one server per instance cannot
 * move, so its users get 503 while it is away (docs/cluster.md). */
static const char *const *server_args(apr_pool_t *p, const char *arg, int *n,
                                      const char **err)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));
    char *copy = apr_pstrdup(p, arg ? arg : ""), *tok, *state = NULL;
    int fields = 1;

    if (arg == NULL) {
        *n = 1;
        return apr_pcalloc(p, sizeof(const char *));
    }
    /* apr_strtok skips empty fields: count the commas to see them */
    for (tok = copy; *tok; tok++)
        fields += *tok == ',';
    for (tok = apr_strtok(copy, ",", &state); tok;
         tok = apr_strtok(NULL, ",", &state)) {
        char *end = tok + strlen(tok);
        while (*tok == ' ' || *tok == '\t')
            tok++;
        while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (*tok)
            APR_ARRAY_PUSH(out, const char *) = tok;
    }
    if (out->nelts != fields) {
        *err = "an empty server in the list";
        return NULL;
    }
    if (out->nelts > SIPSSO_MAX_STORE_SERVERS) {
        *err = apr_psprintf(p, "at most %d servers", SIPSSO_MAX_STORE_SERVERS);
        return NULL;
    }
    *n = out->nelts;
    return (const char *const *)out->elts;
}

const char *sipsso_store_open(apr_pool_t *p, server_rec *s, const char *spec,
                              const char *mutex_id, sipsso_store **out)
{
    sipsso_store *st = apr_pcalloc(p, sizeof(*st));
    const char *colon = strchr(spec, ':'), *name, *arg, *err = NULL;

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
    if (strcmp(name, "shmcb") == 0)
        err = open_kept_shmcb(st, arg, s, p);
    else if (strcmp(name, "memcache") == 0 || strcmp(name, "redis") == 0) {
        const char *const *args = server_args(p, arg, &st->nshards, &err);
        st->network = 1;
        if (args)
            err = init_store(st, name, args, s, p, 0);
    }
    else {                              /* dbm, dc...: as the provider wants */
        st->nshards = 1;
        err = init_store(st, name, &arg, s, p, 0);
    }
    if (err)
        return err;
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
    int i;
    for (i = 0; i < st->nshards; i++)
        attach(&st->shards[i].mutex, s, p);
    attach(&st->section, s, p);
}
