/* libFuzzer: the ReturnTo / RelayState validator (util/url.c) and the
 * query-string decoder.  Invariant: what is accepted is a local path a
 * browser cannot read as another host. */
#include "../util/util.h"
#include <apr_general.h>
#include <apr_strings.h>
#include <string.h>

static void check_local(const char *u)
{
    size_t i, n = strlen(u);
    if (u[0] != '/' || (n > 1 && (u[1] == '/' || u[1] == '\\')))
        __builtin_trap();
    for (i = 0; i < n; i++)
        if ((unsigned char)u[i] < 0x20 || u[i] == 0x7f || u[i] == '\\')
            __builtin_trap();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static apr_pool_t *root;
    apr_pool_t *p;
    const char *u;
    char *s, *q;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    s = apr_pstrmemdup(p, (const char *)data, size);
    if ((u = sipsso_local_url(p, s)) != NULL)
        check_local(u);
    q = sipsso_query_param(p, s, "ReturnTo");
    if (q && (u = sipsso_local_url(p, q)) != NULL)
        check_local(u);
    apr_pool_destroy(p);
    return 0;
}
