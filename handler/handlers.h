/* Endpoint handlers under SipSSOEndpointPath, and the pages they show. */
#ifndef SIPSSO_HANDLERS_H
#define SIPSSO_HANDLERS_H

#include "../config/config.h"

int sipsso_quick_handler(request_rec *r, int lookup);

int sipsso_acs_handler(request_rec *r, sipsso_srv_cfg *c);
int sipsso_login_handler(request_rec *r, sipsso_srv_cfg *c);
int sipsso_logout_handler(request_rec *r, sipsso_srv_cfg *c);
int sipsso_sls_handler(request_rec *r, sipsso_srv_cfg *c);
/* Expire the session cookie in this response. */
void sipsso_clear_cookie(request_rec *r, sipsso_srv_cfg *c);
int sipsso_metadata_handler(request_rec *r, sipsso_srv_cfg *c);
int sipsso_setup_handler(request_rec *r, sipsso_srv_cfg *c);

/* Send the browser to the IdP (302), remembering return_to server-side.
 * Usable from a hook (returns the status to return). */
int sipsso_start_login(request_rec *r, sipsso_srv_cfg *c,
                       const char *return_to, int force_authn);

/* pages.c: a short random reference shown to the person and logged. */
const char *sipsso_new_ref(request_rec *r);
/* A full HTML page as the response of a handler; returns OK. */
int sipsso_send_page(request_rec *r, int status, const char *title,
                     const char *body_html);
/* The same page from a hook: installed as the error document; returns
 * status for the hook to return. */
int sipsso_hook_page(request_rec *r, int status, const char *title,
                     const char *body_html);
/* The error filter that labels hook pages as UTF-8. */
void sipsso_register_pages(apr_pool_t *p);
/* Log reason (with ref) and answer with a generic page for that status. */
int sipsso_reject(request_rec *r, int status, const char *reason);
/* The same with a sentence for the person (plain text, escaped here). */
int sipsso_reject_hint(request_rec *r, int status, const char *reason,
                       const char *hint);
/* The store failed: 503, in a handler (hook=0) or a hook (hook=1). */
int sipsso_store_down(request_rec *r, apr_status_t rv, int hook);

/* aadsts.c: the IdP said no. */
int sipsso_idp_error_page(request_rec *r, sipsso_srv_cfg *c, const char *code,
                          const char *subcode, const char *message,
                          int answers_our_request);

/* target as a Location: local paths are made absolute on the external
 * base URL; an absolute SipSSODefaultURL is used as configured. */
const char *sipsso_location(request_rec *r, sipsso_srv_cfg *c,
                            const char *target);

/* Common response headers for anything carrying SSO state. */
void sipsso_no_cache(request_rec *r);

#endif
