/* libFuzzer: the Cookie header parser and stripper (session/cookie.c). */
#include "../session/cookie.h"
#include <apr_general.h>
#include <apr_strings.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static apr_pool_t *root;
    apr_pool_t *p;
    const char *v;
    char *h;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    h = apr_pstrmemdup(p, (const char *)data, size);
    v = sipsso_cookie_get(p, h, "sipsso", 43);
    /* Whatever is returned must be exactly a 43-character token. */
    if (v && (strlen(v) != 43 || !sipsso_is_b64url_token(v, 43)))
        __builtin_trap();
    h = sipsso_cookie_strip(p, h, "sipsso");
    if (h && sipsso_cookie_get(p, h, "sipsso", 43) != NULL)
        __builtin_trap();
    apr_pool_destroy(p);
    return 0;
}
