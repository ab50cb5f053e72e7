/* session/cookie.c: finding our cookie in a Cookie header (strictly),
 * building Set-Cookie values, and stripping our cookie before a request
 * goes to a backend. */
#include "unit.h"
#include "../../session/cookie.h"
#include "../../session/session.h"
#include <apr_strings.h>

/* 43 base64url characters, as the module issues them. */
#define T1 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_x"
#define T2 "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210_-abcde"
#define TL SIPSSO_SESSION_ID_LEN

static const char *get(apr_pool_t *p, const char *h)
{
    return sipsso_cookie_get(p, h, "sipsso", TL);
}

static void cookie_get(apr_pool_t *p)
{
    char *big, *exact;
    apr_size_t n;

    CHECK(strlen(T1) == TL && strlen(T2) == TL && TL == 43);

    /* Found alone, among others, with and without spaces, with ','. */
    CHECK_STR(get(p, "sipsso=" T1), T1);
    CHECK_STR(get(p, "a=1; sipsso=" T1 "; b=2"), T1);
    CHECK_STR(get(p, "a=1;sipsso=" T1 ";b=2"), T1);
    CHECK_STR(get(p, "a=1; b=2; sipsso=" T1), T1);
    CHECK_STR(get(p, "a=1, sipsso=" T1), T1);
    CHECK_STR(get(p, "a=1; b=2, sipsso=" T1 ", c=3"), T1);
    CHECK_STR(get(p, "a=1,sipsso=" T1), T1);
    CHECK_STR(get(p, "  sipsso=" T1 "  ; x=y"), T1);
    CHECK_STR(get(p, "a=1;\tsipsso=" T1 "\t;b=2"), T1);
    CHECK_STR(get(p, "a=\"q\"; sipsso=" T1), T1);
    CHECK_STR(get(p, "flag; sipsso=" T1), T1);
    CHECK_STR(get(p, "a=x=y; sipsso=" T1), T1);

    /* Wrong length, by one either way, or empty. */
    CHECK(get(p, "sipsso=" T1 "x") == NULL);
    CHECK(get(p, "sipsso=" T1 "xx") == NULL);
    CHECK(get(p, apr_pstrcat(p, "sipsso=", apr_pstrndup(p, T1, 42), NULL)) == NULL);
    CHECK(get(p, "sipsso=") == NULL);
    CHECK(get(p, "sipsso=; a=1") == NULL);
    CHECK(get(p, "sipsso= ; a=1") == NULL);
    CHECK(get(p, "sipsso=   , a=1") == NULL);
    CHECK(get(p, "sipsso") == NULL);
    CHECK(get(p, "sipsso; a=" T1) == NULL);
    /* Characters outside base64url, at the start, middle and end. */
    CHECK(get(p, "sipsso=+bcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_x") == NULL);
    CHECK(get(p, "sipsso=abcdefghijklmnopqrstu/wxyzABCDEFGHIJ0123-_x") == NULL);
    CHECK(get(p, "sipsso=abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_=") == NULL);
    CHECK(get(p, "sipsso=abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_.") == NULL);
    CHECK(get(p, "sipsso=abcdefghijklmnopqrstuvwxyzABCDE HIJ0123-_x") == NULL);
    CHECK(get(p, "sipsso=abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_%") == NULL);
    CHECK(get(p, "sipsso=\"" T1 "\"") == NULL);
    CHECK(get(p, "sipsso=\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-\"") == NULL);
    /* Only that exact name. */
    CHECK(get(p, "xsipsso=" T1) == NULL);
    CHECK(get(p, "sipsso2=" T1) == NULL);
    CHECK(get(p, "sipsso_x=" T1) == NULL);
    CHECK(get(p, "SIPSSO=" T1) == NULL);
    CHECK(get(p, "Sipsso=" T1) == NULL);
    CHECK(get(p, "sip=" T1) == NULL);
    CHECK(get(p, "a=sipsso=" T1) == NULL);
    CHECK(get(p, "xsipsso=" T1 "; sipsso2=" T2) == NULL);
    CHECK_STR(get(p, "xsipsso=" T2 "; sipsso=" T1 "; sipsso2=" T2), T1);
    /* The first valid one of duplicates. */
    CHECK_STR(get(p, "sipsso=" T1 "; sipsso=" T2), T1);
    CHECK_STR(get(p, "sipsso=" T2 ", sipsso=" T1), T2);
    CHECK_STR(get(p, "sipsso=short; sipsso=" T2), T2);
    CHECK_STR(get(p, "sipsso=" T1 "x; sipsso=" T2 "; sipsso=" T1), T2);
    CHECK_STR(get(p, "sipsso=\"" T1 "\"; sipsso=" T2), T2);
    /* No header, nothing in it. */
    CHECK(get(p, NULL) == NULL);
    CHECK(get(p, "") == NULL);
    CHECK(get(p, ";;; ,,") == NULL);
    CHECK(get(p, "a=1; b=2") == NULL);
    /* Another name and token length. */
    CHECK_STR(sipsso_cookie_get(p, "s=abc; mysess=0123456789", "mysess", 10),
              "0123456789");
    CHECK(sipsso_cookie_get(p, "mysess=0123456789", "mysess", 11) == NULL);
    CHECK(sipsso_cookie_get(p, "sipsso=" T1, "mysess", TL) == NULL);

    /* A header over 16 KiB is ignored; exactly 16 KiB is still read. */
    n = 16384;
    exact = apr_palloc(p, n + 2);
    memset(exact, 'x', n + 1);
    memcpy(exact, "sipsso=" T1 "; p=", 7 + 43 + 4);
    exact[n] = '\0';
    CHECK(strlen(exact) == 16384);
    CHECK_STR(get(p, exact), T1);
    exact[n] = 'x';
    exact[n + 1] = '\0';
    CHECK(get(p, exact) == NULL);
    big = apr_palloc(p, 20001);
    memset(big, 'y', 20000);
    memcpy(big, "a=", 2);
    big[20000] = '\0';
    CHECK(get(p, apr_pstrcat(p, big, "; sipsso=" T1, NULL)) == NULL);
}

static void cookie_build(apr_pool_t *p)
{
    sipsso_cookie_opts plain = { NULL, NULL, NULL, 0 };
    sipsso_cookie_opts full = { ".example.com", "/app", "Lax", 1 };
    sipsso_cookie_opts none = { NULL, "/", "None", 1 };
    char *c;

    /* Browser-session cookie: no Max-Age, no Expires. */
    c = sipsso_cookie_build(p, "sipsso", T1, &plain, -1);
    CHECK_STR(c, "sipsso=" T1 "; Path=/; HttpOnly");
    CHECK(c && strstr(c, "Max-Age") == NULL && strstr(c, "Expires") == NULL);
    CHECK(c && strstr(c, "Secure") == NULL && strstr(c, "SameSite") == NULL &&
          strstr(c, "Domain") == NULL);

    c = sipsso_cookie_build(p, "sipsso", T1, &full, 3600);
    CHECK_STR(c, "sipsso=" T1 "; Path=/app; Domain=.example.com; Max-Age=3600;"
                 " HttpOnly; Secure; SameSite=Lax");
    CHECK(c && strstr(c, "Expires") == NULL);

    c = sipsso_cookie_build(p, "sipsso", T1, &full, -1);
    CHECK_STR(c, "sipsso=" T1 "; Path=/app; Domain=.example.com; HttpOnly;"
                 " Secure; SameSite=Lax");

    /* Deletion: Max-Age=0 and an Expires in 1970 for old browsers. */
    c = sipsso_cookie_build(p, "sipsso", "", &none, 0);
    CHECK_STR(c, "sipsso=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 "
                 "00:00:00 GMT; HttpOnly; Secure; SameSite=None");
    c = sipsso_cookie_build(p, "sipsso", NULL, &full, 0);
    CHECK_STR(c, "sipsso=; Path=/app; Domain=.example.com; Max-Age=0; Expires=Thu,"
                 " 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax");

    c = sipsso_cookie_build(p, "other", "v", &plain, 1);
    CHECK_STR(c, "other=v; Path=/; Max-Age=1; HttpOnly");
    CHECK(strstr(sipsso_cookie_build(p, "s", "v", &plain, 28800),
                 "; Max-Age=28800;") != NULL);

    /* What we build, we find. */
    c = sipsso_cookie_build(p, "sipsso", T2, &full, 60);
    CHECK_STR(get(p, apr_pstrndup(p, c, strcspn(c, ";"))), T2);
}

static void cookie_strip(apr_pool_t *p)
{
#define STRIP(h) sipsso_cookie_strip(p, (h), "sipsso")
    CHECK_STR(STRIP("a=1; sipsso=" T1 "; b=2"), "a=1; b=2");
    CHECK_STR(STRIP("sipsso=" T1 "; a=1"), "a=1");
    CHECK_STR(STRIP("a=1; sipsso=" T1), "a=1");
    CHECK_STR(STRIP("z=1; a=2; sipsso=" T1 "; m=3; b=4"), "z=1; a=2; m=3; b=4");
    /* Nothing of ours: the others, in order. */
    CHECK_STR(STRIP("z=1; a=2; m=3"), "z=1; a=2; m=3");
    /* ',' joined headers come out ';' joined. */
    CHECK_STR(STRIP("a=1, sipsso=" T1 ", b=2"), "a=1; b=2");
    CHECK_STR(STRIP("a=1;sipsso=" T1 ";b=2"), "a=1; b=2");
    /* Only the exact name, but every copy of it, whatever its value. */
    CHECK_STR(STRIP("xsipsso=1; sipsso2=2; sipsso=" T1 "; SIPSSO=3"),
              "xsipsso=1; sipsso2=2; SIPSSO=3");
    CHECK_STR(STRIP("sipsso=" T1 "; a=1; sipsso=" T2 "; sipsso=forged"), "a=1");
    CHECK_STR(STRIP("sipsso=\"" T1 "\"; b=2"), "b=2");
    CHECK_STR(STRIP(" sipsso = " T1 " ; b=2"), "b=2");
    CHECK_STR(STRIP("sipsso=; b=2"), "b=2");
    /* Values with '=' and quotes are kept as they were. */
    CHECK_STR(STRIP("q=\"a b\"; sipsso=" T1 "; e=x=y=="), "q=\"a b\"; e=x=y==");
    /* Nothing else left: NULL, so the header can be removed. */
    CHECK(STRIP("sipsso=" T1) == NULL);
    CHECK(STRIP("sipsso=" T1 "; sipsso=" T2) == NULL);
    CHECK(STRIP("sipsso=" T1 ", sipsso=x;") == NULL);
    CHECK(STRIP("") == NULL);
    CHECK(STRIP(NULL) == NULL);
    /* The result never holds our token. */
    CHECK(strstr(STRIP("a=" "1; sipsso=" T1 ", b=2; sipsso=" T1), T1) == NULL);
    CHECK_STR(sipsso_cookie_strip(p, "mysess=1; sipsso=" T1, "mysess"),
              "sipsso=" T1);
#undef STRIP
}

static void regressions(apr_pool_t *p)
{
    /* A cookie without '=' (a nameless cookie, RFC 6265 5.4) is another
     * cookie, yet strip drops it along with ours. */
    CHECK_STR(sipsso_cookie_strip(p, "flag; sipsso=" T1 "; a=1", "sipsso"),
              "flag; a=1");
}

/* Other cookies reach the backend exactly as sent. */
static void strip_keeps_others(apr_pool_t *p)
{
    CHECK_STR(sipsso_cookie_strip(p, "theme=dark; sipsso=" T1 "; list=a,b", "sipsso"),
              "theme=dark; list=a,b");
    CHECK_STR(sipsso_cookie_strip(p, "q=\"x,y\"; sipsso=" T1, "sipsso"), "q=\"x,y\"");
    CHECK_STR(sipsso_cookie_strip(p, "list=a,b", "sipsso"), "list=a,b");
    /* httpd joins two Cookie headers with ", ": ours is still found. */
    CHECK_STR(sipsso_cookie_strip(p, "a=1, sipsso=" T1, "sipsso"), "a=1");
    CHECK(sipsso_cookie_has(p, "a=1; sipsso=x", "sipsso"));
    CHECK(!sipsso_cookie_has(p, "a=1; xsipsso=x", "sipsso"));
}

void test_cookie(apr_pool_t *p)
{
    strip_keeps_others(p);
    cookie_get(p);
    cookie_build(p);
    cookie_strip(p);
    regressions(p);
}
