/* URL and form decoding.  Everything here is bounded by its input length
 * and refuses malformed escapes instead of passing them through. */
#include "util.h"
#include <apr_strings.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *sipsso_url_decode(apr_pool_t *p, const char *in, apr_size_t len)
{
    char *out = apr_palloc(p, len + 1);
    apr_size_t i, o = 0;
    for (i = 0; i < len; i++) {
        if (in[i] == '%') {
            int h, l;
            if (i + 2 >= len || (h = hexval(in[i + 1])) < 0 ||
                (l = hexval(in[i + 2])) < 0 || (h == 0 && l == 0))
                return NULL;
            out[o++] = (char)(h * 16 + l);
            i += 2;
        }
        else if (in[i] == '+') {
            out[o++] = ' ';
        }
        else if (in[i] == '\0') {
            return NULL;
        }
        else {
            out[o++] = in[i];
        }
    }
    out[o] = '\0';
    return out;
}

char *sipsso_url_encode(apr_pool_t *p, const char *in)
{
    static const char hex[] = "0123456789ABCDEF";
    apr_size_t len = strlen(in), i, o = 0;
    char *out = apr_palloc(p, len * 3 + 1);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~') {
            out[o++] = (char)c;
        }
        else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

apr_table_t *sipsso_form_parse(apr_pool_t *p, const char *body,
                               apr_size_t len, int max_fields,
                               const char **err)
{
    apr_table_t *t = apr_table_make(p, 4);
    apr_size_t pos = 0;
    int n = 0;

    while (pos < len) {
        const char *amp = memchr(body + pos, '&', len - pos);
        apr_size_t end = amp ? (apr_size_t)(amp - body) : len;
        const char *eq = memchr(body + pos, '=', end - pos);
        char *name, *value;

        if (end > pos) {
            if (eq == NULL || eq == body + pos) {
                *err = "form field without a name or '='";
                return NULL;
            }
            name = sipsso_url_decode(p, body + pos, (apr_size_t)(eq - body) - pos);
            value = sipsso_url_decode(p, eq + 1, end - (apr_size_t)(eq - body) - 1);
            if (name == NULL || value == NULL) {
                *err = "malformed %-escape in form data";
                return NULL;
            }
            if (++n > max_fields) {
                *err = "too many form fields";
                return NULL;
            }
            if (apr_table_get(t, name) != NULL) {
                *err = apr_psprintf(p, "form field %s given twice",
                                    sipsso_html_escape(p, name));
                return NULL;
            }
            apr_table_setn(t, name, value);
        }
        pos = end + 1;
    }
    return t;
}

char *sipsso_query_param(apr_pool_t *p, const char *query, const char *name)
{
    apr_size_t nlen = strlen(name);
    const char *s = query;

    while (s && *s) {
        const char *amp = strchr(s, '&');
        apr_size_t seg = amp ? (apr_size_t)(amp - s) : strlen(s);
        if (seg > nlen && strncmp(s, name, nlen) == 0 && s[nlen] == '=')
            return sipsso_url_decode(p, s + nlen + 1, seg - nlen - 1);
        s = amp ? amp + 1 : NULL;
    }
    return NULL;
}
