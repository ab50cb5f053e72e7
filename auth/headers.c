/* Identity for a proxied backend or a CGI/WSGI/PHP application.  A client
 * must never be able to name itself: every request header whose name
 * matches the prefix the way backends compare names (case-insensitive, '-'
 * and '_' alike, as CGI maps both to HTTP_X_SSO_...) is removed in every
 * SP virtual host, and our session cookie is taken out of the Cookie
 * header so a backend that logs headers never holds a usable session. */
#include "auth.h"
#include "../session/cookie.h"
#include <http_log.h>
#include <apr_strings.h>
#include <ctype.h>
#include <string.h>

APLOG_USE_MODULE(sipsso);

#define SIPSSO_DEFAULT_PREFIX "X-SSO-"

static const char *prefix_of(const sipsso_dir_cfg *d)
{
    return d->header_prefix ? d->header_prefix : SIPSSO_DEFAULT_PREFIX;
}

/* Header names compared as backends see them. */
static int name_fold(int c)
{
    return c == '_' ? '-' : tolower(c);
}

static int matches_prefix(const char *name, const char *prefix)
{
    for (; *prefix; prefix++, name++)
        if (*name == '\0' || name_fold((unsigned char)*name) !=
                             name_fold((unsigned char)*prefix))
            return 0;
    return 1;
}

typedef struct {
    const char *prefix;
    apr_array_header_t *doomed;
} strip_ctx;

/* The location's prefix and the default one too: a backend may still trust
 * X-SSO-* while a location uses another prefix. */
static int collect(void *data, const char *key, const char *val)
{
    strip_ctx *sc = data;
    (void)val;
    if (matches_prefix(key, sc->prefix) ||
        matches_prefix(key, SIPSSO_DEFAULT_PREFIX))
        APR_ARRAY_PUSH(sc->doomed, const char *) = key;
    return 1;
}

void sipsso_strip_spoofed(request_rec *r)
{
    strip_ctx sc = { prefix_of(sipsso_dir(r)),
                     apr_array_make(r->pool, 2, sizeof(const char *)) };
    int i;
    apr_table_do(collect, &sc, r->headers_in, NULL);
    for (i = 0; i < sc.doomed->nelts; i++) {
        const char *k = APR_ARRAY_IDX(sc.doomed, i, const char *);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "sipsso: removed request "
                      "header %s sent by the client (identity headers are "
                      "set only by the module)", k);
        apr_table_unset(r->headers_in, k);
    }
}

void sipsso_strip_session_cookie(request_rec *r, const sipsso_srv_cfg *c,
                                 const sipsso_session *s)
{
    const char *h = apr_table_get(r->headers_in, "Cookie");
    const char *id;
    char *rest;
    /* Both our cookies' names begin with the session cookie's name. */
    if (h == NULL || strstr(h, sipsso_cfg_cookie_name(c)) == NULL)
        return;
    id = s && s->id ? s->id : sipsso_cookie_get(r->pool, h,
                          sipsso_cfg_cookie_name(c), SIPSSO_SESSION_ID_LEN);
    /* Internal redirects and subrequests share this header table: they
     * find the identifier here once the cookie is gone. */
    if (id)
        apr_table_setn(r->notes, SIPSSO_NOTE_SID, id);
    rest = sipsso_cookie_strip(r->pool, h, sipsso_cfg_cookie_name(c));
    if (rest)
        rest = sipsso_cookie_strip(r->pool, rest, apr_pstrcat(r->pool,
                                   sipsso_cfg_cookie_name(c), "_binding", NULL));
    if (rest)
        apr_table_set(r->headers_in, "Cookie", rest);
    else
        apr_table_unset(r->headers_in, "Cookie");
}

/* "GIVENNAME" -> "Givenname", "GIVEN_NAME" -> "Given-Name". */
static const char *header_word(apr_pool_t *p, const char *shortn)
{
    char *o = apr_pstrdup(p, shortn), *c;
    int start = 1;
    for (c = o; *c; c++) {
        if (*c == '_') {
            *c = '-';
            start = 1;
            continue;
        }
        *c = (char)(start ? toupper((unsigned char)*c) : tolower((unsigned char)*c));
        start = 0;
    }
    return o;
}

/* Values travel on the wire: a control character (CR, LF, NUL...) could
 * split or forge headers, so such a value is not sent at all. */
static int value_safe(const char *v)
{
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || *v == 0x7f)
            return 0;
    return 1;
}

static void add_header(request_rec *r, const char *name, const char *value)
{
    if (!value_safe(value)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "sipsso: not sending "
                      "header %s: its value contains control characters", name);
        return;
    }
    apr_table_setn(r->headers_in, name, value);
}

void sipsso_add_identity_headers(request_rec *r, const sipsso_session *s)
{
    const sipsso_dir_cfg *d = sipsso_dir(r);
    const char *prefix = prefix_of(d);
    int i;

    for (i = 0; i < s->claims->nelts; i++) {
        const sipsso_claim *c = &APR_ARRAY_IDX(s->claims, i, sipsso_claim);
        add_header(r, apr_pstrcat(r->pool, prefix, header_word(r->pool,
                   sipsso_claim_name_for(r, c->name)), NULL),
                   sipsso_join_values(r->pool, c->values));
    }
    /* Last, so that a claim whose short name is USER cannot replace it. */
    add_header(r, apr_pstrcat(r->pool, prefix, "User", NULL), r->user);
}
