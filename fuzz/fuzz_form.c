/* libFuzzer: the ACS form body and strict base64 decoding. */
#include "../util/util.h"
#include <apr_general.h>
#include <apr_strings.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static apr_pool_t *root;
    apr_pool_t *p;
    apr_table_t *t;
    const char *err = NULL, *v;
    apr_size_t n;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    t = sipsso_form_parse(p, (const char *)data, size, 8, &err);
    if (t && (v = apr_table_get(t, "SAMLResponse")) != NULL) {
        unsigned char *d = sipsso_b64_decode_strict(p, v, strlen(v), &n);
        /* Canonical base64: re-encoding gives the input back (no CR/LF). */
        if (d && !strpbrk(v, "\r\n") && strcmp(sipsso_b64_encode(p, d, n), v) != 0)
            __builtin_trap();
    }
    if (!t && err == NULL)
        __builtin_trap();
    apr_pool_destroy(p);
    return 0;
}
