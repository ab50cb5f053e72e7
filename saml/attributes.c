/* Claims from the AttributeStatement(s) of the verified assertion.  Values
 * must be plain text; counts and sizes are bounded so a response cannot
 * blow up the session record, the environment or request headers. */
#include "response_int.h"
#include <apr_strings.h>
#include <string.h>

static sipsso_claim *claim_for(apr_pool_t *p, sipsso_response *out,
                               const char *name)
{
    int i;
    sipsso_claim *c;
    for (i = 0; i < out->claims->nelts; i++) {
        c = &APR_ARRAY_IDX(out->claims, i, sipsso_claim);
        if (strcmp(c->name, name) == 0)
            return c;
    }
    if (out->claims->nelts >= SIPSSO_MAX_ATTRIBUTES)
        return NULL;
    c = &APR_ARRAY_PUSH(out->claims, sipsso_claim);
    c->name = name;
    c->values = apr_array_make(p, 1, sizeof(const char *));
    return c;
}

static const char *read_attribute(apr_pool_t *p, xmlNodePtr a,
                                  sipsso_response *out, int *total)
{
    const char *name = sipsso_xml_attr(p, a, "Name");
    sipsso_claim *c;
    xmlNodePtr v;

    if (name == NULL || !*name || strlen(name) > 1024)
        return "an Attribute has no usable Name";
    if ((c = claim_for(p, out, name)) == NULL)
        return "too many attributes";
    for (v = a->children; v; v = v->next) {
        const char *text;
        if (!sipsso_xml_is(v, SIPSSO_NS_SAML, "AttributeValue"))
            continue;
        if ((text = sipsso_xml_text(p, v)) == NULL)
            return apr_psprintf(p, "a value of attribute %s is not plain text",
                                name);
        if (strlen(text) > SIPSSO_MAX_VALUE_LEN)
            return apr_psprintf(p, "a value of attribute %s is too long", name);
        if (++*total > SIPSSO_MAX_VALUES)
            return "too many attribute values";
        APR_ARRAY_PUSH(c->values, const char *) = text;
    }
    return NULL;
}

const char *sipsso_read_attributes(apr_pool_t *p, xmlNodePtr assertion,
                                   sipsso_response *out)
{
    xmlNodePtr st, a;
    int total = 0;
    const char *err;

    out->claims = apr_array_make(p, 12, sizeof(sipsso_claim));
    for (st = assertion->children; st; st = st->next) {
        if (!sipsso_xml_is(st, SIPSSO_NS_SAML, "AttributeStatement"))
            continue;
        for (a = st->children; a; a = a->next) {
            if (sipsso_xml_is(a, SIPSSO_NS_SAML, "EncryptedAttribute"))
                return "an attribute is encrypted";
            if (sipsso_xml_is(a, SIPSSO_NS_SAML, "Attribute") &&
                (err = read_attribute(p, a, out, &total)) != NULL)
                return err;
        }
    }
    return NULL;
}
