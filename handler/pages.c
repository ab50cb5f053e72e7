/* Pages for people: a title, a sentence that says what happened, what to do
 * next, and a reference that matches the error log line.  Never XML, never
 * a secret, never the internal reason (that is in the log). */
#include "handlers.h"
#include "../session/state.h"
#include "../util/util.h"
#include <http_log.h>
#include <http_protocol.h>
#include <http_core.h>
#include "../session/store.h"
#include <apr_strings.h>
#include <stdlib.h>

APLOG_USE_MODULE(sipsso);

static const char *page(apr_pool_t *p, const char *title, const char *body)
{
    return apr_pstrcat(p,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width\">"
        "<title>", sipsso_html_escape(p, title), "</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:44em;margin:3em auto;"
        "padding:0 1em;color:#222;line-height:1.45}h1{font-size:1.4em}"
        "code,.ref{font-family:ui-monospace,monospace;background:#f3f3f3;"
        "padding:.1em .3em}table{border-collapse:collapse}td,th{text-align:"
        "left;padding:.3em .6em;border-bottom:1px solid #ddd;vertical-align:"
        "top}</style></head><body><h1>", sipsso_html_escape(p, title),
        "</h1>\n", body, "\n</body></html>\n", NULL);
}

void sipsso_no_cache(request_rec *r)
{
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->err_headers_out, "Pragma", "no-cache");
}

const char *sipsso_new_ref(request_rec *r)
{
    const char *ref = sipsso_random_token(r->pool, 6);
    return ref ? ref : "-";
}

/* The same headers for a page from a handler and from a hook. */
static void page_headers(request_rec *r)
{
    sipsso_no_cache(r);
    apr_table_setn(r->err_headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->err_headers_out, "Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'");
}

int sipsso_send_page(request_rec *r, int status, const char *title,
                     const char *body_html)
{
    r->status = status;
    page_headers(r);
    ap_set_content_type(r, "text/html; charset=utf-8");
    if (!r->header_only)
        ap_rputs(page(r->pool, title, body_html), r);
    return OK;
}

#define PAGE_NOTE "sipsso-page"
#define PAGE_FILTER "SIPSSO_PAGE"

int sipsso_hook_page(request_rec *r, int status, const char *title,
                     const char *body_html)
{
    page_headers(r);
    apr_table_setn(r->notes, PAGE_NOTE, apr_itoa(r->pool, status));
    /* ap_custom_response marks it as literal text itself. */
    ap_custom_response(r, status, page(r->pool, title, body_html));
    return status;
}

/* httpd sends a custom error text as ISO-8859-1 whatever it is; ours is
 * UTF-8 (names, claim values), so say so before the headers go out. */
static apr_status_t page_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    ap_set_content_type(f->r, "text/html; charset=utf-8");
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

/* Only for the error our page was installed for (a 401 page may go out as
 * 403, see auth/forbidden.c), not for another error of the same request. */
static void insert_page_filter(request_rec *r)
{
    const char *noted = apr_table_get(r->notes, PAGE_NOTE);
    int status = noted ? atoi(noted) : 0;
    if (status != 0 && (r->status == status ||
        (status == HTTP_UNAUTHORIZED && r->status == HTTP_FORBIDDEN)))
        ap_add_output_filter(PAGE_FILTER, NULL, r, r->connection);
}

void sipsso_register_pages(apr_pool_t *p)
{
    (void)p;
    ap_register_output_filter(PAGE_FILTER, page_filter, NULL,
                              AP_FTYPE_CONTENT_SET);
    ap_hook_insert_error_filter(insert_page_filter, NULL, NULL, APR_HOOK_MIDDLE);
}

int sipsso_reject(request_rec *r, int status, const char *reason)
{
    return sipsso_reject_hint(r, status, reason, NULL);
}

int sipsso_reject_hint(request_rec *r, int status, const char *reason,
                       const char *hint)
{
    const char *ref = sipsso_new_ref(r);
    const char *title = status == HTTP_REQUEST_ENTITY_TOO_LARGE
        ? "Sign-in message too large" : "Sign-in failed";
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "sipsso: rejected sign-in response (ref %s): %s", ref, reason);
    return sipsso_send_page(r, status, title, apr_pstrcat(r->pool,
        "<p>The sign-in could not be completed because the answer from the "
        "identity provider was not valid for this site.</p>",
        hint ? apr_pstrcat(r->pool, "<p>", sipsso_html_escape(r->pool, hint),
                           "</p>", NULL) : "",
        "<p>Please <a href=\"/\">start again</a>. If this keeps happening, "
        "give your administrator this reference: <span class=\"ref\">",
        sipsso_html_escape(r->pool, ref), "</span>.</p>", NULL));
}

int sipsso_store_down(request_rec *r, apr_status_t rv, int hook)
{
    const char *ref = sipsso_new_ref(r);
    const char *body = apr_pstrcat(r->pool,
        "<p>Sign-in is temporarily unavailable: the session service cannot be "
        "reached. Please try again in a minute.</p><p>Reference: "
        "<span class=\"ref\">", sipsso_html_escape(r->pool, ref),
        "</span></p>", NULL);
    ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "sipsso: session store %s "
                  "unavailable (ref %s): denying access",
                  sipsso_srv(r->server)->store->spec, ref);
    if (hook)
        return sipsso_hook_page(r, HTTP_SERVICE_UNAVAILABLE,
                                "Service temporarily unavailable", body);
    return sipsso_send_page(r, HTTP_SERVICE_UNAVAILABLE,
                            "Service temporarily unavailable", body);
}
