/* Small text helpers shared by pages, logs and the session record. */
#include "util.h"
#include <apr_strings.h>
#include <openssl/sha.h>
#include <string.h>
#include <stdlib.h>
#include <ctype.h>

int sipsso_ct_streq(const char *a, const char *b)
{
    apr_size_t la = strlen(a), lb = strlen(b), i;
    unsigned char diff = (unsigned char)(la != lb);
    const char *bb = lb ? b : "";
    for (i = 0; i < la; i++)
        diff |= (unsigned char)(a[i] ^ bb[lb ? i % lb : 0]);
    return diff == 0;
}

char *sipsso_html_escape(apr_pool_t *p, const char *s)
{
    apr_size_t n = 0;
    const char *c;
    char *out, *o;
    if (s == NULL)
        return "";
    for (c = s; *c; c++)
        n += (*c == '<' || *c == '>' || *c == '&' || *c == '"' ||
              *c == '\'') ? 6 : 1;
    out = o = apr_palloc(p, n + 1);
    for (c = s; *c; c++) {
        switch (*c) {
        case '<': memcpy(o, "&lt;", 4); o += 4; break;
        case '>': memcpy(o, "&gt;", 4); o += 4; break;
        case '&': memcpy(o, "&amp;", 5); o += 5; break;
        case '"': memcpy(o, "&quot;", 6); o += 6; break;
        case '\'': memcpy(o, "&#39;", 5); o += 5; break;
        default: *o++ = *c;
        }
    }
    *o = '\0';
    return out;
}

static char *hex(apr_pool_t *p, const unsigned char *d, apr_size_t n,
                 const char *digits)
{
    char *out = apr_palloc(p, n * 2 + 1);
    apr_size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
}

/* OpenSSL 3's one-shot SHA256() looks the algorithm up in the provider
 * store on every call, under a lock all threads share, and EVP_Digest()
 * allocates a context: on the hot path of every authenticated request that
 * was a third of the module's time.  The low-level calls do neither; they
 * are deprecated only in favour of EVP, not unsafe. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
void sipsso_sha256(const void *data, apr_size_t len,
                   unsigned char out[SIPSSO_SHA256_LEN])
{
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, data, len);
    SHA256_Final(out, &ctx);
}
#pragma GCC diagnostic pop

char *sipsso_sha256_hex(apr_pool_t *p, const void *data, apr_size_t len)
{
    unsigned char md[SIPSSO_SHA256_LEN];
    sipsso_sha256(data, len, md);
    return hex(p, md, sizeof(md), "0123456789abcdef");
}

char *sipsso_sha1_thumbprint(apr_pool_t *p, const void *data, apr_size_t len)
{
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1(data, len, md);
    return hex(p, md, sizeof(md), "0123456789ABCDEF");
}

char *sipsso_escape_value(apr_pool_t *p, const char *s)
{
    static const char hx[] = "0123456789ABCDEF";
    apr_size_t n = strlen(s), i, o = 0;
    char *out = apr_palloc(p, n * 3 + 1);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '%') {
            out[o++] = '%';
            out[o++] = hx[c >> 4];
            out[o++] = hx[c & 15];
        }
        else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return out;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Our own escaping never produces '+', so plain %-decoding suffices;
 * sipsso_url_decode would map '+' to a space.  Decoding never lengthens,
 * so it is done where the value lies. */
int sipsso_unescape_inplace(char *s)
{
    char *in = strchr(s, '%'), *out;
    if (in == NULL)                     /* most values: nothing escaped */
        return 0;
    for (out = in; *in; in++) {
        int hi, lo;
        if (*in != '%') {
            *out++ = *in;
            continue;
        }
        hi = hex_digit(in[1]);
        lo = hi < 0 ? -1 : hex_digit(in[2]);
        if (lo < 0 || (hi | lo) == 0)
            return -1;                  /* never produced by our escaping */
        *out++ = (char)(hi << 4 | lo);
        in += 2;
    }
    *out = '\0';
    return 0;
}

char *sipsso_unescape_value(apr_pool_t *p, const char *s)
{
    char *out = apr_pstrdup(p, s);
    return sipsso_unescape_inplace(out) == 0 ? out : NULL;
}
