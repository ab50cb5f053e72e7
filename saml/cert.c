/* Certificates are parsed with OpenSSL once, when the directive is read, so
 * a wrong file stops httpd at startup with the file's name rather than
 * failing every sign-in later. */
#include "cert.h"
#include "../util/util.h"
#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/x509.h>
#include <string.h>

#define SIPSSO_MAX_CERT_FILE (64 * 1024)

static apr_time_t asn1_to_apr(const ASN1_TIME *t)
{
    struct tm tm;
    apr_time_exp_t e;
    apr_time_t out = 0;
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    memset(&e, 0, sizeof(e));
    e.tm_year = tm.tm_year; e.tm_mon = tm.tm_mon; e.tm_mday = tm.tm_mday;
    e.tm_hour = tm.tm_hour; e.tm_min = tm.tm_min; e.tm_sec = tm.tm_sec;
    apr_time_exp_gmt_get(&out, &e);
    return out;
}

static const char *cert_from_der(apr_pool_t *p, const unsigned char *der,
                                 apr_size_t len, const char *source,
                                 sipsso_cert *out)
{
    const unsigned char *q = der;
    X509 *x = d2i_X509(NULL, &q, (long)len);
    char buf[512];

    if (x == NULL || q != der + len) {
        if (x) X509_free(x);
        return "not an X.509 certificate";
    }
    out->der = der;
    out->der_len = len;
    out->b64 = NULL;
    out->thumbprint = sipsso_sha1_thumbprint(p, der, len);
    X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof(buf));
    out->subject = apr_pstrdup(p, buf);
    out->not_before = asn1_to_apr(X509_get0_notBefore(x));
    out->not_after = asn1_to_apr(X509_get0_notAfter(x));
    out->source = source;
    X509_free(x);
    return NULL;
}

/* Keep only base64 characters between an optional BEGIN/END pair. */
static const char *pem_body(apr_pool_t *p, const char *buf, apr_size_t len,
                            char **body)
{
    const char *begin = "-----BEGIN CERTIFICATE-----";
    const char *end = "-----END CERTIFICATE-----";
    char *text = apr_pstrmemdup(p, buf, len), *s, *e, *o;

    if ((s = strstr(text, "-----BEGIN")) != NULL) {
        if (strncmp(s, begin, strlen(begin)) != 0)
            return "holds a PEM block that is not a CERTIFICATE "
                   "(a private key or a request?)";
        s += strlen(begin);
        if ((e = strstr(s, end)) == NULL)
            return "has BEGIN CERTIFICATE without END CERTIFICATE";
        if (strstr(e + strlen(end), "-----BEGIN") != NULL)
            return "holds more than one PEM block; give one certificate "
                   "per directive";
        *e = '\0';
    }
    else {
        s = text;
    }
    *body = o = apr_palloc(p, strlen(s) + 1);
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
            continue;
        *o++ = *s;
    }
    *o = '\0';
    return NULL;
}

const char *sipsso_cert_from_buffer(apr_pool_t *p, const char *buf,
                                    apr_size_t len, const char *source,
                                    sipsso_cert *out)
{
    const char *err;
    char *body;
    unsigned char *der;
    apr_size_t der_len;

    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        buf += 3;                       /* Notepad's UTF-8 byte-order mark */
        len -= 3;
    }
    if (len == 0)
        return "is empty";
    if ((unsigned char)buf[0] == 0x30) {   /* DER: an ASN.1 SEQUENCE */
        der = apr_pmemdup(p, buf, len);
        der_len = len;
    }
    else {
        if ((err = pem_body(p, buf, len, &body)) != NULL)
            return err;
        der = sipsso_b64_decode_strict(p, body, strlen(body), &der_len);
        if (der == NULL)
            return "is neither PEM nor base64 nor DER";
    }
    if ((err = cert_from_der(p, der, der_len, source, out)) != NULL)
        return err;
    out->b64 = sipsso_b64_encode(p, der, der_len);
    return NULL;
}

const char *sipsso_cert_from_b64(apr_pool_t *p, const char *b64,
                                 const char *source, sipsso_cert *out)
{
    return sipsso_cert_from_buffer(p, b64, strlen(b64), source, out);
}

const char *sipsso_cert_load_file(apr_pool_t *p, const char *path,
                                  sipsso_cert *out)
{
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf;
    apr_size_t n;

    if (apr_file_open(&f, path, APR_READ | APR_BINARY, 0, p) != APR_SUCCESS)
        return "cannot be read";
    if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS ||
        fi.size > SIPSSO_MAX_CERT_FILE) {
        apr_file_close(f);
        return "is too large to be a certificate";
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(p, n + 1);
    if (n > 0 && apr_file_read_full(f, buf, n, &n) != APR_SUCCESS) {
        apr_file_close(f);
        return "cannot be read";
    }
    apr_file_close(f);
    return sipsso_cert_from_buffer(p, buf, n, path, out);
}

const char *sipsso_cert_describe(apr_pool_t *p, const sipsso_cert *c)
{
    char *nb = sipsso_format_xs_datetime(p, c->not_before);
    char *na = sipsso_format_xs_datetime(p, c->not_after);
    return apr_psprintf(p, "thumbprint %s (%s, valid %.10s to %.10s)",
                        c->thumbprint, c->subject, nb, na);
}
