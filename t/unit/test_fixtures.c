/* Real Entra ID responses (t/fixtures/entra, see its README): the
 * response-processing code, with the clock pinned and the SP set to match
 * each capture, must accept every one with exactly the listed identity and
 * claims, and refuse it outside its window, with the wrong certificate, and
 * after the classic rollover mistake (the badgr metadata). */
#include "unit.h"
#include "../../saml/response.h"
#include "../../saml/cert.h"
#include "../../saml/idp_metadata.h"
#include <apr_strings.h>
#include <apr_file_io.h>

#define FX "../fixtures/entra/"

static char *slurp(apr_pool_t *p, const char *path, apr_size_t *len)
{
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf;
    if (apr_file_open(&f, path, APR_READ | APR_BINARY, 0, p) != APR_SUCCESS) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    *len = (apr_size_t)fi.size;
    buf = apr_palloc(p, *len + 1);
    apr_file_read_full(f, buf, *len, len);
    buf[*len] = '\0';
    apr_file_close(f);
    return buf;
}

static sipsso_sp *make_sp(apr_pool_t *p, const char *audience, const char *acs,
                          const char *issuer, const char *cert_file,
                          const char *metadata_file)
{
    sipsso_sp *sp = apr_pcalloc(p, sizeof(*sp));
    sipsso_idp_cfg *idp = apr_pcalloc(p, sizeof(*idp));
    const char *err;
    idp->certs = apr_array_make(p, 2, sizeof(sipsso_cert));
    if (metadata_file) {
        err = sipsso_idp_metadata_load(p, metadata_file, idp);
    }
    else {
        sipsso_cert c;
        idp->entity_id = issuer;
        idp->login_url = "https://login.microsoftonline.com/x/saml2";
        err = sipsso_cert_load_file(p, cert_file, &c);
        if (!err)
            APR_ARRAY_PUSH(idp->certs, sipsso_cert) = c;
    }
    CHECK(err == NULL);
    if (err) {
        fprintf(stderr, "make_sp: %s\n", err);
        return NULL;
    }
    sp->entity_id = audience;
    sp->acs_url = acs;
    sp->sls_url = "https://sp.invalid/sipsso/sls";
    sp->idp = idp;
    sp->clock_skew = 0;
    err = sipsso_sp_build(p, sp, NULL, NULL);
    CHECK(err == NULL);
    if (err)
        fprintf(stderr, "sp_build: %s\n", err);
    return err ? NULL : sp;
}

static apr_time_t at(const char *s)
{
    apr_time_t t = 0;
    CHECK(sipsso_parse_xs_datetime(s, &t) == 0);
    return t;
}

static const char *claim1(const sipsso_response *r, const char *uri)
{
    int i;
    for (i = 0; r->claims && i < r->claims->nelts; i++) {
        sipsso_claim *c = &APR_ARRAY_IDX(r->claims, i, sipsso_claim);
        if (strcmp(c->name, uri) == 0 && c->values->nelts > 0)
            return APR_ARRAY_IDX(c->values, 0, const char *);
    }
    return NULL;
}

typedef struct {
    const char *file, *cert, *audience, *acs, *issuer, *pin, *from, *until;
    const char *nameid, *oid, *display, *given, *assertion_id, *irt;
    int nclaims;
} fixture;

#define MS "http://schemas.microsoft.com/identity/claims/"
#define XS "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"

static const fixture fixtures[] = {
    { "tercen-2022-response.xml", "tercen-2022-signing.cer",
      "https://devpg.tercen.com/_service/sso/auth/saml",
      "https://devpg.tercen.com/_service/sso/auth/saml",
      "https://sts.windows.net/5b5c94c6-14cf-42da-85bc-4e08722b253b/",
      "2022-02-23T17:49:18.872Z", "2022-02-23T17:44:18.779Z", "2022-02-23T18:49:18.779Z",
      "test@alexandremaurelgmail.onmicrosoft.com", "814bd554-6a00-405c-91d5-4132d39ba4fb",
      "test", NULL, "_8c68ecbc-f68b-4f9b-bf66-e6afe9c0b001",
      "id6491e192-e2d9-4970-ab03-e38ffda6e033", 6 },
    { "tercen-2022-response-1046.xml", "tercen-2022-signing.cer",
      "https://devpg.tercen.com/_service/sso/auth/saml",
      "https://devpg.tercen.com/_service/sso/auth/saml",
      "https://sts.windows.net/5b5c94c6-14cf-42da-85bc-4e08722b253b/",
      "2022-02-23T10:46:21.014Z", "2022-02-23T10:41:20.936Z", "2022-02-23T11:46:20.936Z",
      "test@alexandremaurelgmail.onmicrosoft.com", "814bd554-6a00-405c-91d5-4132d39ba4fb",
      "test", NULL, "_5798a44f-ed08-4fb2-8529-6b7b9057e601",
      "id74b5b099-6fae-45a2-bea0-63952df077ed", 6 },
    { "badgr-egcc-2021-response-1253.xml", "badgr-egcc-2021-signing.cer",
      "https://api.test.badgr.com/account/saml2/saml2.egcc/acs/",
      "https://api.test.badgr.com/account/saml2/saml2.egcc/acs/",
      "https://sts.windows.net/2f277f1e-e5f1-4f62-b595-79c2d13afda4/",
      "2021-04-09T12:53:30.562Z", "2021-04-09T12:48:30.402Z", "2021-04-09T13:53:30.402Z",
      "SDent1234@student.egcc.edu", "709cd037-9bbb-4dd2-a6ce-a8838ddcb62a",
      "Stu Dent", "Stu", "_81f43d08-ad43-4d90-83f6-0ef40b4a1f00", "id-dxvhOj4HsG9rlVDVx", 9 },
    { "badgr-egcc-2021-response-1306.xml", "badgr-egcc-2021-signing.cer",
      "https://api.test.badgr.com/account/saml2/saml2.egcc/acs/",
      "https://api.test.badgr.com/account/saml2/saml2.egcc/acs/",
      "https://sts.windows.net/2f277f1e-e5f1-4f62-b595-79c2d13afda4/",
      "2021-04-09T13:06:39.088Z", "2021-04-09T13:01:38.878Z", "2021-04-09T14:06:38.878Z",
      "SDent1234@student.egcc.edu", "709cd037-9bbb-4dd2-a6ce-a8838ddcb62a",
      "Stu Dent", "Stu", "_1f2c474c-98ea-4238-9cc5-3412b0b62000", "id-Sg9sVh45fFtIDZBRZ", 9 },
    { "phpsaml-2023-response.xml", "phpsaml-2023-signing.cer",
      "https://mc.trippie.fun/glpi/",
      "https://mc.trippie.fun/glpi/plugins/phpsaml/front/acs.php",
      "https://sts.windows.net/3b530360-95d8-439e-bd69-3a8c331a2358/",
      "2023-06-21T21:43:30.805Z", "2023-06-21T21:38:30.648Z", "2023-06-21T22:43:30.648Z",
      "chris.gralike@flevo-scouts.nl", "58c25608-50c5-4ff7-bf60-bab58b65ade2",
      "Chris Gralike | Flevo-Scouts", "Chris", "_80a1f769-3a6f-4a2c-aeb0-22e86d2e0100",
      "ONELOGIN_ee5435f1ca13e34e2e0a884287324f9caa2fb98d", 9 },
};

static sipsso_resp_rc run(apr_pool_t *p, const sipsso_sp *sp, const char *file,
                          apr_time_t now, sipsso_response *res)
{
    apr_size_t len;
    char *xml = slurp(p, apr_pstrcat(p, FX, file, NULL), &len);
    char *enc = xml ? sipsso_b64_encode(p, (const unsigned char *)xml, len) : "";
    return sipsso_response_process(p, sp, enc, strlen(enc), now, res);
}

static void accept_one(apr_pool_t *p, const fixture *f)
{
    sipsso_sp *sp = make_sp(p, f->audience, f->acs, f->issuer,
                            apr_pstrcat(p, FX, f->cert, NULL), NULL);
    sipsso_response res;
    sipsso_resp_rc rc;
    if (!sp)
        return;
    rc = run(p, sp, f->file, at(f->pin), &res);
    CHECK(rc == SIPSSO_RESP_OK);
    if (rc != SIPSSO_RESP_OK)
        fprintf(stderr, "  %s: %s\n", f->file, res.reason);
    CHECK_STR(res.name_id, f->nameid);
    CHECK_STR(res.name_id_format, "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress");
    CHECK_STR(res.issuer, f->issuer);
    CHECK_STR(res.assertion_id, f->assertion_id);
    CHECK_STR(res.session_index, f->assertion_id);
    CHECK_STR(res.in_response_to, f->irt);
    CHECK_STR(res.signed_parts, "assertion");
    CHECK(res.claims && res.claims->nelts == f->nclaims);
    CHECK_STR(claim1(&res, MS "objectidentifier"), f->oid);
    CHECK_STR(claim1(&res, MS "displayname"), f->display);
    CHECK_STR(claim1(&res, MS "tenantid"), apr_pstrndup(p, f->issuer + 24, 36));
    if (f->given)
        CHECK_STR(claim1(&res, XS "givenname"), f->given);
    CHECK_STR(claim1(&res, XS "name"), f->nameid);
    /* The window is [NotBefore, NotOnOrAfter): its edges, with skew 0. */
    CHECK(run(p, sp, f->file, at(f->from), &res) == SIPSSO_RESP_OK);
    CHECK(run(p, sp, f->file, at(f->from) - 1, &res) == SIPSSO_RESP_INVALID);
    CHECK(run(p, sp, f->file, at(f->until) - 1, &res) == SIPSSO_RESP_OK);
    CHECK(run(p, sp, f->file, at(f->until), &res) == SIPSSO_RESP_INVALID);
    CHECK(res.reason && strstr(res.reason, "expired") != NULL);
}

static void refuse_wrong_cert(apr_pool_t *p)
{
    const fixture *f = &fixtures[0];
    sipsso_sp *sp = make_sp(p, f->audience, f->acs, f->issuer,
                            FX "phpsaml-2023-signing.cer", NULL);
    sipsso_response res;
    if (!sp)
        return;
    CHECK(run(p, sp, f->file, at(f->pin), &res) == SIPSSO_RESP_INVALID);
    CHECK(res.reason && strstr(res.reason, "not configured") != NULL);
    CHECK(res.reason && strstr(res.reason, "51C2D601242429AFD1F23C23C5D7AF1AC50604F1"));
}

static void refuse_wrong_sp(apr_pool_t *p)
{
    const fixture *f = &fixtures[2];
    sipsso_sp *sp = make_sp(p, "https://other.example/", f->acs, f->issuer,
                            apr_pstrcat(p, FX, f->cert, NULL), NULL);
    sipsso_response res;
    if (!sp)
        return;
    CHECK(run(p, sp, f->file, at(f->pin), &res) == SIPSSO_RESP_INVALID);
    CHECK(res.reason && strstr(res.reason, "Audience") != NULL);
    sp = make_sp(p, f->audience, "https://api.test.badgr.com/other/acs",
                 f->issuer, apr_pstrcat(p, FX, f->cert, NULL), NULL);
    CHECK(run(p, sp, f->file, at(f->pin), &res) == SIPSSO_RESP_INVALID);
    CHECK(res.reason && strstr(res.reason, "Destination") != NULL);
}

/* The badgr metadata holds the pre-rollover certificate. */
static void rollover(apr_pool_t *p)
{
    const fixture *f = &fixtures[2];
    sipsso_sp *sp = make_sp(p, f->audience, f->acs, NULL, NULL,
                            FX "badgr-egcc-2021-metadata.xml");
    sipsso_response res;
    int i;
    if (!sp)
        return;
    CHECK_STR(sp->idp->entity_id, f->issuer);
    for (i = 2; i <= 3; i++) {
        CHECK(run(p, sp, fixtures[i].file, at(fixtures[i].pin), &res) ==
              SIPSSO_RESP_INVALID);
        CHECK(res.reason && strstr(res.reason, "not configured"));
        CHECK(res.reason && strstr(res.reason, "D11FF58F7E635DA276660C79D39B28F65F7F7AFB"));
        CHECK(res.reason && strstr(res.reason, "2021-04-05 to 2024-04-05"));
        CHECK(res.reason && strstr(res.reason, "E4FA4C54F764E069D13E354074ADAAFFA8A71694"));
    }
}

static void metadata_files(apr_pool_t *p)
{
    sipsso_idp_cfg idp;
    memset(&idp, 0, sizeof(idp));
    idp.certs = apr_array_make(p, 2, sizeof(sipsso_cert));
    CHECK(sipsso_idp_metadata_load(p, FX "xmlcrypto-tenant-metadata.xml", &idp) == NULL);
    CHECK(idp.certs->nelts == 2);
    CHECK_STR(idp.entity_id, "https://sts.windows.net/8bd6e98d-e212-4022-b13f-a244fab4c253/");
    CHECK_STR(idp.login_url, "https://login.windows.net/8bd6e98d-e212-4022-b13f-a244fab4c253/saml2");
    memset(&idp, 0, sizeof(idp));
    idp.certs = apr_array_make(p, 2, sizeof(sipsso_cert));
    CHECK(sipsso_idp_metadata_load(p, FX "aduneo-app-metadata.xml", &idp) == NULL);
    CHECK(idp.certs->nelts == 1);
    CHECK_STR(APR_ARRAY_IDX(idp.certs, 0, sipsso_cert).thumbprint,
              "034FE701AA7E0BAC5548893C083F497B7B37617E");
    CHECK_STR(idp.logout_url, "https://login.microsoftonline.com/b20a2822-5260-4ea7-b000-c17131389b33/saml2");
}

void test_fixtures(apr_pool_t *p)
{
    apr_size_t i;
    for (i = 0; i < sizeof(fixtures) / sizeof(*fixtures); i++)
        accept_one(p, &fixtures[i]);
    refuse_wrong_cert(p);
    refuse_wrong_sp(p);
    rollover(p);
    metadata_files(p);
}
