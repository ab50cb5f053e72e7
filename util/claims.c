/* Claim naming: DESIGN.md's contract is "the upper-cased last path segment
 * of the claim URI".  Anything else is folded to '_' so that the result can
 * never inject into an environment variable or header name. */
#include "util.h"
#include <string.h>

char *sipsso_claim_short(apr_pool_t *p, const char *uri)
{
    const char *start = uri, *end = uri + strlen(uri), *s;
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
    out = o = apr_palloc(p, (apr_size_t)(end - start) + 2);
    for (s = start; s < end; s++) {
        char c = *s;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            c = '_';
        *o++ = c;
    }
    if (o == out)
        *o++ = '_';
    *o = '\0';
    return out;
}
