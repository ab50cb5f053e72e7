/* util/vars.c: SIPSSO_* variables set many at a time must end up exactly
 * as one apr_table_setn per variable would leave the table. */
#include "unit.h"
#include "../../util/util.h"
#include <apr_strings.h>

/* What the table holds for name: the value, and how many entries. */
static int count(apr_table_t *t, const char *name)
{
    const apr_array_header_t *a = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    int i, n = 0;
    for (i = 0; i < a->nelts; i++)
        n += strcasecmp(e[i].key, name) == 0;
    return n;
}

static void last_wins(apr_pool_t *p)
{
    apr_table_t *t = apr_table_make(p, 4);
    sipsso_vars *v = sipsso_vars_make(p, 0);
    apr_table_setn(t, "PATH", "/bin");
    sipsso_vars_set(v, "SIPSSO_A", "1");
    sipsso_vars_set(v, "SIPSSO_B", "2");
    sipsso_vars_set(v, "SIPSSO_A", "3");      /* two claims, one short name */
    CHECK(sipsso_vars_count(v) == 2);
    sipsso_vars_apply(v, t, "SIPSSO_");
    CHECK_STR(apr_table_get(t, "SIPSSO_A"), "3");
    CHECK_STR(apr_table_get(t, "SIPSSO_B"), "2");
    CHECK(count(t, "SIPSSO_A") == 1);
    CHECK_STR(apr_table_get(t, "PATH"), "/bin");
    CHECK(apr_table_elts(t)->nelts == 3);
}

static void replaces_existing(apr_pool_t *p)
{
    /* a subrequest's copy of its parent's variables, or an admin's
     * SetEnvIf: replaced, never doubled, whatever their case */
    apr_table_t *t = apr_table_make(p, 4);
    sipsso_vars *v = sipsso_vars_make(p, 2);
    apr_table_setn(t, "sipsso_nameid", "spoofed");
    apr_table_setn(t, "SIPSSO_OLD", "kept");
    sipsso_vars_set(v, "SIPSSO_NAMEID", "alice");
    sipsso_vars_apply(v, t, "SIPSSO_");
    CHECK_STR(apr_table_get(t, "SIPSSO_NAMEID"), "alice");
    CHECK(count(t, "SIPSSO_NAMEID") == 1);
    CHECK_STR(apr_table_get(t, "SIPSSO_OLD"), "kept");
    /* applied twice (authn, then passive fixups): still once each */
    sipsso_vars_apply(v, t, "SIPSSO_");
    CHECK(count(t, "SIPSSO_NAMEID") == 1);
}

static void many(apr_pool_t *p)
{
    /* 150 group values, numbered, as Entra sends them */
    apr_table_t *t = apr_table_make(p, 4);
    sipsso_vars *v = sipsso_vars_make(p, 4);
    int i;
    for (i = 0; i < 150; i++)
        sipsso_vars_set(v, apr_psprintf(p, "SIPSSO_GROUPS_%d", i),
                        apr_psprintf(p, "g%d", i));
    sipsso_vars_set(v, "SIPSSO_GROUPS_7", "again");
    CHECK(sipsso_vars_count(v) == 150);
    sipsso_vars_apply(v, t, "SIPSSO_");
    CHECK(apr_table_elts(t)->nelts == 150);
    CHECK_STR(apr_table_get(t, "SIPSSO_GROUPS_149"), "g149");
    CHECK_STR(apr_table_get(t, "SIPSSO_GROUPS_7"), "again");
}

void test_vars(apr_pool_t *p)
{
    last_wins(p);
    replaces_existing(p);
    many(p);
}
