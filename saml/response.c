/* Order matters: bounded decoding and our structural rules run before
 * lasso sees a byte (lasso 2.8.1 has a memory-exhaustion bug on crafted
 * input, CVE-2025-46784), signatures are checked before any value is
 * trusted, and values are read only from the assertion whose signature was
 * verified. */
#include "response_int.h"
#include "../util/util.h"
#include <apr_strings.h>
#include <string.h>

static sipsso_resp_rc reject(sipsso_response *out, const char *reason)
{
    out->reason = reason;
    return SIPSSO_RESP_INVALID;
}

static sipsso_resp_rc process_doc(apr_pool_t *p, const sipsso_sp *sp,
                                  sipsso_msg *m, const char *b64,
                                  apr_size_t len, apr_time_t now,
                                  sipsso_response *out)
{
    const char *err;

    if ((err = sipsso_check_structure(p, m)) != NULL)
        return reject(out, err);
    if (!sipsso_read_status(p, m, out))
        return SIPSSO_RESP_IDP_ERROR;
    if (m->assertion == NULL)
        return reject(out, "the response holds no assertion");
    if ((err = sipsso_check_signatures(p, sp, m, out)) != NULL)
        return reject(out, err);
    if ((err = sipsso_check_assertion(p, sp, m, now, out)) != NULL)
        return reject(out, err);
    if ((err = sipsso_read_attributes(p, m->assertion, out)) != NULL)
        return reject(out, err);
    if ((err = sipsso_lasso_check(p, sp, b64, len, m)) != NULL)
        return reject(out, err);
    return SIPSSO_RESP_OK;
}

sipsso_resp_rc sipsso_response_process(apr_pool_t *p, const sipsso_sp *sp,
                                       const char *b64, apr_size_t len,
                                       apr_time_t now, sipsso_response *out)
{
    sipsso_msg m = { NULL, NULL, NULL, NULL, NULL };
    unsigned char *xml;
    apr_size_t xml_len;
    const char *err;
    sipsso_resp_rc rc;

    memset(out, 0, sizeof(*out));
    if (len > SIPSSO_MAX_RESPONSE_B64)
        return reject(out, "SAMLResponse is larger than 256 KiB");
    xml = sipsso_b64_decode_strict(p, b64, len, &xml_len);
    if (xml == NULL)
        return reject(out, "SAMLResponse is not valid base64");
    if (xml_len > SIPSSO_MAX_RESPONSE_XML)
        return reject(out, "decoded SAMLResponse is larger than 192 KiB");
    m.doc = sipsso_xml_parse((const char *)xml, xml_len, 0, &err);
    if (m.doc == NULL)
        return reject(out, apr_pstrcat(p, "SAMLResponse: ", err, NULL));
    rc = process_doc(p, sp, &m, b64, len, now, out);
    xmlFreeDoc(m.doc);
    return rc;
}
