/* Cookie parsing by hand (RFC 6265 section 5.4 order), bounded and strict:
 * the value must be exactly what we issue or it is ignored. */
#include "cookie.h"
#include <apr_strings.h>
#include <string.h>

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Walk "a=b; c=d" pairs; separators ';' and ',' (httpd joins repeated
 * Cookie headers with ", "). */
typedef int (*pair_fn)(void *ctx, const char *name, apr_size_t nlen,
                       const char *val, apr_size_t vlen,
                       const char *start, const char *end);

static const char *trim_end(const char *from, const char *end)
{
    while (end > from && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    return end;
}

/* Each "name=value" (or bare "name") segment, whitespace trimmed; the
 * value pointer is NULL for a segment without '='. */
static void each_pair_sep(const char *h, const char *seps, pair_fn fn,
                          void *ctx)
{
    while (h && *h) {
        const char *start = skip_ws(h), *eq, *vstart;
        const char *end = start + strcspn(start, seps);
        eq = memchr(start, '=', (apr_size_t)(end - start));
        if (eq) {
            vstart = skip_ws(eq + 1);
            if (vstart > end)
                vstart = end;
            if (fn(ctx, start, (apr_size_t)(trim_end(start, eq) - start),
                   vstart, (apr_size_t)(trim_end(vstart, end) - vstart),
                   start, trim_end(start, end)))
                return;
        }
        else if (trim_end(start, end) > start &&
                 fn(ctx, start, (apr_size_t)(trim_end(start, end) - start),
                    NULL, 0, start, trim_end(start, end))) {
            return;
        }
        h = *end ? end + 1 : end;
    }
}

static void each_pair(const char *h, pair_fn fn, void *ctx)
{
    each_pair_sep(h, ";,", fn, ctx);
}

typedef struct {
    apr_pool_t *p;
    const char *name;
    apr_size_t token_len;
    const char *found;
} get_ctx;

static int get_pair(void *c, const char *n, apr_size_t nl, const char *v,
                    apr_size_t vl, const char *s, const char *e)
{
    get_ctx *g = c;
    (void)s; (void)e;
    if (v == NULL || nl != strlen(g->name) || strncmp(n, g->name, nl) != 0 ||
        vl != g->token_len)
        return 0;
    g->found = apr_pstrmemdup(g->p, v, vl);
    if (!sipsso_is_b64url_token(g->found, g->token_len)) {
        g->found = NULL;
        return 0;
    }
    return 1;
}

const char *sipsso_cookie_get(apr_pool_t *p, const char *header,
                              const char *name, apr_size_t token_len)
{
    get_ctx g = { p, name, token_len, NULL };
    if (header == NULL || strlen(header) > 16384)
        return NULL;
    each_pair(header, get_pair, &g);
    return g.found;
}

typedef struct {
    apr_pool_t *p;
    const char *name;
    char *out;
    int removed;
} strip_ctx;

static int strip_pair(void *c, const char *n, apr_size_t nl, const char *v,
                      apr_size_t vl, const char *s, const char *e)
{
    strip_ctx *st = c;
    (void)vl;
    if (v != NULL && nl == strlen(st->name) && strncmp(n, st->name, nl) == 0) {
        st->removed = 1;
        return 0;
    }
    st->out = apr_pstrcat(st->p, st->out ? st->out : "", st->out ? "; " : "",
                          apr_pstrmemdup(st->p, s, (apr_size_t)(e - s)), NULL);
    return 0;
}

/* Other cookies are left exactly as sent: the header is rewritten only
 * when ours is in it, split on ';' (a ',' may be part of another cookie's
 * value); only a header that httpd joined with ", " needs the comma split. */
char *sipsso_cookie_strip(apr_pool_t *p, const char *header, const char *name)
{
    strip_ctx st = { p, name, NULL, 0 };
    if (header == NULL)
        return NULL;
    each_pair_sep(header, ";", strip_pair, &st);
    if (!st.removed)
        st.out = *skip_ws(header) ? apr_pstrdup(p, header) : NULL;
    if (st.out && sipsso_cookie_has(p, st.out, name)) {
        strip_ctx again = { p, name, NULL, 0 };
        each_pair(st.out, strip_pair, &again);
        return again.out;
    }
    return st.out;
}

typedef struct {
    const char *name;
    int found;
} has_ctx;

static int has_pair(void *c, const char *n, apr_size_t nl, const char *v,
                    apr_size_t vl, const char *s, const char *e)
{
    has_ctx *h = c;
    (void)vl; (void)s; (void)e;
    if (v != NULL && nl == strlen(h->name) && strncmp(n, h->name, nl) == 0)
        return h->found = 1;
    return 0;
}

int sipsso_cookie_has(apr_pool_t *p, const char *header, const char *name)
{
    has_ctx h = { name, 0 };
    (void)p;
    each_pair(header, has_pair, &h);
    return h.found;
}

char *sipsso_cookie_build(apr_pool_t *p, const char *name, const char *value,
                          const sipsso_cookie_opts *o, int max_age)
{
    return apr_pstrcat(p, name, "=", value ? value : "",
        "; Path=", o->path ? o->path : "/",
        o->domain ? "; Domain=" : "", o->domain ? o->domain : "",
        max_age >= 0 ? apr_psprintf(p, "; Max-Age=%d", max_age) : "",
        max_age == 0 ? "; Expires=Thu, 01 Jan 1970 00:00:00 GMT" : "",
        "; HttpOnly", o->secure ? "; Secure" : "",
        o->samesite ? "; SameSite=" : "", o->samesite ? o->samesite : "",
        NULL);
}
