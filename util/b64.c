/* Base64 decoding that refuses what a lenient decoder would guess at: an
 * attacker's bytes must either be exactly what the IdP sent or be rejected. */
#include "util.h"
#include <string.h>

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Collect the significant characters; CR and LF are ignored. */
static char *b64_compact(apr_pool_t *p, const char *in, apr_size_t inlen,
                         apr_size_t *n)
{
    char *buf = apr_palloc(p, inlen + 1);
    apr_size_t i, k = 0;
    for (i = 0; i < inlen; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '\r' || c == '\n')
            continue;
        if (c != '=' && b64_value(c) < 0)
            return NULL;
        buf[k++] = (char)c;
    }
    buf[k] = '\0';
    *n = k;
    return buf;
}

unsigned char *sipsso_b64_decode_strict(apr_pool_t *p, const char *in,
                                        apr_size_t inlen, apr_size_t *outlen)
{
    apr_size_t n, i, o = 0, pad = 0;
    unsigned char *out;
    char *s = b64_compact(p, in, inlen, &n);

    if (s == NULL || n == 0 || n % 4 != 0)
        return NULL;
    if (s[n - 1] == '=') pad++;
    if (s[n - 2] == '=') pad++;
    for (i = 0; i < n - pad; i++)
        if (s[i] == '=')
            return NULL;
    out = apr_palloc(p, n / 4 * 3 + 1);
    for (i = 0; i < n; i += 4) {
        int a = b64_value(s[i]), b = b64_value(s[i + 1]);
        int c = s[i + 2] == '=' ? 0 : b64_value(s[i + 2]);
        int d = s[i + 3] == '=' ? 0 : b64_value(s[i + 3]);
        unsigned long v = ((unsigned long)a << 18) | ((unsigned long)b << 12)
                        | ((unsigned long)c << 6) | (unsigned long)d;
        out[o++] = (unsigned char)(v >> 16);
        if (s[i + 2] != '=') out[o++] = (unsigned char)(v >> 8);
        if (s[i + 3] != '=') out[o++] = (unsigned char)v;
    }
    /* Non-canonical encodings (stray bits in the last character) would let
     * two different strings decode to the same bytes. */
    if ((pad == 1 && (b64_value(s[n - 2]) & 0x3)) ||
        (pad == 2 && (b64_value(s[n - 3]) & 0xf)))
        return NULL;
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* One encoder for both alphabets; url=1 also drops the padding. */
static char *b64_encode(apr_pool_t *p, const unsigned char *in, apr_size_t len,
                        int url)
{
    const char *tbl = url
        ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = apr_palloc(p, (len + 2) / 3 * 4 + 1);
    apr_size_t i, o = 0;
    for (i = 0; i < len; i += 3) {
        unsigned long v = (unsigned long)in[i] << 16;
        if (i + 1 < len) v |= (unsigned long)in[i + 1] << 8;
        if (i + 2 < len) v |= in[i + 2];
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        if (i + 1 < len) out[o++] = tbl[(v >> 6) & 63];
        else if (!url) out[o++] = '=';
        if (i + 2 < len) out[o++] = tbl[v & 63];
        else if (!url) out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}

char *sipsso_b64url_encode(apr_pool_t *p, const unsigned char *in,
                           apr_size_t len)
{
    return b64_encode(p, in, len, 1);
}

char *sipsso_b64_encode(apr_pool_t *p, const unsigned char *in, apr_size_t len)
{
    return b64_encode(p, in, len, 0);
}

int sipsso_is_b64url_token(const char *s, apr_size_t n)
{
    apr_size_t i;
    if (s == NULL)
        return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return s[n] == '\0';
}
