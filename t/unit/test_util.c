/* util/: strict base64, base64url tokens, form and URL decoding, the
 * ReturnTo validator, claim short names, xs:dateTime, and the small text
 * helpers.  Every check asserts an exact value.
 *
 * Checks for behaviour believed wrong are kept in known_bugs() and compiled
 * only with -DSIPSSO_UNIT_KNOWN_BUGS, e.g.
 *   make EXTRA_CFLAGS=-DSIPSSO_UNIT_KNOWN_BUGS t/unit/run_unit
 * (rebuild without it afterwards). */
#include "unit.h"
#include "../../util/util.h"
#include <apr_strings.h>

/* Decode a NUL-terminated string; NULL when refused. */
static const char *dec(apr_pool_t *p, const char *s, apr_size_t *len)
{
    apr_size_t dummy = (apr_size_t)-1;
    unsigned char *out = sipsso_b64_decode_strict(p, s, strlen(s),
                                                  len ? len : &dummy);
    return (const char *)out;
}

/* Standard padded base64 built from the base64url encoder. */
static char *std_b64(apr_pool_t *p, const unsigned char *in, apr_size_t len)
{
    char *u = sipsso_b64url_encode(p, in, len), *c;
    for (c = u; *c; c++) {
        if (*c == '-') *c = '+';
        else if (*c == '_') *c = '/';
    }
    if (len % 3 == 1) return apr_pstrcat(p, u, "==", NULL);
    if (len % 3 == 2) return apr_pstrcat(p, u, "=", NULL);
    return u;
}

static void b64_decode(apr_pool_t *p)
{
    static const char *const plain[] = { "f", "fo", "foo", "foob", "fooba", "foobar" };
    static const char *const enc[] = { "Zg==", "Zm8=", "Zm9v", "Zm9vYg==",
                                       "Zm9vYmE=", "Zm9vYmFy" };
    static const unsigned char bin[] = { 0xfb, 0xff, 0x00, 0x80, 0x7f, 0x01 };
    unsigned char big[200];
    apr_size_t n, i;
    const char *out;
    char *wrapped, *w;

    /* RFC 4648 section 10 vectors, exact length and bytes, NUL appended. */
    for (i = 0; i < 6; i++) {
        n = 999;
        out = dec(p, enc[i], &n);
        CHECK_STR(out, plain[i]);
        CHECK(n == strlen(plain[i]));
        CHECK(out && out[n] == '\0');
    }
    /* The whole alphabet, binary bytes including NUL. */
    out = dec(p, "+/8=", &n);
    CHECK(out && n == 2 && memcmp(out, "\xfb\xff", 2) == 0);
    out = dec(p, "AAAA", &n);
    CHECK(out && n == 3 && memcmp(out, "\0\0\0", 3) == 0);
    out = dec(p, "+/8AgH8B", &n);
    CHECK(out && n == 6 && memcmp(out, bin, 6) == 0);
    CHECK_STR(std_b64(p, bin, 6), "+/8AgH8B");
    CHECK_STR(dec(p, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=", NULL),
              "ABCDEFGHIJKLMNOPQRSTUVWXYZ");

    /* inlen, not strlen, bounds the input. */
    out = (const char *)sipsso_b64_decode_strict(p, "Zm9vYmFy", 4, &n);
    CHECK_STR(out, "foo");
    CHECK(n == 3);

    /* CR/LF wrapping as IdPs do it (76 columns, CRLF or LF). */
    CHECK_STR(dec(p, "Zm9v\r\nYmFy", NULL), "foobar");
    CHECK_STR(dec(p, "Zm9v\nYmFy\n", NULL), "foobar");
    CHECK_STR(dec(p, "Zm9vYmFy\r\n", NULL), "foobar");
    for (i = 0; i < sizeof(big); i++)
        big[i] = (unsigned char)(i * 7 + 3);
    w = std_b64(p, big, sizeof(big));
    CHECK(strlen(w) == 268);
    wrapped = "";
    while (strlen(w) > 76) {
        wrapped = apr_pstrcat(p, wrapped, apr_pstrndup(p, w, 76), "\r\n", NULL);
        w += 76;
    }
    wrapped = apr_pstrcat(p, wrapped, w, NULL);
    out = dec(p, wrapped, &n);
    CHECK(out && n == sizeof(big) && memcmp(out, big, sizeof(big)) == 0);

    /* Refused: anything outside the alphabet... */
    CHECK(dec(p, "Zm9v YmFy", NULL) == NULL);
    CHECK(dec(p, " Zm9vYmFy", NULL) == NULL);
    CHECK(dec(p, "Zm9vYmFy ", NULL) == NULL);
    CHECK(dec(p, "Zm9v\tYmFy", NULL) == NULL);
    CHECK(dec(p, "-_8=", NULL) == NULL);          /* base64url alphabet */
    CHECK(dec(p, "Zm9-", NULL) == NULL);
    CHECK(dec(p, "Zm9_", NULL) == NULL);
    CHECK(dec(p, "Zm9v.mFy", NULL) == NULL);
    CHECK(dec(p, "Zm9v\xc3\xa9mFy", NULL) == NULL);
    CHECK(sipsso_b64_decode_strict(p, "Zm9v\0YmFy", 9, &n) == NULL);
    /* ...'=' anywhere but the end... */
    CHECK(dec(p, "Zm=v", NULL) == NULL);
    CHECK(dec(p, "Zg==Zg==", NULL) == NULL);
    CHECK(dec(p, "Zg==\r\nZg==", NULL) == NULL);
    CHECK(dec(p, "Z=9v", NULL) == NULL);
    CHECK(dec(p, "=m9v", NULL) == NULL);
    CHECK(dec(p, "Z===", NULL) == NULL);
    CHECK(dec(p, "====", NULL) == NULL);
    CHECK(dec(p, "Zg=A", NULL) == NULL);
    /* ...a length that is not a multiple of 4 (missing or extra padding)... */
    CHECK(dec(p, "Zg", NULL) == NULL);
    CHECK(dec(p, "Zg=", NULL) == NULL);
    CHECK(dec(p, "Zm9", NULL) == NULL);
    CHECK(dec(p, "Zm9vY", NULL) == NULL);
    CHECK(dec(p, "Zm8==", NULL) == NULL);
    CHECK(dec(p, "Zm9vYmFy=", NULL) == NULL);
    CHECK(dec(p, "Zm9vYmFy====", NULL) == NULL);
    /* ...non-zero pad bits (a second spelling of the same bytes)... */
    CHECK_STR(dec(p, "QQ==", NULL), "A");
    CHECK(dec(p, "QR==", NULL) == NULL);
    CHECK(dec(p, "QX==", NULL) == NULL);
    CHECK_STR(dec(p, "QUI=", NULL), "AB");
    CHECK(dec(p, "QUJ=", NULL) == NULL);
    CHECK(dec(p, "Zm9=", NULL) == NULL);
    /* ...and nothing at all. */
    CHECK(dec(p, "", NULL) == NULL);
    CHECK(dec(p, "\r\n", NULL) == NULL);
    CHECK(sipsso_b64_decode_strict(p, "Zm9v", 0, &n) == NULL);
}

static void b64url(apr_pool_t *p)
{
    static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
    static const char *const enc[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg",
                                       "Zm9vYmE", "Zm9vYmFy" };
    unsigned char tok[32];
    apr_size_t i, n;
    char *e;
    const char *back;

    for (i = 0; i < 7; i++)
        CHECK_STR(sipsso_b64url_encode(p, (const unsigned char *)plain[i],
                                       strlen(plain[i])), enc[i]);
    CHECK_STR(sipsso_b64url_encode(p, (const unsigned char *)"\xfb\xff\xfe", 3),
              "-__-");
    CHECK_STR(sipsso_b64url_encode(p, (const unsigned char *)"\xfb\xff", 2), "-_8");

    /* A 256-bit session token: 43 characters, no padding, and it decodes
     * back (via the standard alphabet) to the same bytes. */
    for (i = 0; i < sizeof(tok); i++)
        tok[i] = (unsigned char)(0xff - i * 9);
    e = sipsso_b64url_encode(p, tok, sizeof(tok));
    CHECK(strlen(e) == 43);
    CHECK(strchr(e, '=') == NULL);
    CHECK(sipsso_is_b64url_token(e, 43));
    back = dec(p, std_b64(p, tok, sizeof(tok)), &n);
    CHECK(back && n == sizeof(tok) && memcmp(back, tok, n) == 0);
    {
        /* base64url to base64: same characters but '-' '_' -> '+' '/'. */
        char *s = apr_pstrdup(p, e), *c;
        for (c = s; *c; c++) {
            if (*c == '-') *c = '+';
            else if (*c == '_') *c = '/';
        }
        CHECK_STR(apr_pstrcat(p, s, "=", NULL), std_b64(p, tok, sizeof(tok)));
    }

    /* Exact length, alphabet only. */
    CHECK(sipsso_is_b64url_token("abcXYZ019-_", 11));
    CHECK(!sipsso_is_b64url_token("abcXYZ019-_", 10));  /* longer than n */
    CHECK(!sipsso_is_b64url_token("abcXYZ019-_", 12));  /* shorter than n */
    CHECK(!sipsso_is_b64url_token("abc+YZ019-_", 11));
    CHECK(!sipsso_is_b64url_token("abc/YZ019-_", 11));
    CHECK(!sipsso_is_b64url_token("abcXYZ019-=", 11));
    CHECK(!sipsso_is_b64url_token("abc YZ019-_", 11));
    CHECK(!sipsso_is_b64url_token("abc.YZ019-_", 11));
    CHECK(!sipsso_is_b64url_token("abc\xc3\xa9Z019-_", 11));
    CHECK(!sipsso_is_b64url_token(NULL, 11));
    CHECK(sipsso_is_b64url_token("", 0));
    CHECK(!sipsso_is_b64url_token("a", 0));
}

static int nfields(apr_table_t *t)
{
    return t ? apr_table_elts(t)->nelts : -1;
}

static apr_table_t *form(apr_pool_t *p, const char *body, int max,
                         const char **err)
{
    *err = NULL;
    return sipsso_form_parse(p, body, strlen(body), max, err);
}

static void form_parse(apr_pool_t *p)
{
    const char *err;
    apr_table_t *t;

    t = form(p, "SAMLResponse=PHNhbWw%2B&RelayState=abc+def%21", 10, &err);
    CHECK(nfields(t) == 2);
    CHECK(err == NULL);
    if (t) {
        CHECK_STR(apr_table_get(t, "SAMLResponse"), "PHNhbWw+");
        CHECK_STR(apr_table_get(t, "RelayState"), "abc def!");
    }
    /* '+' is a space, %2B a plus; %XX in either case; names decoded too. */
    t = form(p, "a=1+2%2B3&b=%41%62%e2%82%AC&c%5Fd=x", 10, &err);
    CHECK(nfields(t) == 3);
    if (t) {
        CHECK_STR(apr_table_get(t, "a"), "1 2+3");
        CHECK_STR(apr_table_get(t, "b"), "Ab\xe2\x82\xac");
        CHECK_STR(apr_table_get(t, "c_d"), "x");
    }
    /* Empty values, '=' inside a value. */
    t = form(p, "a=&b==x=", 10, &err);
    CHECK(nfields(t) == 2);
    if (t) {
        CHECK_STR(apr_table_get(t, "a"), "");
        CHECK_STR(apr_table_get(t, "b"), "=x=");
    }
    /* Empty segments are tolerated. */
    t = form(p, "a=1&&b=2", 10, &err);
    CHECK(nfields(t) == 2);
    if (t) {
        CHECK_STR(apr_table_get(t, "a"), "1");
        CHECK_STR(apr_table_get(t, "b"), "2");
    }
    t = form(p, "&a=1&", 10, &err);
    CHECK(nfields(t) == 1);
    t = form(p, "", 10, &err);
    CHECK(nfields(t) == 0);
    t = form(p, "&&&", 10, &err);
    CHECK(nfields(t) == 0);
    /* The length, not the NUL, ends the body. */
    t = sipsso_form_parse(p, "a=1&b=2", 3, 10, &err);
    CHECK(nfields(t) == 1);
    if (t) {
        CHECK_STR(apr_table_get(t, "a"), "1");
        CHECK(apr_table_get(t, "b") == NULL);
    }

    /* Malformed %-escapes, in a value or a name, and an encoded NUL. */
    CHECK(form(p, "a=%4", 10, &err) == NULL);
    CHECK_STR(err, "malformed %-escape in form data");
    CHECK(form(p, "a=%4&b=1", 10, &err) == NULL);
    CHECK(form(p, "a=%", 10, &err) == NULL);
    CHECK(form(p, "a=%zz", 10, &err) == NULL);
    CHECK_STR(err, "malformed %-escape in form data");
    CHECK(form(p, "a=%g1", 10, &err) == NULL);
    CHECK(form(p, "a=%1g", 10, &err) == NULL);
    CHECK(form(p, "a=%00", 10, &err) == NULL);
    CHECK(form(p, "a=x%00y", 10, &err) == NULL);
    CHECK(form(p, "%zz=1", 10, &err) == NULL);
    CHECK(form(p, "a%00=1", 10, &err) == NULL);
    CHECK(sipsso_form_parse(p, "a=1\0b=2", 7, 10, &err) == NULL);

    /* A second SAMLResponse must not win, nor a differently-cased one. */
    CHECK(form(p, "SAMLResponse=x&RelayState=r&SAMLResponse=y", 10, &err) == NULL);
    CHECK_STR(err, "form field SAMLResponse given twice");
    CHECK(form(p, "SAMLResponse=x&SAMLResponse=x", 10, &err) == NULL);
    CHECK(form(p, "SAMLResponse=x&samlresponse=y", 10, &err) == NULL);
    CHECK(form(p, "SAMLResponse=x&SAML%52esponse=y", 10, &err) == NULL);
    CHECK(form(p, "<b>=1&<b>=2", 10, &err) == NULL);
    CHECK_STR(err, "form field &lt;b&gt; given twice");

    /* Field count limit: exactly max is fine, one more is not. */
    t = form(p, "a=1&b=2&c=3", 3, &err);
    CHECK(nfields(t) == 3);
    CHECK(form(p, "a=1&b=2&c=3", 2, &err) == NULL);
    CHECK_STR(err, "too many form fields");
    CHECK(form(p, "a=1&&&&b=2", 2, &err) != NULL);    /* empty ones don't count */

    /* A field without '=' or with an empty name. */
    CHECK(form(p, "a=1&b", 10, &err) == NULL);
    CHECK_STR(err, "form field without a name or '='");
    CHECK(form(p, "SAMLResponse", 10, &err) == NULL);
    CHECK(form(p, "=x", 10, &err) == NULL);
    CHECK_STR(err, "form field without a name or '='");
    CHECK(form(p, "a=1&=2", 10, &err) == NULL);
}

static void url_codec(apr_pool_t *p)
{
    const char *all = "a b/c?d=e&f+g%h~-._\xc3\xa9\t";
    char *e;

#define UD(s) sipsso_url_decode(p, (s), strlen(s))
    CHECK_STR(UD("%41%62"), "Ab");
    CHECK_STR(UD("%2f%2F"), "//");
    CHECK_STR(UD("a+b"), "a b");
    CHECK_STR(UD("a%2Bb"), "a+b");
    CHECK_STR(UD("%e2%82%ac"), "\xe2\x82\xac");
    CHECK_STR(UD(""), "");
    CHECK_STR(UD("plain"), "plain");
    CHECK(UD("%") == NULL);
    CHECK(UD("%4") == NULL);
    CHECK(UD("ab%4") == NULL);
    CHECK(UD("%zz") == NULL);
    CHECK(UD("%-1") == NULL);
    CHECK(UD("% 1") == NULL);
    CHECK(UD("%00") == NULL);
    CHECK_STR(UD("%01"), "\x01");
    CHECK(sipsso_url_decode(p, "a\0b", 3) == NULL);
    CHECK_STR(sipsso_url_decode(p, "%41%42", 3), "A");
    CHECK(sipsso_url_decode(p, "%41%42", 4) == NULL);
    CHECK(sipsso_url_decode(p, "%41%42", 5) == NULL);
#undef UD

    e = sipsso_url_encode(p, all);
    CHECK_STR(e, "a%20b%2Fc%3Fd%3De%26f%2Bg%25h~-._%C3%A9%09");
    CHECK_STR(sipsso_url_decode(p, e, strlen(e)), all);
    CHECK_STR(sipsso_url_encode(p, ""), "");
    CHECK_STR(sipsso_url_encode(p, "AZaz09"), "AZaz09");
    CHECK_STR(sipsso_url_encode(p, "\x7f\xff"), "%7F%FF");

#define QP(q, n) sipsso_query_param(p, (q), (n))
    CHECK_STR(QP("ReturnTo=%2Fapp%2Fx%3Fy%3D1&b=2", "ReturnTo"), "/app/x?y=1");
    CHECK_STR(QP("a=1&ReturnTo=/x+y", "ReturnTo"), "/x y");
    CHECK_STR(QP("ReturnTo=/first&ReturnTo=/second", "ReturnTo"), "/first");
    CHECK_STR(QP("ReturnTo=", "ReturnTo"), "");
    CHECK_STR(QP("a=1&&ReturnTo=/z", "ReturnTo"), "/z");
    CHECK_STR(QP("a=1&b=2", "b"), "2");
    CHECK(QP("xReturnTo=/a", "ReturnTo") == NULL);
    CHECK(QP("ReturnTox=/a", "ReturnTo") == NULL);
    CHECK(QP("returnto=/a", "ReturnTo") == NULL);
    CHECK(QP("ReturnTo", "ReturnTo") == NULL);
    CHECK(QP("ReturnTo&x=ReturnTo=/a", "ReturnTo") == NULL);
    CHECK(QP("ReturnTo=%zz", "ReturnTo") == NULL);
    CHECK(QP("ReturnTo=%00", "ReturnTo") == NULL);
    CHECK(QP("", "ReturnTo") == NULL);
    CHECK(QP(NULL, "ReturnTo") == NULL);
#undef QP
}

static void local_url(apr_pool_t *p)
{
    static const char *const good[] = {
        "/", "/app/x?y=1#f", "/app", "/app/", "/a/b/../c", "/app/%2F%2Fx",
        "/a//b", "/?ReturnTo=//evil", "/%41pp", "/caf\xc3\xa9", "/a b", NULL
    };
    static const char *const bad[] = {
        "", "https://evil", "http://evil/", "//evil", "//evil/x", "///evil",
        "/\\evil", "\\\\evil", "\\/evil", "/%2F%2Fevil", "/%2fevil", "/%2F",
        "/%5Cevil", "/%5cevil", "/%5C", "http:evil", "https:/evil",
        "javascript:alert(1)", "data:text/html,x", "app/x", "?x=1", "#f",
        " /app", "./app", "/app\\x", "/a\rb", "/a\nb", "/a\tb", "/\t/evil",
        "/\n/evil", "/\x01", "/a\x1f", "/a\x7f", "/\r\nSet-Cookie:x=1",
        NULL
    };
    char *s;
    int i;

    for (i = 0; good[i]; i++) {
        const char *r = sipsso_local_url(p, good[i]);
        CHECK(r == good[i]);
        if (r != good[i])
            fprintf(stderr, "  local_url refused \"%s\"\n", good[i]);
    }
    for (i = 0; bad[i]; i++) {
        const char *r = sipsso_local_url(p, bad[i]);
        CHECK(r == NULL);
        if (r)
            fprintf(stderr, "  local_url accepted \"%s\"\n", bad[i]);
    }
    CHECK(sipsso_local_url(p, NULL) == NULL);

    /* 2048 characters is the limit. */
    s = apr_palloc(p, 2050);
    memset(s, 'a', 2049);
    s[0] = '/';
    s[2048] = '\0';
    CHECK(sipsso_local_url(p, s) == s);
    s[2048] = 'a';
    s[2049] = '\0';
    CHECK(sipsso_local_url(p, s) == NULL);
}

static void claim_short(apr_pool_t *p)
{
#define MS "http://schemas.microsoft.com/identity/claims/"
#define XS "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
    /* Entra's default claims, and groups. */
    CHECK_STR(sipsso_claim_short(p, MS "tenantid"), "TENANTID");
    CHECK_STR(sipsso_claim_short(p, MS "objectidentifier"), "OBJECTIDENTIFIER");
    CHECK_STR(sipsso_claim_short(p, MS "displayname"), "DISPLAYNAME");
    CHECK_STR(sipsso_claim_short(p, MS "identityprovider"), "IDENTITYPROVIDER");
    CHECK_STR(sipsso_claim_short(p, "http://schemas.microsoft.com/claims/"
                                 "authnmethodsreferences"),
              "AUTHNMETHODSREFERENCES");
    CHECK_STR(sipsso_claim_short(p, XS "givenname"), "GIVENNAME");
    CHECK_STR(sipsso_claim_short_prefixed(p, "SIPSSO_", XS "givenname"),
              "SIPSSO_GIVENNAME");
    CHECK_STR(sipsso_claim_short_prefixed(p, "SIPSSO_", "urn:a:b#given-name/"),
              "SIPSSO_GIVEN_NAME");
    CHECK_STR(sipsso_claim_short_prefixed(p, "SIPSSO_", "///"), "SIPSSO____");
    CHECK_STR(sipsso_claim_short_prefixed(p, "SIPSSO_", ""), "SIPSSO__");
    {
        apr_array_header_t *v = apr_array_make(p, 2, sizeof(const char *));
        CHECK_STR(sipsso_join_values(p, v), "");
        APR_ARRAY_PUSH(v, const char *) = "a";
        CHECK_STR(sipsso_join_values(p, v), "a");
        APR_ARRAY_PUSH(v, const char *) = "";
        APR_ARRAY_PUSH(v, const char *) = "b;c";
        CHECK_STR(sipsso_join_values(p, v), "a;;b;c");
    }
    CHECK_STR(sipsso_claim_short(p, XS "surname"), "SURNAME");
    CHECK_STR(sipsso_claim_short(p, XS "emailaddress"), "EMAILADDRESS");
    CHECK_STR(sipsso_claim_short(p, XS "name"), "NAME");
    CHECK_STR(sipsso_claim_short(p, "http://schemas.microsoft.com/ws/2008/06/"
                                 "identity/claims/groups"), "GROUPS");
    CHECK_STR(sipsso_claim_short(p, "http://schemas.microsoft.com/ws/2008/06/"
                                 "identity/claims/role"), "ROLE");
    /* URNs: ':' separates segments, '.' is folded; the last ':' segment of
     * urn:oid:0.9.2342.19200300.100.1.3 is the whole OID. */
    CHECK_STR(sipsso_claim_short(p, "urn:oid:0.9.2342.19200300.100.1.3"),
              "0_9_2342_19200300_100_1_3");
    CHECK_STR(sipsso_claim_short(p, "urn:oid:2.5.4.42"), "2_5_4_42");
    CHECK_STR(sipsso_claim_short(p, "urn:example:employeeNumber"), "EMPLOYEENUMBER");
    /* Trailing slashes, fragments, plain names. */
    CHECK_STR(sipsso_claim_short(p, "http://example.com/claims/department/"), "DEPARTMENT");
    CHECK_STR(sipsso_claim_short(p, "http://example.com/claims/department//"), "DEPARTMENT");
    CHECK_STR(sipsso_claim_short(p, "http://example.com/claims#Role"), "ROLE");
    CHECK_STR(sipsso_claim_short(p, "department"), "DEPARTMENT");
    CHECK_STR(sipsso_claim_short(p, "Department"), "DEPARTMENT");
    CHECK_STR(sipsso_claim_short(p, "extension_1a2b3c_costCenter"),
              "EXTENSION_1A2B3C_COSTCENTER");
    /* Anything but [A-Za-z0-9] becomes '_', one per byte. */
    CHECK_STR(sipsso_claim_short(p, "http://example.com/claims/employee-id.v2"),
              "EMPLOYEE_ID_V2");
    CHECK_STR(sipsso_claim_short(p, "a b;c=d\r\ne"), "A_B_C_D__E");
    CHECK_STR(sipsso_claim_short(p, "http://example.com/caf\xc3\xa9"), "CAF__");
    /* Degenerate names never give an empty short name. */
    CHECK_STR(sipsso_claim_short(p, ""), "_");
    CHECK_STR(sipsso_claim_short(p, "/"), "_");
    CHECK_STR(sipsso_claim_short(p, "urn:"), "URN_");
#undef MS
#undef XS
}

static void xs_datetime(apr_pool_t *p)
{
    static const char *const bad[] = {
        "", "2022", "2022-02-23", "2022-02-23T17:49:18",      /* no zone */
        "2022-02-23T17:49:18.872", "2022-02-23 17:49:18Z", "2022-02-23t17:49:18Z",
        "2022-02-23T17:49:18z", "2022-02-30T12:00:00Z", "2022-02-31T12:00:00Z",
        "2022-04-31T12:00:00Z", "2022-13-01T12:00:00Z", "2022-00-10T12:00:00Z",
        "2022-01-00T12:00:00Z", "2022-01-32T12:00:00Z", "2022-02-23T24:00:00Z",
        "2022-02-23T23:60:00Z", "2022-02-23T23:59:60Z", "2022-02-23T17:49:18Zjunk",
        "2022-02-23T17:49:18Z ", " 2022-02-23T17:49:18Z", "2022-02-23T17:49:18+01:00x",
        "2022-02-23T17:49:18+0100", "2022-02-23T17:49:18+1:00", "2022-02-23T17:49:18+01",
        "2022-02-23T17:49:18+15:00", "2022-02-23T17:49:18+01:60", "2022-02-23T17:49:18 +01:00",
        "1969-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "-2022-02-23T17:49:18Z",
        "2022-2-23T17:49:18Z", "2022-02-23T7:49:18Z", "22022-02-23T17:49:18Z",
        "2022-02-23T17:49:18.Z", "2022-02-23T12:00:00.Z", "2022-02-23T17:49:18,5Z",
        "2022-02-23T17:49:18.5.5Z", "2022-02-23T17:49:18.+01:00", "2O22-02-23T17:49:18Z",
        "2022-02-23T17:49:18.872Z2022-02-23T17:49:18.872Z", NULL
    };
    apr_time_t t;
    int i;

    t = -1;
    CHECK(sipsso_parse_xs_datetime("2022-02-23T17:49:18.872Z", &t) == 0);
    CHECK(t == apr_time_from_sec(1645638558) + 872000);
    CHECK(apr_time_usec(t) == 872000);
    CHECK(sipsso_parse_xs_datetime("2022-02-23T17:49:18Z", &t) == 0);
    CHECK(t == apr_time_from_sec(1645638558));
    CHECK(sipsso_parse_xs_datetime("2022-02-23T17:49:18.1Z", &t) == 0);
    CHECK(t == apr_time_from_sec(1645638558) + 100000);
    CHECK(sipsso_parse_xs_datetime("2022-02-23T17:49:18.000001Z", &t) == 0);
    CHECK(t == apr_time_from_sec(1645638558) + 1);
    CHECK(sipsso_parse_xs_datetime("2022-02-23T17:49:18.1234567Z", &t) == 0);
    CHECK(t == apr_time_from_sec(1645638558) + 123456);   /* truncated */
    CHECK(sipsso_parse_xs_datetime("2022-02-23T17:49:18.000Z", &t) == 0);
    CHECK(t == apr_time_from_sec(1645638558));
    /* Offsets: local time minus offset is UTC. */
    CHECK(sipsso_parse_xs_datetime("2022-02-23T17:49:18+01:00", &t) == 0);
    CHECK(t == apr_time_from_sec(1645634958));             /* 16:49:18Z */
    CHECK(sipsso_parse_xs_datetime("2022-02-23T17:49:18-05:30", &t) == 0);
    CHECK(t == apr_time_from_sec(1645658358));             /* 23:19:18Z */
    CHECK(sipsso_parse_xs_datetime("2022-02-23T17:49:18.5+00:00", &t) == 0);
    CHECK(t == apr_time_from_sec(1645638558) + 500000);
    CHECK(sipsso_parse_xs_datetime("2022-02-23T17:49:18-00:00", &t) == 0);
    CHECK(t == apr_time_from_sec(1645638558));
    CHECK(sipsso_parse_xs_datetime("2022-02-24T07:49:18+14:00", &t) == 0);
    CHECK(t == apr_time_from_sec(1645638558));
    /* Day rollover across an offset, leap day, epoch, year end, past 2038. */
    CHECK(sipsso_parse_xs_datetime("2022-02-24T00:19:18+06:30", &t) == 0);
    CHECK(t == apr_time_from_sec(1645638558));
    CHECK(sipsso_parse_xs_datetime("2024-02-29T12:00:00Z", &t) == 0);
    CHECK(t == apr_time_from_sec(1709208000));
    CHECK(sipsso_parse_xs_datetime("1970-01-01T00:00:00Z", &t) == 0);
    CHECK(t == 0);
    CHECK(sipsso_parse_xs_datetime("2022-12-31T23:59:59Z", &t) == 0);
    CHECK(t == apr_time_from_sec(1672531199));
    CHECK(sipsso_parse_xs_datetime("2038-01-19T03:14:08Z", &t) == 0);
    CHECK(t == apr_time_from_sec(2147483648LL));

    for (i = 0; bad[i]; i++) {
        int rc = sipsso_parse_xs_datetime(bad[i], &t);
        CHECK(rc != 0);
        if (rc == 0)
            fprintf(stderr, "  xs:dateTime accepted \"%s\"\n", bad[i]);
    }
    CHECK(sipsso_parse_xs_datetime(NULL, &t) != 0);

    /* Formatting: whole seconds, UTC, and back. */
    CHECK_STR(sipsso_format_xs_datetime(p, apr_time_from_sec(1645638558)),
              "2022-02-23T17:49:18Z");
    CHECK_STR(sipsso_format_xs_datetime(p, apr_time_from_sec(1645638558) + 872000),
              "2022-02-23T17:49:18Z");
    CHECK_STR(sipsso_format_xs_datetime(p, 0), "1970-01-01T00:00:00Z");
    CHECK_STR(sipsso_format_xs_datetime(p, apr_time_from_sec(1709208000)),
              "2024-02-29T12:00:00Z");
    CHECK_STR(sipsso_format_xs_datetime(p, apr_time_from_sec(2147483648LL)),
              "2038-01-19T03:14:08Z");
    CHECK(sipsso_parse_xs_datetime("2022-02-23T17:49:18-05:30", &t) == 0);
    CHECK_STR(sipsso_format_xs_datetime(p, t), "2022-02-23T23:19:18Z");
    for (i = 0; i < 5; i++) {
        apr_time_t in = apr_time_from_sec(1000000000LL + i * 86399LL * 97), back = -1;
        CHECK(sipsso_parse_xs_datetime(sipsso_format_xs_datetime(p, in), &back) == 0);
        CHECK(back == in);
    }
}

static void text(apr_pool_t *p)
{
    const char *s = "line1\nline2\r\ttab 100% caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
                    "a+b \x01\x1f\x7f end";
    char *e;

    CHECK(sipsso_ct_streq("abc", "abc"));
    CHECK(sipsso_ct_streq("", ""));
    CHECK(!sipsso_ct_streq("abc", "abd"));
    CHECK(!sipsso_ct_streq("abc", "Abc"));
    CHECK(!sipsso_ct_streq("abc", "abcd"));
    CHECK(!sipsso_ct_streq("abcd", "abc"));
    CHECK(!sipsso_ct_streq("aa", "a"));
    CHECK(!sipsso_ct_streq("a", "aa"));
    CHECK(!sipsso_ct_streq("", "a"));
    CHECK(!sipsso_ct_streq("a", ""));
    CHECK(!sipsso_ct_streq("abab", "ab"));

    CHECK_STR(sipsso_html_escape(p, "<a href=\"x\">&'</a>"),
              "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    CHECK_STR(sipsso_html_escape(p, "&amp;"), "&amp;amp;");
    CHECK_STR(sipsso_html_escape(p, "plain caf\xc3\xa9"), "plain caf\xc3\xa9");
    CHECK_STR(sipsso_html_escape(p, ""), "");
    CHECK_STR(sipsso_html_escape(p, NULL), "");
    CHECK_STR(sipsso_html_escape(p, "''''\"\"\"\""),
              "&#39;&#39;&#39;&#39;&quot;&quot;&quot;&quot;");

    CHECK_STR(sipsso_sha256_hex(p, "abc", 3),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK_STR(sipsso_sha256_hex(p, "", 0),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_STR(sipsso_sha1_thumbprint(p, "abc", 3),
              "A9993E364706816ABA3E25717850C26C9CD0D89D");
    CHECK_STR(sipsso_sha1_thumbprint(p, "", 0),
              "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709");
    CHECK_STR(sipsso_sha1_thumbprint(p, "abcd", 3),   /* length, not NUL */
              "A9993E364706816ABA3E25717850C26C9CD0D89D");

    e = sipsso_escape_value(p, s);
    CHECK_STR(e, "line1%0Aline2%0D%09tab 100%25 caf\xc3\xa9 \xe2\x82\xac "
                 "\xf0\x9f\x98\x80 a+b %01%1F%7F end");
    CHECK(strpbrk(e, "\r\n\t") == NULL);
    CHECK_STR(sipsso_unescape_value(p, e), s);
    CHECK_STR(sipsso_escape_value(p, ""), "");
    CHECK_STR(sipsso_unescape_value(p, ""), "");
    CHECK_STR(sipsso_escape_value(p, "%%"), "%25%25");
    CHECK_STR(sipsso_unescape_value(p, "%25%25"), "%%");
    CHECK_STR(sipsso_unescape_value(p, "%2541"), "%41");  /* decoded once */
    CHECK_STR(sipsso_unescape_value(p, "a+b"), "a+b");     /* '+' stays */
    CHECK_STR(sipsso_unescape_value(p, "%0a%0D"), "\n\r");
    CHECK(sipsso_unescape_value(p, "100%") == NULL);
    CHECK(sipsso_unescape_value(p, "1%4") == NULL);
    CHECK(sipsso_unescape_value(p, "a%00b") == NULL);      /* never written */
    CHECK(sipsso_unescape_value(p, "%+1") == NULL);        /* strtol would take it */
    CHECK(sipsso_unescape_value(p, "% 1") == NULL);
    CHECK(sipsso_unescape_value(p, "%-1") == NULL);
    CHECK(sipsso_unescape_value(p, "%") == NULL);
    CHECK_STR(sipsso_unescape_value(p, "%fF%Ff"), "\xff\xff");
    {
        char buf[] = "x%41y%25z";
        CHECK(sipsso_unescape_inplace(buf) == 0);
        CHECK_STR(buf, "xAy%z");
    }
    {
        /* Every byte 1..255 survives the round trip. */
        char all[256];
        int i;
        for (i = 1; i < 256; i++)
            all[i - 1] = (char)i;
        all[255] = '\0';
        e = sipsso_escape_value(p, all);
        CHECK(strlen(e) == 255 + 2 * (31 + 1 + 1));   /* 0x01-0x1f, '%', 0x7f */
        CHECK_STR(sipsso_unescape_value(p, e), all);
    }
}

static void regressions(apr_pool_t *p)
{
    apr_time_t t;
    char *u;
    /* Feb 29 of a common year is accepted (mdays[1] is always 29), and
     * silently becomes March 1. */
    CHECK(sipsso_parse_xs_datetime("2023-02-29T12:00:00Z", &t) != 0);
    CHECK(sipsso_parse_xs_datetime("2100-02-29T12:00:00Z", &t) != 0);
    /* A non-hex escape in a stored value is decoded by strtol as 0 (a NUL
     * that truncates the value) instead of being refused or kept. */
    u = sipsso_unescape_value(p, "a%zzb");
    CHECK(u == NULL);
    CHECK(sipsso_unescape_value(p, "a%4") == NULL);
    CHECK(sipsso_parse_xs_datetime("2024-02-29T12:00:00Z", &t) == 0);
    CHECK(sipsso_parse_xs_datetime("2000-02-29T12:00:00Z", &t) == 0);
    CHECK(sipsso_parse_xs_datetime("2020-01-01T00:00:00+14:59", &t) != 0);
    CHECK(sipsso_parse_xs_datetime("2020-01-01T00:00:00+14:00", &t) == 0);
}

void test_util(apr_pool_t *p)
{
    b64_decode(p);
    b64url(p);
    form_parse(p);
    url_codec(p);
    local_url(p);
    claim_short(p);
    xs_datetime(p);
    text(p);
    regressions(p);
}
