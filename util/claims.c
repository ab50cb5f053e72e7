/* Claim naming: DESIGN.md's contract is "the upper-cased last path segment
 * of the claim URI".  Anything else is folded to '_' so that the result can
 * never inject into an environment variable or header name. */
#include "util.h"
#include <string.h>

char *sipsso_claim_short_prefixed(apr_pool_t *p, const char *prefix,
                                   const char *uri)
{
    const char *start = uri, *end = uri + strlen(uri), *s;
    apr_size_t plen = strlen(prefix);
    char *out, *o;

    while (end > uri && end[-1] == '/')
        end--;
    /* from the end: it runs for every claim of every request */
    for (s = end; s > uri; s--)
        if (s[-1] == '/' || s[-1] == '#' || s[-1] == ':') {
            start = s;
            break;
        }
    if (start >= end)
        start = uri, end = uri + strlen(uri);
    out = apr_palloc(p, plen + (apr_size_t)(end - start) + 2);
    memcpy(out, prefix, plen);
    o = out + plen;
    for (s = start; s < end; s++) {
        char c = *s;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            c = '_';
        *o++ = c;
    }
    if (o == out + plen)
        *o++ = '_';
    *o = '\0';
    return out;
}

char *sipsso_claim_short(apr_pool_t *p, const char *uri)
{
    return sipsso_claim_short_prefixed(p, "", uri);
}

char *sipsso_join_values(apr_pool_t *p, const apr_array_header_t *values)
{
    apr_size_t total = 0, n;
    char *out, *o;
    int i;

    for (i = 0; i < values->nelts; i++)
        total += strlen(APR_ARRAY_IDX(values, i, const char *)) + 1;
    out = o = apr_palloc(p, total + 1);
    for (i = 0; i < values->nelts; i++) {
        const char *v = APR_ARRAY_IDX(values, i, const char *);
        if (i)
            *o++ = ';';
        n = strlen(v);
        memcpy(o, v, n);
        o += n;
    }
    *o = '\0';
    return out;
}
