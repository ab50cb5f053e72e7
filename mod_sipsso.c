/* mod_sipsso: SAML 2.0 single sign-on with Microsoft Entra ID for httpd.
 * This file is glue only: the module record, the hooks and the directive
 * table.  See DESIGN.md and docs/ for the rest. */
#include <httpd.h>
#include <http_config.h>
#include <http_protocol.h>
#include <http_request.h>
#include <util_mutex.h>
#include <mod_auth.h>
#include <stddef.h>

#include "config/config.h"
#include "auth/auth.h"
#include "handler/handlers.h"
#include "session/store.h"

#define SRV_STR(name, field, help) \
    AP_INIT_TAKE1(name, sipsso_set_srv_string, \
                  (void *)offsetof(sipsso_srv_cfg, field), RSRC_CONF, help)
#define SRV_INT(name, field, help) \
    AP_INIT_TAKE1(name, sipsso_set_srv_int, \
                  (void *)offsetof(sipsso_srv_cfg, field), RSRC_CONF, help)
#define SRV_FLAG(name, field, help) \
    AP_INIT_FLAG(name, sipsso_set_srv_flag, \
                 (void *)offsetof(sipsso_srv_cfg, field), RSRC_CONF, help)
#define IDP_VAL(name, field, help) \
    AP_INIT_TAKE1(name, sipsso_set_idp_value, \
                  (void *)offsetof(sipsso_idp_cfg, field), RSRC_CONF, help)
#define DIR_FLAG(name, field, help) \
    AP_INIT_FLAG(name, ap_set_flag_slot, \
                 (void *)APR_OFFSETOF(sipsso_dir_cfg, field), OR_AUTHCFG, help)

static const command_rec sipsso_cmds[] = {
    SRV_STR("SipSSOEntityID", entity_id, "the SP's entity ID (Entra: Identifier)"),
    AP_INIT_TAKE1("SipSSOEndpointPath", sipsso_set_endpoint_path,
                  (void *)offsetof(sipsso_srv_cfg, endpoint_path), RSRC_CONF,
                  "base path of the module's endpoints (default /sipsso)"),
    AP_INIT_TAKE1("SipSSOBaseURL", sipsso_set_url,
                  (void *)offsetof(sipsso_srv_cfg, base_url), RSRC_CONF,
                  "external https://host[:port] behind a TLS-terminating proxy"),
    AP_INIT_TAKE1("SipSSOIdPMetadataFile", sipsso_set_idp_metadata, NULL,
                  RSRC_CONF, "Entra's Federation Metadata XML file"),
    IDP_VAL("SipSSOIdPEntityID", entity_id, "Entra's Microsoft Entra Identifier"),
    IDP_VAL("SipSSOIdPLoginURL", login_url, "Entra's Login URL"),
    IDP_VAL("SipSSOIdPLogoutURL", logout_url, "Entra's Logout URL"),
    AP_INIT_TAKE1("SipSSOIdPCertificate", sipsso_set_idp_cert, NULL, RSRC_CONF,
                  "Entra's SAML signing certificate (Base64 .cer); may repeat"),
    SRV_STR("SipSSOSPPrivateKeyFile", sp_key_file, "the SP's private key (PEM)"),
    SRV_STR("SipSSOSPCertificateFile", sp_cert_file, "the SP's certificate (PEM)"),
    SRV_STR("SipSSOSessionCache", cache_spec,
            "socache provider[:args] for sessions (default shmcb)"),
    SRV_INT("SipSSOSessionMaxAge", session_max_age, "absolute session lifetime, seconds"),
    SRV_INT("SipSSOSessionIdleTimeout", session_idle_timeout,
            "idle session lifetime, seconds (0: none)"),
    SRV_STR("SipSSOCookieName", cookie_name, "session cookie name (default sipsso)"),
    SRV_STR("SipSSOCookieDomain", cookie_domain, "session cookie Domain"),
    SRV_STR("SipSSOCookiePath", cookie_path, "session cookie Path (default /)"),
    AP_INIT_TAKE1("SipSSOCookieSameSite", sipsso_set_samesite,
                  (void *)offsetof(sipsso_srv_cfg, cookie_samesite), RSRC_CONF,
                  "Lax (default), Strict or None"),
    SRV_INT("SipSSOClockSkew", clock_skew, "tolerated clock difference, seconds"),
    SRV_FLAG("SipSSOAllowIdPInitiated", allow_idp_initiated,
             "accept unsolicited responses (My Apps tiles)"),
    AP_INIT_TAKE1("SipSSODefaultURL", sipsso_set_default_url,
                  (void *)offsetof(sipsso_srv_cfg, default_url), RSRC_CONF,
                  "landing page for IdP-initiated sign-ins and logouts"),
    SRV_FLAG("SipSSOAllowSHA1", allow_sha1, "accept SHA-1 signatures (unsafe)"),

    AP_INIT_TAKE1("SipSSOUserAttribute", sipsso_set_user_attribute, NULL,
                  OR_AUTHCFG, "NameID or a claim: what becomes REMOTE_USER"),
    AP_INIT_TAKE2("SipSSOClaimAlias", sipsso_set_claim_alias, NULL, OR_AUTHCFG,
                  "claim URI and the short name it gets"),
    DIR_FLAG("SipSSOPassive", passive, "set the identity if signed in, never redirect"),
    DIR_FLAG("SipSSORequestHeaders", request_headers,
             "pass the identity to the backend as request headers"),
    AP_INIT_TAKE1("SipSSOHeaderPrefix", sipsso_set_header_prefix, NULL,
                  OR_AUTHCFG, "prefix of identity headers (default X-SSO-)"),
    DIR_FLAG("SipSSOForceAuthn", force_authn, "ask Entra to re-authenticate"),
    { NULL }
};

static int sipsso_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp)
{
    (void)plog; (void)ptemp;
    return ap_mutex_register(pconf, SIPSSO_MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
}

static int sipsso_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    return sipsso_config_post(pconf, ptemp, s);
}

static void sipsso_child_init(apr_pool_t *p, server_rec *s)
{
    sipsso_config_child_init(p, s);
}

static void sipsso_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(sipsso_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(sipsso_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(sipsso_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_quick_handler(sipsso_quick_handler, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_check_authn(sipsso_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_header_parser(sipsso_header_parser, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_fixups(sipsso_fixups, NULL, NULL, APR_HOOK_LAST);
    ap_hook_note_auth_failure(sipsso_note_auth_failure, NULL, NULL,
                              APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(sipsso_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    sipsso_register_authz(p);
    sipsso_register_forbidden(p);
    sipsso_register_pages(p);
}

AP_DECLARE_MODULE(sipsso) = {
    STANDARD20_MODULE_STUFF,
    sipsso_create_dir_config,
    sipsso_merge_dir_config,
    sipsso_create_server_config,
    sipsso_merge_server_config,
    sipsso_cmds,
    sipsso_register_hooks
};
