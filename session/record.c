/* Session record: one field per line, values %-escaped.  Entra's long
 * claim URIs are stored with a one-character prefix code so a session with
 * the default claims stays well under 2 KiB. */
#include "session.h"
#include <apr_strings.h>
#include <string.h>

#define SIPSSO_RECORD_MAGIC "SIPSSO1"

static const char *const prefixes[] = {
    "http://schemas.microsoft.com/identity/claims/",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/",
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/",
    "http://schemas.microsoft.com/claims/",
    NULL
};

static const char *compress_name(apr_pool_t *p, const char *name)
{
    int i;
    for (i = 0; prefixes[i]; i++) {
        apr_size_t n = strlen(prefixes[i]);
        if (strncmp(name, prefixes[i], n) == 0)
            return apr_psprintf(p, "%d%s", i, sipsso_escape_value(p, name + n));
    }
    return apr_pstrcat(p, "-", sipsso_escape_value(p, name), NULL);
}

/* v is already unescaped: a prefix code, then the rest of the URI. */
static const char *expand_name(apr_pool_t *p, const char *v)
{
    if (v[0] >= '0' && v[0] < '0' + (int)(sizeof(prefixes) / sizeof(*prefixes) - 1)) {
        const char *pre = prefixes[v[0] - '0'];
        apr_size_t a = strlen(pre), b = strlen(v + 1);
        char *out = apr_palloc(p, a + b + 1);
        memcpy(out, pre, a);
        memcpy(out + a, v + 1, b + 1);
        return out;
    }
    if (v[0] == '-')
        return v + 1;
    return NULL;
}

char *sipsso_session_encode(apr_pool_t *p, const sipsso_session *s,
                            apr_size_t *len)
{
    apr_array_header_t *parts = apr_array_make(p, 32, sizeof(const char *));
    int i, j;
    char *out;

#define ADD(x) (APR_ARRAY_PUSH(parts, const char *) = (x))
    ADD(SIPSSO_RECORD_MAGIC "\n");
    ADD(apr_psprintf(p, "C%" APR_TIME_T_FMT "\nE%" APR_TIME_T_FMT "\nA%"
                     APR_TIME_T_FMT "\n", apr_time_sec(s->created),
                     apr_time_sec(s->expires), apr_time_sec(s->last_access)));
    ADD(apr_pstrcat(p, "N", sipsso_escape_value(p, s->name_id), "\n", NULL));
    if (s->name_id_format)
        ADD(apr_pstrcat(p, "F", sipsso_escape_value(p, s->name_id_format), "\n", NULL));
    if (s->session_index)
        ADD(apr_pstrcat(p, "I", sipsso_escape_value(p, s->session_index), "\n", NULL));
    if (s->idp)
        ADD(apr_pstrcat(p, "P", sipsso_escape_value(p, s->idp), "\n", NULL));
    for (i = 0; s->claims && i < s->claims->nelts; i++) {
        const sipsso_claim *c = &APR_ARRAY_IDX(s->claims, i, sipsso_claim);
        ADD(apr_pstrcat(p, "K", compress_name(p, c->name), "\n", NULL));
        for (j = 0; j < c->values->nelts; j++)
            ADD(apr_pstrcat(p, "V", sipsso_escape_value(p,
                APR_ARRAY_IDX(c->values, j, const char *)), "\n", NULL));
    }
#undef ADD
    out = apr_array_pstrcat(p, parts, 0);
    *len = strlen(out);
    return out;
}

/* Whole seconds since the epoch, digits only (strtoll would also take a
 * sign, spaces and overflow silently). */
static int parse_time(const char *v, apr_time_t *t)
{
    apr_int64_t sec = 0;
    const char *d = v;
    for (; *d >= '0' && *d <= '9'; d++) {
        if (d - v >= 12)                /* past year 33000: not ours */
            return -1;
        sec = sec * 10 + (*d - '0');
    }
    if (d == v || *d != '\0')
        return -1;
    *t = apr_time_from_sec((apr_time_t)sec);
    return 0;
}

/* line is a writable copy: values are unescaped where they lie. */
static const char *decode_line(apr_pool_t *p, char *line, sipsso_session *s,
                               sipsso_claim **cur)
{
    char tag = line[0], *v = line + 1;
    /* times are digits as written; a claim name's first byte is its code */
    if (tag != 'C' && tag != 'E' && tag != 'A' &&
        sipsso_unescape_inplace(tag == 'K' && *v ? v + 1 : v) != 0)
        return "bad escape";
    switch (tag) {
    case 'C': return parse_time(v, &s->created) ? "bad C" : NULL;
    case 'E': return parse_time(v, &s->expires) ? "bad E" : NULL;
    case 'A': return parse_time(v, &s->last_access) ? "bad A" : NULL;
    case 'N': s->name_id = v; return NULL;
    case 'F': s->name_id_format = v; return NULL;
    case 'I': s->session_index = v; return NULL;
    case 'P': s->idp = v; return NULL;
    case 'K':
        *cur = &APR_ARRAY_PUSH(s->claims, sipsso_claim);
        (*cur)->name = expand_name(p, v);
        (*cur)->values = apr_array_make(p, 1, sizeof(const char *));
        return (*cur)->name ? NULL : "bad K";
    case 'V':
        if (*cur == NULL)
            return "value before claim";
        APR_ARRAY_PUSH((*cur)->values, const char *) = v;
        return NULL;
    default:
        return "unknown field";
    }
}

/* Runs on every authenticated request: lines are split and unescaped in
 * one copy of the record, without a pass per separator character. */
const char *sipsso_session_decode(apr_pool_t *p, const char *buf,
                                  apr_size_t len, sipsso_session *s)
{
    char *line = apr_pstrmemdup(p, buf, len), *end = line + len, *nl;
    sipsso_claim *cur = NULL;
    const char *err;
    int first = 1;

    memset(s, 0, sizeof(*s));
    if (len == 0 || memchr(buf, '\0', len) != NULL)
        return "not a session record";
    /* every line ends with '\n': a record cut short could have lost a
     * claim value's end, or whole claims */
    if (buf[len - 1] != '\n')
        return "truncated session record";
    s->claims = apr_array_make(p, 12, sizeof(sipsso_claim));
    for (; line < end; line = nl + 1) {
        if ((nl = memchr(line, '\n', (apr_size_t)(end - line))) == NULL)
            nl = end;
        *nl = '\0';
        if (first) {
            if (strcmp(line, SIPSSO_RECORD_MAGIC) != 0)
                return "not a session record";
            first = 0;
        }
        else if (*line != '\0' && (err = decode_line(p, line, s, &cur)) != NULL) {
            return err;
        }
    }
    if (first)
        return "not a session record";
    if (s->name_id == NULL || s->expires == 0)
        return "incomplete session record";
    return NULL;
}

const sipsso_claim *sipsso_session_claim(apr_pool_t *p,
                                         const sipsso_session *s,
                                         const char *name)
{
    int i;
    const char *upper = sipsso_claim_short(p, name);
    for (i = 0; i < s->claims->nelts; i++) {
        const sipsso_claim *c = &APR_ARRAY_IDX(s->claims, i, sipsso_claim);
        if (strcmp(c->name, name) == 0 ||
            (!strpbrk(name, "/:") &&
             strcmp(sipsso_claim_short(p, c->name), upper) == 0))
            return c;
    }
    return NULL;
}
