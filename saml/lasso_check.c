/* lasso processes the same bytes and must agree.  Its return code alone
 * is not proof (it returns the same "signature not found" for a response
 * whose assertion is signed and for one where nothing is), which is why our
 * own signature check ran first and this is a second opinion. */
#include "response_int.h"
#include <apr_strings.h>
#include <lasso/errors.h>

const char *sipsso_lasso_check(apr_pool_t *p, const sipsso_sp *sp,
                               const char *b64, apr_size_t len,
                               const sipsso_msg *m)
{
    LassoLogin *login = lasso_login_new(sp->server);
    char *msg = apr_pstrmemdup(p, b64, len);
    int rc;

    if (login == NULL)
        return "lasso_login_new failed";
    lasso_profile_set_signature_verify_hint(LASSO_PROFILE(login),
        LASSO_PROFILE_SIGNATURE_VERIFY_HINT_MAYBE);
    rc = lasso_login_process_authn_response_msg(login, msg);
    lasso_login_destroy(login);
    if (rc == 0)
        return NULL;
    /* "Not found" refers to the Response's own signature: acceptable only
     * when the Response is indeed unsigned and the Assertion is signed. */
    if (rc == LASSO_DS_ERROR_SIGNATURE_NOT_FOUND && m->response_sig == NULL &&
        m->assertion_sig != NULL)
        return NULL;
    return apr_psprintf(p, "lasso rejected the response: %s (%d)",
                        lasso_strerror(rc), rc);
}
