#include "xml.h"
#include <apr_strings.h>
#include <libxml/parser.h>
#include <string.h>

static const char *prescan(const char *buf, apr_size_t len, int allow_comments)
{
    apr_size_t i;
    if (len >= 2 && (((unsigned char)buf[0] == 0xfe && (unsigned char)buf[1] == 0xff) ||
                     ((unsigned char)buf[0] == 0xff && (unsigned char)buf[1] == 0xfe)))
        return "UTF-16 XML is not accepted";
    if (memchr(buf, '\0', len) != NULL)
        return "XML contains a NUL byte";
    for (i = 0; i + 1 < len; i++) {
        if (buf[i] != '<' || buf[i + 1] != '!')
            continue;
        if (allow_comments && i + 3 < len && buf[i + 2] == '-' && buf[i + 3] == '-')
            continue;
        /* DOCTYPE (entities, external subsets), CDATA or comments. */
        return "XML contains a DOCTYPE, CDATA section or comment";
    }
    return NULL;
}

xmlDocPtr sipsso_xml_parse(const char *buf, apr_size_t len, int allow_comments,
                           const char **err)
{
    xmlDocPtr doc;
    int opts = XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR |
               XML_PARSE_IGNORE_ENC;

    if ((*err = prescan(buf, len, allow_comments)) != NULL)
        return NULL;
    if (len > (apr_size_t)INT32_MAX) {
        *err = "XML too large";
        return NULL;
    }
    doc = xmlReadMemory(buf, (int)len, NULL, "UTF-8", opts);
    if (doc == NULL) {
        *err = "XML is not well-formed";
        return NULL;
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        xmlFreeDoc(doc);
        *err = "XML contains a DOCTYPE";
        return NULL;
    }
    if (xmlDocGetRootElement(doc) == NULL) {
        xmlFreeDoc(doc);
        *err = "XML has no root element";
        return NULL;
    }
    return doc;
}

int sipsso_xml_is(const xmlNode *n, const char *ns, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->ns->href, ns) == 0 &&
           strcmp((const char *)n->name, name) == 0;
}

xmlNodePtr sipsso_xml_child(const xmlNode *n, const char *ns, const char *name,
                            int *count)
{
    xmlNodePtr c, first = NULL;
    int k = 0;
    for (c = n ? n->children : NULL; c; c = c->next) {
        if (sipsso_xml_is(c, ns, name)) {
            if (!first)
                first = c;
            k++;
        }
    }
    if (count)
        *count = k;
    return first;
}

const char *sipsso_xml_attr(apr_pool_t *p, const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    char *out;
    if (v == NULL)
        return NULL;
    out = apr_pstrdup(p, (const char *)v);
    xmlFree(v);
    return out;
}

const char *sipsso_xml_text(apr_pool_t *p, const xmlNode *n)
{
    xmlNodePtr c;
    const char *out = "";
    for (c = n->children; c; c = c->next) {
        if (c->type != XML_TEXT_NODE)
            return NULL;
        out = apr_pstrcat(p, out, (const char *)c->content, NULL);
    }
    return out;
}
