/* NameID -> sessions index, for logouts started by the IdP: one record per
 * user, "<session hash>\t<expires>\t<SessionIndex>" per line, pruned of
 * expired entries whenever it is written.  Writes are read-modify-write in
 * a store section: atomic within one httpd, but two sign-ins of the same
 * user on two servers within one store round trip can lose one entry (that
 * session then ends only by expiry or local logout). */
#include "state.h"
#include "store.h"
#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

#define SIPSSO_INDEX_MAX 64             /* sessions remembered per user */

typedef struct {
    const char *hash, *session_index;
    apr_time_t expires;
} entry;

static const char *index_key(apr_pool_t *p, sipsso_srv_cfg *c, const char *nid)
{
    return apr_pstrcat(p, c->store_ns, ":n:",
                       sipsso_sha256_hex(p, nid, strlen(nid)), NULL);
}

static apr_array_header_t *load(request_rec *r, sipsso_srv_cfg *c,
                                const char *key, apr_status_t *rv)
{
    apr_array_header_t *out = apr_array_make(r->pool, 4, sizeof(entry));
    char *buf = NULL, *line, *st = NULL;
    apr_size_t len = 0;

    *rv = sipsso_store_get(c->store, r->server, key, &buf, &len, r->pool);
    if (*rv == APR_NOTFOUND) {          /* the user's first session */
        *rv = APR_SUCCESS;
        return out;
    }
    if (*rv != APR_SUCCESS || len == 0)
        return out;
    for (line = apr_strtok(buf, "\n", &st); line; line = apr_strtok(NULL, "\n", &st)) {
        char *f2 = strchr(line, '\t'), *f3 = f2 ? strchr(f2 + 1, '\t') : NULL;
        entry *e;
        if (!f3)
            continue;
        *f2 = *f3 = '\0';
        e = &APR_ARRAY_PUSH(out, entry);
        e->hash = line;
        e->expires = apr_time_from_sec(strtoll(f2 + 1, NULL, 10));
        e->session_index = sipsso_unescape_value(r->pool, f3 + 1);
    }
    return out;
}

static apr_status_t save(request_rec *r, sipsso_srv_cfg *c, const char *key,
                         const apr_array_header_t *list)
{
    apr_array_header_t *lines = apr_array_make(r->pool, list->nelts, sizeof(char *));
    apr_time_t now = apr_time_now(), last = 0;
    int i, first = list->nelts > SIPSSO_INDEX_MAX ? list->nelts - SIPSSO_INDEX_MAX : 0;
    char *rec;

    for (i = first; i < list->nelts; i++) {
        const entry *e = &APR_ARRAY_IDX(list, i, entry);
        if (e->expires <= now)
            continue;
        if (e->expires > last)
            last = e->expires;
        APR_ARRAY_PUSH(lines, char *) = apr_psprintf(r->pool, "%s\t%"
            APR_TIME_T_FMT "\t%s\n", e->hash, apr_time_sec(e->expires),
            sipsso_escape_value(r->pool, e->session_index ? e->session_index : ""));
    }
    if (lines->nelts == 0) {
        apr_status_t rv = sipsso_store_del(c->store, r->server, key, r->pool);
        return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
    }
    rec = apr_array_pstrcat(r->pool, lines, 0);
    return sipsso_store_put(c->store, r->server, key, rec, strlen(rec), last,
                            r->pool);
}

static apr_status_t index_add(request_rec *r, sipsso_srv_cfg *c,
                              const sipsso_session *s)
{
    const char *key = index_key(r->pool, c, s->name_id);
    apr_status_t rv;
    apr_array_header_t *list = load(r, c, key, &rv);
    entry *e;
    if (rv != APR_SUCCESS)
        return rv;
    e = &APR_ARRAY_PUSH(list, entry);
    e->hash = sipsso_sha256_hex(r->pool, s->id, strlen(s->id));
    e->expires = s->expires;
    e->session_index = s->session_index;
    return save(r, c, key, list);
}

static int wanted(const entry *e, const apr_array_header_t *indexes)
{
    int i;
    if (indexes == NULL || indexes->nelts == 0)
        return 1;
    for (i = 0; i < indexes->nelts; i++)
        if (e->session_index &&
            strcmp(e->session_index, APR_ARRAY_IDX(indexes, i, const char *)) == 0)
            return 1;
    return 0;
}

static apr_status_t index_end(request_rec *r, sipsso_srv_cfg *c,
                              const char *name_id,
                              const apr_array_header_t *indexes, int *ended)
{
    const char *key = index_key(r->pool, c, name_id);
    apr_status_t rv;
    apr_array_header_t *list = load(r, c, key, &rv);
    apr_array_header_t *keep = apr_array_make(r->pool, list->nelts, sizeof(entry));
    int i;

    *ended = 0;
    if (rv != APR_SUCCESS)
        return rv;
    for (i = 0; i < list->nelts; i++) {
        const entry *e = &APR_ARRAY_IDX(list, i, entry);
        if (!wanted(e, indexes)) {
            APR_ARRAY_PUSH(keep, entry) = *e;
            continue;
        }
        rv = sipsso_session_remove_hash(r, c, e->hash);
        if (rv != APR_SUCCESS && rv != APR_NOTFOUND)
            return rv;
        if (rv == APR_SUCCESS)
            (*ended)++;
    }
    return save(r, c, key, keep);
}

apr_status_t sipsso_index_add(request_rec *r, sipsso_srv_cfg *c,
                              const sipsso_session *s)
{
    apr_status_t rv = sipsso_store_begin(c->store);
    if (rv != APR_SUCCESS)
        return rv;
    rv = index_add(r, c, s);
    sipsso_store_end(c->store);
    return rv;
}

apr_status_t sipsso_index_end(request_rec *r, sipsso_srv_cfg *c,
                              const char *name_id,
                              const apr_array_header_t *indexes, int *ended)
{
    apr_status_t rv = sipsso_store_begin(c->store);
    *ended = 0;
    if (rv != APR_SUCCESS)
        return rv;
    rv = index_end(r, c, name_id, indexes, ended);
    sipsso_store_end(c->store);
    return rv;
}
