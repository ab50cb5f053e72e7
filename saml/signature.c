/* Our own signature check, independent of lasso's: each Signature must sign
 * exactly its parent element (one Reference, URI "#<parent ID>"), with
 * algorithms we accept, and verify with a key from the configuration, never
 * with one the message brings in KeyInfo. */
#include "response_int.h"
#include "cert.h"
#include "../util/util.h"
#include <apr_strings.h>
#include <string.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/transforms.h>
#include <xmlsec/crypto.h>

#define ALG(x) "http://www.w3.org/2001/04/xmldsig-more#" x
#define ALG_ENC(x) "http://www.w3.org/2001/04/xmlenc#" x
#define ALG_DS(x) "http://www.w3.org/2000/09/xmldsig#" x
#define ALG_EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ALG_C14N "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"

static int alg_in(const char *alg, const char *const *list)
{
    for (; alg && *list; list++)
        if (strcmp(alg, *list) == 0)
            return 1;
    return 0;
}

static const char *check_signed_info(apr_pool_t *p, const sipsso_sp *sp,
                                     xmlNodePtr sig, const char *id)
{
    static const char *const sig_ok[] = { ALG("rsa-sha256"), ALG("rsa-sha384"),
                                          ALG("rsa-sha512"), NULL };
    static const char *const dig_ok[] = { ALG_ENC("sha256"), ALG("sha384"),
                                          ALG_ENC("sha512"), NULL };
    static const char *const sha1[] = { ALG_DS("rsa-sha1"), ALG_DS("sha1"), NULL };
    static const char *const c14n[] = { ALG_EXC_C14N, ALG_C14N, NULL };
    static const char *const tr_ok[] = { ALG_DS("enveloped-signature"),
                                         ALG_EXC_C14N, ALG_C14N, NULL };
    int n;
    xmlNodePtr si = sipsso_xml_child(sig, SIPSSO_NS_DS, "SignedInfo", &n), ref, t;
    const char *alg;

    if (si == NULL || n != 1)
        return "a Signature without exactly one SignedInfo";
    if (sipsso_xml_child(sig, SIPSSO_NS_DS, "Object", NULL))
        return "a Signature carries an Object element";
    alg = sipsso_xml_attr(p, sipsso_xml_child(si, SIPSSO_NS_DS,
                          "CanonicalizationMethod", NULL), "Algorithm");
    if (!alg_in(alg, c14n))
        return "a Signature uses an unsupported canonicalization";
    alg = sipsso_xml_attr(p, sipsso_xml_child(si, SIPSSO_NS_DS,
                          "SignatureMethod", NULL), "Algorithm");
    if (!alg_in(alg, sig_ok) && !(sp->allow_sha1 && alg_in(alg, sha1)))
        return apr_psprintf(p, "signature algorithm %s is not accepted "
                            "(RSA-SHA256 or stronger is required)",
                            alg ? alg : "(none)");
    ref = sipsso_xml_child(si, SIPSSO_NS_DS, "Reference", &n);
    if (ref == NULL || n != 1)
        return "a Signature must have exactly one Reference";
    alg = sipsso_xml_attr(p, ref, "URI");
    if (alg == NULL || alg[0] != '#' || strcmp(alg + 1, id) != 0)
        return "a Signature does not reference the element that holds it";
    alg = sipsso_xml_attr(p, sipsso_xml_child(ref, SIPSSO_NS_DS,
                          "DigestMethod", NULL), "Algorithm");
    if (!alg_in(alg, dig_ok) && !(sp->allow_sha1 && alg_in(alg, sha1)))
        return apr_psprintf(p, "digest algorithm %s is not accepted "
                            "(SHA-256 or stronger is required)",
                            alg ? alg : "(none)");
    t = sipsso_xml_child(ref, SIPSSO_NS_DS, "Transforms", NULL);
    for (t = t ? t->children : NULL; t; t = t->next)
        if (t->type == XML_ELEMENT_NODE &&
            !alg_in(sipsso_xml_attr(p, t, "Algorithm"), tr_ok))
            return "a Signature uses a transform other than enveloped "
                   "signature and canonicalization";
    return NULL;
}

static void enable_transforms(xmlSecDSigCtxPtr ctx, int allow_sha1)
{
    xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId);
    xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformExclC14NId);
    xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformInclC14NId);
    xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha256Id);
    xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha384Id);
    xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha512Id);
    xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformExclC14NId);
    xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformInclC14NId);
    xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformRsaSha256Id);
    xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformRsaSha384Id);
    xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformRsaSha512Id);
    if (allow_sha1) {
        xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha1Id);
        xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformRsaSha1Id);
    }
    ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
}

static int verify_with(xmlNodePtr sig, xmlSecKeyPtr key, int allow_sha1)
{
    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
    int ok = 0;
    if (ctx == NULL)
        return 0;
    enable_transforms(ctx, allow_sha1);
    ctx->signKey = xmlSecKeyDuplicate(key);
    if (ctx->signKey != NULL && xmlSecDSigCtxVerify(ctx, sig) == 0 &&
        ctx->status == xmlSecDSigStatusSucceeded &&
        xmlSecPtrListGetSize(&ctx->signedInfoReferences) == 1)
        ok = 1;
    xmlSecDSigCtxDestroy(ctx);
    return ok;
}

/* The classic certificate-rollover mistake deserves a precise log line:
 * which certificate signed, and which ones are configured. */
static const char *diagnose(apr_pool_t *p, const sipsso_sp *sp, xmlNodePtr sig)
{
    xmlNodePtr ki = sipsso_xml_child(sig, SIPSSO_NS_DS, "KeyInfo", NULL);
    xmlNodePtr xd = sipsso_xml_child(ki, SIPSSO_NS_DS, "X509Data", NULL);
    xmlNodePtr xc = sipsso_xml_child(xd, SIPSSO_NS_DS, "X509Certificate", NULL);
    const char *b64 = xc ? sipsso_xml_text(p, xc) : NULL, *conf = "";
    sipsso_cert c;
    int i;

    for (i = 0; i < sp->idp->certs->nelts; i++)
        conf = apr_pstrcat(p, conf, i ? "; " : "", sipsso_cert_describe(p,
                           &APR_ARRAY_IDX(sp->idp->certs, i, sipsso_cert)), NULL);
    if (b64 == NULL || sipsso_cert_from_b64(p, b64, "response", &c) != NULL)
        return apr_psprintf(p, "the signature does not verify with any "
                            "configured IdP certificate (configured: %s)", conf);
    for (i = 0; i < sp->idp->certs->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(sp->idp->certs, i, sipsso_cert).thumbprint,
                   c.thumbprint) == 0)
            return "the signature is invalid: the signed content was "
                   "altered after signing";
    return apr_psprintf(p, "the response was signed by a certificate that is "
                        "not configured: %s; configured: %s (Entra certificate "
                        "rollover? download the current certificate or "
                        "metadata)", sipsso_cert_describe(p, &c), conf);
}

static const char *verify_one(apr_pool_t *p, const sipsso_sp *sp,
                              xmlNodePtr sig, xmlNodePtr parent)
{
    const char *id = sipsso_xml_attr(p, parent, "ID"), *err;
    xmlAttrPtr attr = xmlHasProp(parent, (const xmlChar *)"ID");
    int i;

    if (id == NULL || !*id || attr == NULL)
        return "a signed element has no ID";
    if ((err = check_signed_info(p, sp, sig, id)) != NULL)
        return err;
    if (xmlGetID(parent->doc, (const xmlChar *)id) == NULL)
        xmlAddID(NULL, parent->doc, (const xmlChar *)id, attr);
    for (i = 0; i < sp->idp_keys->nelts; i++)
        if (verify_with(sig, APR_ARRAY_IDX(sp->idp_keys, i, xmlSecKeyPtr),
                        sp->allow_sha1))
            return NULL;
    return diagnose(p, sp, sig);
}

const char *sipsso_check_signatures(apr_pool_t *p, const sipsso_sp *sp,
                                    sipsso_msg *m, sipsso_response *out)
{
    const char *err;
    if (m->response_sig == NULL && m->assertion_sig == NULL)
        return "neither the Response nor the Assertion is signed";
    if (m->response_sig &&
        (err = verify_one(p, sp, m->response_sig, m->response)) != NULL)
        return apr_pstrcat(p, "Response signature: ", err, NULL);
    if (m->assertion_sig &&
        (err = verify_one(p, sp, m->assertion_sig, m->assertion)) != NULL)
        return apr_pstrcat(p, "Assertion signature: ", err, NULL);
    out->signed_parts = m->response_sig && m->assertion_sig ? "both"
                      : m->response_sig ? "response" : "assertion";
    return NULL;
}
