/* A set of variables built up and then written into a table at once.
 *
 * apr_table_setn compares a new key with every earlier key that shares its
 * first four characters (apr_table's checksum), so one call per SIPSSO_*
 * variable is quadratic in the number of claims and group values, with a
 * strcasecmp each time.  Here a later value for a name replaces the earlier
 * one in a hash, and the result is appended to the table in one pass
 * unless the table already holds a variable under the same prefix (a
 * subrequest's copy of its parent's, or one an admin's SetEnvIf made), in
 * which case every name is replaced as setn would. */
#include "util.h"
#include <apr_strings.h>
#include <string.h>

typedef struct {
    const char *name, *value;
} var;

/* apr_hash would hash each name twice (get, then set) with a seeded
 * function: more than setn costs for a dozen names.  An open-addressed
 * index of positions in the list, kept at most half full, is enough. */
struct sipsso_vars {
    apr_pool_t *pool;
    apr_array_header_t *list;           /* var, in the order first set */
    int *slots;                         /* position + 1, 0 = free */
    unsigned int mask;
};

static unsigned int name_hash(const char *s)
{
    unsigned int h = 2166136261u;       /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void index_make(sipsso_vars *v, unsigned int size)
{
    int i;
    v->slots = apr_pcalloc(v->pool, size * sizeof(int));
    v->mask = size - 1;
    for (i = 0; i < v->list->nelts; i++) {
        unsigned int h = name_hash(APR_ARRAY_IDX(v->list, i, var).name);
        while (v->slots[h & v->mask])
            h++;
        v->slots[h & v->mask] = i + 1;
    }
}

sipsso_vars *sipsso_vars_make(apr_pool_t *p, int hint)
{
    sipsso_vars *v = apr_palloc(p, sizeof(*v));
    unsigned int size = 16;
    v->pool = p;
    v->list = apr_array_make(p, hint > 0 ? hint : 8, sizeof(var));
    while ((int)size < 2 * hint)
        size *= 2;
    index_make(v, size);
    return v;
}

void sipsso_vars_set(sipsso_vars *v, const char *name, const char *value)
{
    unsigned int h = name_hash(name);
    var *e;
    for (;; h++) {
        int at = v->slots[h & v->mask];
        if (at == 0)
            break;
        e = &APR_ARRAY_IDX(v->list, at - 1, var);
        if (strcmp(e->name, name) == 0) {
            e->value = value;
            return;
        }
    }
    e = &APR_ARRAY_PUSH(v->list, var);
    e->name = name;
    e->value = value;
    v->slots[h & v->mask] = v->list->nelts;
    if ((unsigned int)v->list->nelts * 2 > v->mask)
        index_make(v, (v->mask + 1) * 2);
}

int sipsso_vars_count(const sipsso_vars *v)
{
    return v->list->nelts;
}

static int has_prefix(const apr_table_t *t, const char *prefix)
{
    const apr_array_header_t *a = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    apr_size_t n = strlen(prefix);
    int i;
    for (i = 0; i < a->nelts; i++)
        if (e[i].key && strncasecmp(e[i].key, prefix, n) == 0)
            return 1;
    return 0;
}

void sipsso_vars_apply(const sipsso_vars *v, apr_table_t *t, const char *prefix)
{
    int i, fresh = !has_prefix(t, prefix);
    for (i = 0; i < v->list->nelts; i++) {
        const var *e = &APR_ARRAY_IDX(v->list, i, var);
        if (fresh)
            apr_table_addn(t, e->name, e->value);
        else
            apr_table_setn(t, e->name, e->value);
    }
}
