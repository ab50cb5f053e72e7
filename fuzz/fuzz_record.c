/* libFuzzer: the session record decoder (session/record.c), which runs on
 * every authenticated request.  Whatever it accepts must survive a round
 * trip through the encoder unchanged. */
#include "../session/session.h"
#include <apr_general.h>
#include <apr_strings.h>
#include <string.h>

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void check_round_trip(apr_pool_t *p, const sipsso_session *s)
{
    sipsso_session d;
    apr_size_t len;
    char *enc = sipsso_session_encode(p, s, &len);
    int i, j;
    if (sipsso_session_decode(p, enc, len, &d) != NULL ||
        !same(s->name_id, d.name_id) || !same(s->idp, d.idp) ||
        !same(s->name_id_format, d.name_id_format) ||
        !same(s->session_index, d.session_index) ||
        s->expires != d.expires || s->created != d.created ||
        s->last_access != d.last_access || s->claims->nelts != d.claims->nelts)
        __builtin_trap();
    for (i = 0; i < s->claims->nelts; i++) {
        const sipsso_claim *a = &APR_ARRAY_IDX(s->claims, i, sipsso_claim);
        const sipsso_claim *b = &APR_ARRAY_IDX(d.claims, i, sipsso_claim);
        if (!same(a->name, b->name) || a->values->nelts != b->values->nelts)
            __builtin_trap();
        for (j = 0; j < a->values->nelts; j++)
            if (!same(APR_ARRAY_IDX(a->values, j, const char *),
                      APR_ARRAY_IDX(b->values, j, const char *)))
                __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static apr_pool_t *root;
    apr_pool_t *p;
    sipsso_session s;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    if (sipsso_session_decode(p, (const char *)data, size, &s) == NULL)
        check_round_trip(p, &s);
    apr_pool_destroy(p);
    return 0;
}
