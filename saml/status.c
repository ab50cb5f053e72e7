/* The top-level StatusCode.  A non-success status is the IdP telling the
 * user "no" (AADSTS...); it is shown to the person, never acted on. */
#include "response_int.h"
#include <apr_strings.h>
#include <string.h>

#define SIPSSO_MAX_STATUS_MESSAGE 1024

int sipsso_read_status(apr_pool_t *p, sipsso_msg *m, sipsso_response *out)
{
    xmlNodePtr st = sipsso_xml_child(m->response, SIPSSO_NS_SAMLP, "Status", NULL);
    xmlNodePtr code = sipsso_xml_child(st, SIPSSO_NS_SAMLP, "StatusCode", NULL);
    xmlNodePtr sub = sipsso_xml_child(code, SIPSSO_NS_SAMLP, "StatusCode", NULL);
    xmlNodePtr msg = sipsso_xml_child(st, SIPSSO_NS_SAMLP, "StatusMessage", NULL);
    const char *text;

    out->status_code = code ? sipsso_xml_attr(p, code, "Value") : NULL;
    if (out->status_code && strcmp(out->status_code, SIPSSO_STATUS_SUCCESS) == 0)
        return 1;
    out->status_subcode = sub ? sipsso_xml_attr(p, sub, "Value") : NULL;
    out->in_response_to = sipsso_xml_attr(p, m->response, "InResponseTo");
    text = msg ? sipsso_xml_text(p, msg) : NULL;
    if (text && strlen(text) > SIPSSO_MAX_STATUS_MESSAGE)
        text = apr_pstrndup(p, text, SIPSSO_MAX_STATUS_MESSAGE);
    out->status_message = text;
    if (out->status_code == NULL)
        out->status_code = "(missing)";
    out->reason = "the IdP returned a non-success status";
    return 0;
}
