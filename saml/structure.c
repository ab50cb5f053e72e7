/* Structural rules that make signature wrapping impossible by construction:
 * exactly one Response (the root) and exactly one Assertion (its direct
 * child); signatures only as direct children of those two; unique IDs; no
 * comments, processing instructions, CDATA or xml:id anywhere.  Entra's
 * responses always have this shape, so nothing legitimate is lost. */
#include "response_int.h"
#include <apr_strings.h>
#include <apr_hash.h>
#include <string.h>

typedef struct {
    apr_pool_t *p;
    sipsso_msg *m;
    int elements;
    int assertions;
    apr_hash_t *ids;
    const char *err;
} walk_state;

static int is_id_attr(const xmlAttr *a)
{
    const char *n = (const char *)a->name;
    return strcmp(n, "ID") == 0 || strcmp(n, "Id") == 0 ||
           strcmp(n, "id") == 0 || strcmp(n, "AssertionID") == 0 ||
           strcmp(n, "ResponseID") == 0;
}

static const char *check_attrs(walk_state *w, xmlNodePtr n)
{
    xmlAttrPtr a;
    for (a = n->properties; a; a = a->next) {
        xmlChar *v;
        if (a->ns && a->ns->href &&
            strcmp((const char *)a->ns->href,
                   (const char *)XML_XML_NAMESPACE) == 0 &&
            strcmp((const char *)a->name, "id") == 0)
            return "an xml:id attribute is present";
        if (!is_id_attr(a))
            continue;
        v = xmlNodeGetContent((xmlNodePtr)a);
        if (v == NULL)
            continue;
        if (apr_hash_get(w->ids, v, APR_HASH_KEY_STRING)) {
            xmlFree(v);
            return "two elements carry the same ID";
        }
        apr_hash_set(w->ids, apr_pstrdup(w->p, (char *)v),
                     APR_HASH_KEY_STRING, "");
        xmlFree(v);
    }
    return NULL;
}

static const char *check_signature_place(walk_state *w, xmlNodePtr n)
{
    xmlNodePtr parent = n->parent;
    xmlNodePtr *slot;
    if (parent == w->m->response)
        slot = &w->m->response_sig;
    else if (parent == w->m->assertion && parent != NULL)
        slot = &w->m->assertion_sig;
    else
        return "a Signature element is not a direct child of the Response "
               "or of the Assertion";
    if (*slot != NULL)
        return "an element carries two Signature elements";
    *slot = n;
    return NULL;
}

static const char *check_element(walk_state *w, xmlNodePtr n, int depth)
{
    const char *err;
    if (++w->elements > SIPSSO_MAX_ELEMENTS)
        return "too many XML elements";
    if (depth > SIPSSO_MAX_DEPTH)
        return "XML nested too deeply";
    if ((err = check_attrs(w, n)) != NULL)
        return err;
    if (sipsso_xml_is(n, SIPSSO_NS_SAML, "Assertion")) {
        if (++w->assertions > 1)
            return "more than one Assertion";
        if (n->parent != w->m->response)
            return "the Assertion is not a direct child of the Response";
        w->m->assertion = n;
    }
    if (sipsso_xml_is(n, SIPSSO_NS_SAML, "EncryptedAssertion"))
        return "an EncryptedAssertion is present (encrypted assertions are "
               "not supported: turn off token encryption in Entra)";
    if (sipsso_xml_is(n, SIPSSO_NS_SAMLP, "Response") && n != w->m->response)
        return "a nested Response element";
    return NULL;
}

/* Depth-first walk; signatures are placed after the whole tree is seen so
 * that an Assertion appearing after a Signature is known. */
static const char *walk(walk_state *w, xmlNodePtr n, int depth)
{
    const char *err;
    for (; n; n = n->next) {
        switch (n->type) {
        case XML_ELEMENT_NODE:
            if ((err = check_element(w, n, depth)) != NULL)
                return err;
            if ((err = walk(w, n->children, depth + 1)) != NULL)
                return err;
            break;
        case XML_TEXT_NODE:
            break;
        default:
            return "the XML contains comments, processing instructions, "
                   "CDATA or entity references";
        }
    }
    return NULL;
}

static const char *place_signatures(walk_state *w, xmlNodePtr n)
{
    const char *err;
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (sipsso_xml_is(n, SIPSSO_NS_DS, "Signature")) {
            if ((err = check_signature_place(w, n)) != NULL)
                return err;
            continue;                   /* nothing nested inside counts */
        }
        if ((err = place_signatures(w, n->children)) != NULL)
            return err;
    }
    return NULL;
}

const char *sipsso_check_structure(apr_pool_t *p, sipsso_msg *m)
{
    walk_state w;
    xmlNodePtr root = xmlDocGetRootElement(m->doc);
    const char *err, *version;

    if (!sipsso_xml_is(root, SIPSSO_NS_SAMLP, "Response"))
        return "the document is not a SAML 2.0 Response";
    if (root->prev != NULL || root->next != NULL)
        return "content next to the Response element";
    memset(&w, 0, sizeof(w));
    w.p = p;
    w.m = m;
    w.ids = apr_hash_make(p);
    m->response = root;
    if ((err = walk(&w, root, 0)) != NULL)
        return err;
    if ((err = place_signatures(&w, root->children)) != NULL)
        return err;
    version = sipsso_xml_attr(p, root, "Version");
    if (version == NULL || strcmp(version, "2.0") != 0)
        return "the Response is not SAML version 2.0";
    return NULL;
}
