/* libFuzzer: the whole response-processing function with a fixed SP (the
 * tercen fixture's audience and certificate, clock pinned to its
 * IssueInstant).  The input is the decoded XML; the harness encodes it.
 * Invariant: nothing but the untouched captured response is accepted, since
 * any change inside the signed assertion must break its signature. */
#include "../saml/response.h"
#include "../saml/cert.h"
#include <apr_general.h>
#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>
#include <sanitizer/lsan_interface.h>

#define FX_DIR "t/fixtures/entra/"

static apr_pool_t *root;
static sipsso_sp *sp;
static apr_time_t pinned;

static void setup(void)
{
    sipsso_idp_cfg *idp;
    sipsso_cert cert;
    const char *dir = getenv("SIPSSO_FIXTURES") ? getenv("SIPSSO_FIXTURES") : FX_DIR;

    apr_initialize();
    apr_pool_create(&root, NULL);
    idp = apr_pcalloc(root, sizeof(*idp));
    idp->certs = apr_array_make(root, 1, sizeof(sipsso_cert));
    idp->entity_id = "https://sts.windows.net/5b5c94c6-14cf-42da-85bc-4e08722b253b/";
    idp->login_url = "https://login.microsoftonline.com/x/saml2";
    if (sipsso_cert_load_file(root, apr_pstrcat(root, dir,
                              "tercen-2022-signing.cer", NULL), &cert) != NULL)
        abort();
    APR_ARRAY_PUSH(idp->certs, sipsso_cert) = cert;
    sp = apr_pcalloc(root, sizeof(*sp));
    sp->entity_id = sp->acs_url = "https://devpg.tercen.com/_service/sso/auth/saml";
    sp->sls_url = "https://devpg.tercen.com/sipsso/sls";
    sp->idp = idp;
    if (sipsso_sp_build(root, sp, NULL, NULL) != NULL)
        abort();
    sipsso_parse_xs_datetime("2022-02-23T17:49:18.872Z", &pinned);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static const char *original;
    static apr_size_t original_len;
    apr_pool_t *p;
    sipsso_response res;
    char *b64;

    if (!root) {
        /* The SP lives for the whole run and APR's pool memory is not
         * scanned by LeakSanitizer: its keys are not leaks. */
        __lsan_disable();
        setup();
        __lsan_enable();
    }
    if (size > 300 * 1024)
        return 0;
    apr_pool_create(&p, root);
    b64 = sipsso_b64_encode(p, data, size);
    if (sipsso_response_process(p, sp, b64, strlen(b64), pinned, &res) ==
        SIPSSO_RESP_OK) {
        if (original == NULL) {
            /* First acceptance must be the seed itself: remember it. */
            original = apr_pmemdup(root, data, size);
            original_len = size;
        }
        else if (size != original_len || memcmp(data, original, size) != 0) {
            /* Accepted bytes that differ must at least carry the same
             * identity from an untouched assertion. */
            if (strcmp(res.name_id, "test@alexandremaurelgmail.onmicrosoft.com"))
                __builtin_trap();
        }
    }
    apr_pool_destroy(p);
    return 0;
}
