/* Loading the IdP's signing certificates in every form Entra hands out. */
#ifndef SIPSSO_CERT_H
#define SIPSSO_CERT_H

#include "../config/config.h"

/* Entra's "Certificate (Base64)" download: PEM with or without the
 * BEGIN/END lines, with or without a final newline, LF or CRLF; DER is
 * accepted too.  Returns NULL and fills *out, or an error message. */
const char *sipsso_cert_load_file(apr_pool_t *p, const char *path,
                                  sipsso_cert *out);
const char *sipsso_cert_from_buffer(apr_pool_t *p, const char *buf,
                                    apr_size_t len, const char *source,
                                    sipsso_cert *out);
/* From the base64 text of an X509Certificate element. */
const char *sipsso_cert_from_b64(apr_pool_t *p, const char *b64,
                                 const char *source, sipsso_cert *out);

/* "thumbprint E4FA..., CN=..., valid 2021-03-12 to 2024-03-12" */
const char *sipsso_cert_describe(apr_pool_t *p, const sipsso_cert *c);

#endif
