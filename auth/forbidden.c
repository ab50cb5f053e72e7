/* A signed-in user who fails a Require gets a 403 page that says so, not a
 * 401 that would look like "sign in again" (mod_authz_core answers 401
 * unless AuthzSendForbiddenOnFailure is on).  The page is installed when
 * mod_authz_core notes the failure; an error filter turns the status line
 * into 403 before the headers go out. */
#include "auth.h"
#include "../handler/handlers.h"
#include <http_core.h>
#include <http_protocol.h>
#include <util_filter.h>
#include <string.h>

#define FILTER_NAME "SIPSSO_FORBIDDEN"

static int signed_in_sipsso(request_rec *r)
{
    const char *type = ap_auth_type(r);
    return r->user != NULL && type != NULL &&
           strcasecmp(type, SIPSSO_AUTH_TYPE) == 0;
}

int sipsso_note_auth_failure(request_rec *r, const char *auth_type)
{
    if (auth_type == NULL || strcasecmp(auth_type, SIPSSO_AUTH_TYPE) != 0)
        return DECLINED;
    if (r->user != NULL)
        sipsso_hook_page(r, HTTP_UNAUTHORIZED, "Access denied",
            "<p>You are signed in, but your account is not allowed to use "
            "this page. If you think you should have access, ask the "
            "application's administrator to add you to the right group.</p>");
    return OK;
}

static apr_status_t forbidden_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    if (r->status == HTTP_UNAUTHORIZED) {
        r->status = HTTP_FORBIDDEN;
        r->status_line = ap_get_status_line(HTTP_FORBIDDEN);
        apr_table_unset(r->err_headers_out, "WWW-Authenticate");
    }
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

void sipsso_insert_error_filter(request_rec *r)
{
    if (r->status == HTTP_UNAUTHORIZED && signed_in_sipsso(r))
        ap_add_output_filter(FILTER_NAME, NULL, r, r->connection);
}

void sipsso_register_forbidden(apr_pool_t *p)
{
    (void)p;
    ap_register_output_filter(FILTER_NAME, forbidden_filter, NULL,
                              AP_FTYPE_CONTENT_SET);
}
