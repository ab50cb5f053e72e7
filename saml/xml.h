/* libxml2 with the doors shut: no network, no DTD, no entities, UTF-8 only,
 * bounded size.  Every XML document the module reads goes through here. */
#ifndef SIPSSO_XML_H
#define SIPSSO_XML_H

#include <apr_pools.h>
#include <libxml/tree.h>

#define SIPSSO_NS_SAMLP "urn:oasis:names:tc:SAML:2.0:protocol"
#define SIPSSO_NS_SAML  "urn:oasis:names:tc:SAML:2.0:assertion"
#define SIPSSO_NS_MD    "urn:oasis:names:tc:SAML:2.0:metadata"
#define SIPSSO_NS_DS    "http://www.w3.org/2000/09/xmldsig#"

/* allow_comments: metadata files edited by admins may hold comments; SAML
 * messages may not (a comment inside a signed value is an attack). */
xmlDocPtr sipsso_xml_parse(const char *buf, apr_size_t len, int allow_comments,
                           const char **err);

int sipsso_xml_is(const xmlNode *n, const char *ns, const char *name);
/* First element child with that name, and how many there are. */
xmlNodePtr sipsso_xml_child(const xmlNode *n, const char *ns, const char *name,
                            int *count);
/* Attribute value copied into the pool, NULL when absent. */
const char *sipsso_xml_attr(apr_pool_t *p, const xmlNode *n, const char *name);
/* Text content of an element that must hold text only (NULL otherwise). */
const char *sipsso_xml_text(apr_pool_t *p, const xmlNode *n);

#endif
