/* session/record.c: the session record (encode/decode round trip, prefix
 * compression of Entra's claim URIs, refusal of damaged records), claim
 * lookup by URI or short name, and the size of a typical Entra session. */
#include "unit.h"
#include "../../session/session.h"
#include <apr_strings.h>
#include <stdarg.h>

#define MS  "http://schemas.microsoft.com/identity/claims/"
#define XS  "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
#define WS  "http://schemas.microsoft.com/ws/2008/06/identity/claims/"
#define MSC "http://schemas.microsoft.com/claims/"
#define OID "urn:oid:0.9.2342.19200300.100.1.3"
#define DEPT "http://example.com/claims/department"
#define ID43 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_x"

static void add_claim(apr_pool_t *p, sipsso_session *s, const char *name, ...)
{
    sipsso_claim *c = &APR_ARRAY_PUSH(s->claims, sipsso_claim);
    const char *v;
    va_list ap;
    c->name = name;
    c->values = apr_array_make(p, 2, sizeof(const char *));
    va_start(ap, name);
    while ((v = va_arg(ap, const char *)) != NULL)
        APR_ARRAY_PUSH(c->values, const char *) = v;
    va_end(ap);
}

static void base(apr_pool_t *p, sipsso_session *s)
{
    memset(s, 0, sizeof(*s));
    s->id = ID43;
    s->created = apr_time_from_sec(1700000000);
    s->expires = apr_time_from_sec(1700028800);
    s->last_access = apr_time_from_sec(1700000060);
    s->name_id = "user@example.com";
    s->name_id_format = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
    s->session_index = "_8c68ecbc-f68b-4f9b-bf66-e6afe9c0b001";
    s->idp = "https://sts.windows.net/5b5c94c6-14cf-42da-85bc-4e08722b253b/";
    s->claims = apr_array_make(p, 8, sizeof(sipsso_claim));
}

static int same_claims(const sipsso_session *a, const sipsso_session *b)
{
    int i, j;
    if (a->claims->nelts != b->claims->nelts)
        return 0;
    for (i = 0; i < a->claims->nelts; i++) {
        const sipsso_claim *x = &APR_ARRAY_IDX(a->claims, i, sipsso_claim);
        const sipsso_claim *y = &APR_ARRAY_IDX(b->claims, i, sipsso_claim);
        if (strcmp(x->name, y->name) != 0 || x->values->nelts != y->values->nelts) {
            fprintf(stderr, "  claim %d: %s vs %s\n", i, x->name, y->name);
            return 0;
        }
        for (j = 0; j < x->values->nelts; j++)
            if (strcmp(APR_ARRAY_IDX(x->values, j, const char *),
                       APR_ARRAY_IDX(y->values, j, const char *)) != 0) {
                fprintf(stderr, "  claim %s value %d differs\n", x->name, j);
                return 0;
            }
    }
    return 1;
}

static void round_trip(apr_pool_t *p)
{
    sipsso_session s, d;
    apr_size_t len = 0;
    char *enc;
    const char *err;

    base(p, &s);
    add_claim(p, &s, XS "emailaddress", "user@example.com", NULL);
    add_claim(p, &s, WS "groups", "0e5b9c59-3b3f-4d3a-9b67-ec7e0a1a2f11",
              "7f0c2a8e-1111-4c4c-8e8e-9d9d9d9d9d9d", "g3", NULL);
    add_claim(p, &s, MS "displayname", "", NULL);                 /* empty */
    add_claim(p, &s, MSC "authnmethodsreferences",
              "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password",
              "http://schemas.microsoft.com/claims/multipleauthn", NULL);
    add_claim(p, &s, OID, "user@example.com", NULL);
    add_claim(p, &s, DEPT, "R&D\nLine2\r\tTab 100% %41 a+b", NULL);
    add_claim(p, &s, XS "givenname", "Ren\xc3\xa9\xe2\x82\xac \xf0\x9f\x98\x80", NULL);
    add_claim(p, &s, "http://example.com/odd%name\nx\ty", "v", NULL);
    add_claim(p, &s, MS "odd%25\nsuffix", "w", NULL);     /* prefix + escapes */
    add_claim(p, &s, MSC, "bare prefix", NULL);
    add_claim(p, &s, "http://example.com/novalues", NULL);
    add_claim(p, &s, "0digitfirst", "x", NULL);
    add_claim(p, &s, "-dashfirst", "", "", NULL);

    enc = sipsso_session_encode(p, &s, &len);
    CHECK(enc != NULL);
    if (!enc)
        return;
    CHECK(len == strlen(enc));
    CHECK(strncmp(enc, "SIPSSO1\nC1700000000\nE1700028800\nA1700000060\n"
                       "Nuser@example.com\n", 62) == 0);
    /* Entra prefixes are coded by one digit; others are stored whole. */
    CHECK(strstr(enc, "\nK1emailaddress\nVuser@example.com\n") != NULL);
    CHECK(strstr(enc, "\nK2groups\nV0e5b9c59-3b3f-4d3a-9b67-ec7e0a1a2f11\n"
                      "V7f0c2a8e-1111-4c4c-8e8e-9d9d9d9d9d9d\nVg3\n") != NULL);
    CHECK(strstr(enc, "\nK0displayname\nV\n") != NULL);
    CHECK(strstr(enc, "\nK3authnmethodsreferences\n") != NULL);
    CHECK(strstr(enc, "\nK-" OID "\n") != NULL);
    CHECK(strstr(enc, "\nK-" DEPT "\nVR&D%0ALine2%0D%09Tab 100%25 %2541 a+b\n") != NULL);
    CHECK(strstr(enc, "\nK-http://example.com/odd%25name%0Ax%09y\nVv\n") != NULL);
    CHECK(strstr(enc, "\nK0odd%2525%0Asuffix\nVw\n") != NULL);
    CHECK(strstr(enc, "\nK3\nVbare prefix\n") != NULL);
    CHECK(strstr(enc, "\nK-http://example.com/novalues\nK-0digitfirst\n") != NULL);
    CHECK(strstr(enc, XS) == NULL);
    CHECK(strstr(enc, "claims/emailaddress") == NULL);
    CHECK(strstr(enc, ID43) == NULL);          /* the id is the key, not data */
    CHECK(enc[len - 1] == '\n');

    err = sipsso_session_decode(p, enc, len, &d);
    CHECK(err == NULL);
    if (err) {
        fprintf(stderr, "  decode: %s\n", err);
        return;
    }
    CHECK(d.created == s.created);
    CHECK(d.expires == s.expires);
    CHECK(d.last_access == s.last_access);
    CHECK_STR(d.name_id, s.name_id);
    CHECK_STR(d.name_id_format, s.name_id_format);
    CHECK_STR(d.session_index, s.session_index);
    CHECK_STR(d.idp, s.idp);
    CHECK(d.claims->nelts == 13);
    CHECK(same_claims(&s, &d));
    CHECK(d.claims->nelts == 13 &&
          APR_ARRAY_IDX(d.claims, 10, sipsso_claim).values->nelts == 0);
    CHECK(d.claims->nelts == 13 &&
          APR_ARRAY_IDX(d.claims, 1, sipsso_claim).values->nelts == 3);

    /* Times are stored in whole seconds; optional fields may be absent;
     * the identifying fields are escaped like values. */
    base(p, &s);
    s.created = apr_time_from_sec(1700000000) + 999999;
    s.expires = apr_time_from_sec(1700000001) + 1;
    s.last_access = 0;
    s.name_id = "odd\nname%0A\tid";
    s.name_id_format = NULL;
    s.session_index = NULL;
    s.idp = NULL;
    enc = sipsso_session_encode(p, &s, &len);
    CHECK_STR(enc, "SIPSSO1\nC1700000000\nE1700000001\nA0\nNodd%0Aname%250A%09id\n");
    err = sipsso_session_decode(p, enc, len, &d);
    CHECK(err == NULL);
    CHECK(d.created == apr_time_from_sec(1700000000));
    CHECK(d.expires == apr_time_from_sec(1700000001));
    CHECK(d.last_access == 0);
    CHECK_STR(d.name_id, "odd\nname%0A\tid");
    CHECK(d.name_id_format == NULL && d.session_index == NULL && d.idp == NULL);
    CHECK(d.claims != NULL && d.claims->nelts == 0);
    CHECK(d.id == NULL);

    /* claims == NULL encodes as no claims. */
    s.claims = NULL;
    enc = sipsso_session_encode(p, &s, &len);
    CHECK(sipsso_session_decode(p, enc, len, &d) == NULL && d.claims->nelts == 0);
}

static const char *dec(apr_pool_t *p, const char *rec)
{
    sipsso_session d;
    return sipsso_session_decode(p, rec, strlen(rec), &d);
}

static void refuse(apr_pool_t *p)
{
    sipsso_session s, d;
    apr_size_t len;
    char *enc;

    CHECK(dec(p, "SIPSSO1\nNx\nE1\n") == NULL);         /* the minimum */
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1"), "truncated session record");
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1\nK-groups\nVadmins-ro"),
              "truncated session record");         /* Vadmins-ro cut to Vadmins */
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE%31\n"), "bad E");   /* digits as written */
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1\nK%2Dx\n"), "bad K");
    CHECK(dec(p, "SIPSSO1\nNx\nE1\nK-a%3Ab\n") == NULL);
    CHECK(dec(p, "SIPSSO1\n\nNx\n\nE1\n\n") == NULL);   /* blank lines */

    CHECK_STR(dec(p, "SIPSSO2\nNx\nE1\n"), "not a session record");
    CHECK_STR(dec(p, "SIPSSO\nNx\nE1\n"), "not a session record");
    CHECK_STR(dec(p, "SIPSSO1x\nNx\nE1\n"), "not a session record");
    CHECK_STR(dec(p, "sipsso1\nNx\nE1\n"), "not a session record");
    CHECK_STR(dec(p, "SIPSSO1\r\nNx\r\nE1\r\n"), "not a session record");
    CHECK_STR(dec(p, "Nx\nE1\n"), "not a session record");
    CHECK_STR(dec(p, ""), "not a session record");
    CHECK_STR(dec(p, "\n"), "not a session record");

    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1\nXfoo\n"), "unknown field");
    CHECK_STR(dec(p, "SIPSSO1\nNx%zz\nE1\n"), "bad escape");
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1\nK-a\nVb%0\n"), "bad escape");
    /* A NUL inside is not ours: refused, not cut short. */
    CHECK_STR(sipsso_session_decode(p, "SIPSSO1\nNx\0y\nE1\n",
                                    sizeof("SIPSSO1\nNx\0y\nE1\n") - 1, &d),
              "not a session record");
    CHECK(sipsso_session_decode(p, "SIPSSO1\nNx%0Ay\nE1\n", 18, &d) == NULL &&
          strcmp(d.name_id, "x\ny") == 0);
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1\n foo\n"), "unknown field");
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1\nnx\n"), "unknown field");
    CHECK_STR(dec(p, "SIPSSO1\nNx\r\nE1\r\n"), "bad E");

    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1\nVvalue\n"), "value before claim");
    CHECK_STR(dec(p, "SIPSSO1\nVvalue\nK-a\nNx\nE1\n"), "value before claim");

    CHECK_STR(dec(p, "SIPSSO1\nE1\n"), "incomplete session record");
    CHECK_STR(dec(p, "SIPSSO1\nNx\n"), "incomplete session record");
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE0\n"), "incomplete session record");
    CHECK_STR(dec(p, "SIPSSO1\n"), "incomplete session record");
    CHECK_STR(dec(p, "SIPSSO1"), "truncated session record");

    CHECK_STR(dec(p, "SIPSSO1\nNx\nE\n"), "bad E");
    CHECK_STR(dec(p, "SIPSSO1\nNx\nEabc\n"), "bad E");
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE12x\n"), "bad E");
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE-5\n"), "bad E");
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1\nC\n"), "bad C");
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1\nC-1\n"), "bad C");
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1\nA1.5\n"), "bad A");
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE+5\n"), "bad E");
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE 5\n"), "bad E");
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1000000000000\n"), "bad E");  /* 13 digits */
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE99999999999999999999\n"), "bad E");
    CHECK(dec(p, "SIPSSO1\nNx\nE999999999999\n") == NULL);       /* 12 digits */

    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1\nK9foo\n"), "bad K");
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1\nK4foo\n"), "bad K");   /* codes 0-3 */
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1\nKfoo\n"), "bad K");
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1\nK\n"), "bad K");
    CHECK_STR(dec(p, "SIPSSO1\nNx\nE1\nK/x\n"), "bad K");

    /* The length bounds the record: a truncated one is incomplete. */
    base(p, &s);
    enc = sipsso_session_encode(p, &s, &len);
    CHECK(sipsso_session_decode(p, enc, len, &d) == NULL);
    CHECK_STR(sipsso_session_decode(p, enc, 8, &d), "incomplete session record");
    CHECK_STR(sipsso_session_decode(p, enc, 7, &d), "truncated session record");
    CHECK_STR(sipsso_session_decode(p, enc, 6, &d), "truncated session record");
    CHECK_STR(sipsso_session_decode(p, enc, 0, &d), "not a session record");
    /* Truncated inside "E1700028800": refused, not read as "E17". */
    CHECK_STR(sipsso_session_decode(p, enc, 23, &d), "truncated session record");
}

static void claim_lookup(apr_pool_t *p)
{
    sipsso_session s, d;
    const sipsso_claim *c;
    apr_size_t len;
    char *enc;

    base(p, &s);
    add_claim(p, &s, XS "emailaddress", "user@example.com", NULL);
    add_claim(p, &s, WS "groups", "g1", "g2", NULL);
    add_claim(p, &s, OID, "mail@example.com", NULL);
    add_claim(p, &s, DEPT "/", "Sales", NULL);
    add_claim(p, &s, "http://example.com/claims/employee-id", "42", NULL);

#define IDX(i) (&APR_ARRAY_IDX(s.claims, (i), sipsso_claim))
    /* Exact URI. */
    CHECK(sipsso_session_claim(p, &s, XS "emailaddress") == IDX(0));
    CHECK(sipsso_session_claim(p, &s, WS "groups") == IDX(1));
    CHECK(sipsso_session_claim(p, &s, OID) == IDX(2));
    CHECK(sipsso_session_claim(p, &s, DEPT "/") == IDX(3));
    /* Short name, in any case. */
    CHECK(sipsso_session_claim(p, &s, "emailaddress") == IDX(0));
    CHECK(sipsso_session_claim(p, &s, "EmailAddress") == IDX(0));
    CHECK(sipsso_session_claim(p, &s, "EMAILADDRESS") == IDX(0));
    CHECK(sipsso_session_claim(p, &s, "groups") == IDX(1));
    CHECK(sipsso_session_claim(p, &s, "GROUPS") == IDX(1));
    CHECK(sipsso_session_claim(p, &s, "department") == IDX(3));
    CHECK(sipsso_session_claim(p, &s, "0_9_2342_19200300_100_1_3") == IDX(2));
    CHECK(sipsso_session_claim(p, &s, "employee_id") == IDX(4));
    CHECK(sipsso_session_claim(p, &s, "EMPLOYEE_ID") == IDX(4));
    /* Not a different claim. */
    CHECK(sipsso_session_claim(p, &s, "surname") == NULL);
    CHECK(sipsso_session_claim(p, &s, "email") == NULL);
    CHECK(sipsso_session_claim(p, &s, "emailaddres") == NULL);
    CHECK(sipsso_session_claim(p, &s, "emailaddresses") == NULL);
    CHECK(sipsso_session_claim(p, &s, "group") == NULL);
    CHECK(sipsso_session_claim(p, &s, XS "givenname") == NULL);
    CHECK(sipsso_session_claim(p, &s, MS "emailaddress") == NULL);
    CHECK(sipsso_session_claim(p, &s, "http://evil.example/emailaddress") == NULL);
    CHECK(sipsso_session_claim(p, &s, "HTTP://SCHEMAS.XMLSOAP.ORG/WS/2005/05/"
                                      "IDENTITY/CLAIMS/EMAILADDRESS") == NULL);
    CHECK(sipsso_session_claim(p, &s, XS "emailaddress/") == NULL);
    CHECK(sipsso_session_claim(p, &s, "urn:oid:0.9.2342.19200300.100.1.1") == NULL);
    CHECK(sipsso_session_claim(p, &s, "") == NULL);
#undef IDX

    /* Multi-valued claim values are in order. */
    c = sipsso_session_claim(p, &s, "groups");
    CHECK(c && c->values->nelts == 2);
    CHECK(c && c->values->nelts == 2 &&
          strcmp(APR_ARRAY_IDX(c->values, 1, const char *), "g2") == 0);

    /* The same after a round trip through the record. */
    enc = sipsso_session_encode(p, &s, &len);
    CHECK(sipsso_session_decode(p, enc, len, &d) == NULL);
    c = sipsso_session_claim(p, &d, "emailaddress");
    CHECK(c && strcmp(c->name, XS "emailaddress") == 0);
    CHECK(c && c->values->nelts == 1 &&
          strcmp(APR_ARRAY_IDX(c->values, 0, const char *), "user@example.com") == 0);
    c = sipsso_session_claim(p, &d, WS "groups");
    CHECK(c && c->values->nelts == 2);
    CHECK(sipsso_session_claim(p, &d, "surname") == NULL);
}

/* Entra's nine default claims, with the values of the phpsaml capture in
 * t/fixtures/entra (the longest display name of the set). */
static void entra_size(apr_pool_t *p)
{
    sipsso_session s, d;
    apr_size_t len = 0;
    char *enc;

    base(p, &s);
    s.name_id = "chris.gralike@flevo-scouts.nl";
    s.session_index = "_80a1f769-3a6f-4a2c-aeb0-22e86d2e0100";
    s.idp = "https://sts.windows.net/3b530360-95d8-439e-bd69-3a8c331a2358/";
    add_claim(p, &s, MS "tenantid", "3b530360-95d8-439e-bd69-3a8c331a2358", NULL);
    add_claim(p, &s, MS "objectidentifier", "58c25608-50c5-4ff7-bf60-bab58b65ade2", NULL);
    add_claim(p, &s, MS "displayname", "Chris Gralike | Flevo-Scouts", NULL);
    add_claim(p, &s, MS "identityprovider",
              "https://sts.windows.net/3b530360-95d8-439e-bd69-3a8c331a2358/", NULL);
    add_claim(p, &s, MSC "authnmethodsreferences",
              "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password",
              "http://schemas.microsoft.com/claims/multipleauthn", NULL);
    add_claim(p, &s, XS "givenname", "Chris", NULL);
    add_claim(p, &s, XS "surname", "Gralike", NULL);
    add_claim(p, &s, XS "emailaddress", "chris.gralike@flevo-scouts.nl", NULL);
    add_claim(p, &s, XS "name", "chris.gralike@flevo-scouts.nl", NULL);

    enc = sipsso_session_encode(p, &s, &len);
    CHECK(enc && len == strlen(enc));
    CHECK(len < 2048);     /* 743 bytes with these values */
    if (len >= 2048)
        fprintf(stderr, "  Entra default session record: %lu bytes\n",
                (unsigned long)len);
    CHECK(sipsso_session_decode(p, enc, len, &d) == NULL);
    CHECK(same_claims(&s, &d));
    CHECK(d.claims->nelts == 9);
}

static void regressions(apr_pool_t *p)
{
    sipsso_session s;
    base(p, &s);
    add_claim(p, &s, XS "emailaddress", "user@example.com", NULL);
    /* A full URN that is not in the session matches another claim whose
     * short name equals its last ':' segment (the short-name path is taken
     * for any name without '/'). */
    CHECK(sipsso_session_claim(p, &s, "urn:evil:emailaddress") == NULL);
}

void test_record(apr_pool_t *p)
{
    round_trip(p);
    refuse(p);
    claim_lookup(p);
    entra_size(p);
    regressions(p);
}
