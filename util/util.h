/* Pure helpers (no httpd request, no lasso): decoding, URL checks, claim
 * naming, time parsing.  Kept apart so C unit tests and fuzzers can link them
 * with APR alone. */
#ifndef SIPSSO_UTIL_H
#define SIPSSO_UTIL_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

/* A claim (SAML attribute) and its values, as stored in a session. */
typedef struct {
    const char *name;                  /* claim URI as the IdP sent it */
    apr_array_header_t *values;        /* const char * */
} sipsso_claim;

/* Strict standard base64 (RFC 4648 section 4) decoding.  CR and LF are
 * ignored (anywhere) because some IdPs wrap at 76 columns; any other
 * byte outside the alphabet, bad padding or non-zero pad bits is refused.
 * Returns NULL on error; *outlen excludes the NUL that is always appended. */
unsigned char *sipsso_b64_decode_strict(apr_pool_t *p, const char *in,
                                        apr_size_t inlen, apr_size_t *outlen);

/* Standard base64 with padding, one line. */
char *sipsso_b64_encode(apr_pool_t *p, const unsigned char *in, apr_size_t len);

/* base64url without padding, for random tokens. */
char *sipsso_b64url_encode(apr_pool_t *p, const unsigned char *in,
                           apr_size_t len);

/* True when s is exactly n characters of the base64url alphabet. */
int sipsso_is_b64url_token(const char *s, apr_size_t n);

/* application/x-www-form-urlencoded body: parse into a table.  Refuses a
 * malformed %-escape, an empty name, more than max_fields fields, and any
 * field given twice (an attacker's second SAMLResponse must not win). */
apr_table_t *sipsso_form_parse(apr_pool_t *p, const char *body,
                               apr_size_t len, int max_fields,
                               const char **err);

/* Percent-decoding of one query/form component ('+' is a space).  NULL on a
 * malformed escape or an encoded NUL. */
char *sipsso_url_decode(apr_pool_t *p, const char *in, apr_size_t len);
char *sipsso_url_encode(apr_pool_t *p, const char *in);

/* Value of one query-string parameter (first occurrence), decoded; NULL when
 * absent or malformed. */
char *sipsso_query_param(apr_pool_t *p, const char *query, const char *name);

/* A ReturnTo value is accepted only as a local absolute path: it starts with
 * exactly one '/', never "//" or "/\", contains no control characters, no
 * backslash and no scheme.  Returns the value to use or NULL. */
const char *sipsso_local_url(apr_pool_t *p, const char *url);

/* Short name of a claim: the last path segment of its URI, upper-cased, with
 * every character other than [A-Z0-9] mapped to '_' so that it is safe as an
 * environment variable and header name. */
char *sipsso_claim_short(apr_pool_t *p, const char *uri);
/* A claim's values joined with ';' (const char * elements), in one
 * allocation: a join per value would copy 150 groups 150 times. */
char *sipsso_join_values(apr_pool_t *p, const apr_array_header_t *values);
/* The same after prefix, in one allocation ("SIPSSO_" + short name). */
char *sipsso_claim_short_prefixed(apr_pool_t *p, const char *prefix,
                                   const char *uri);

/* Variables set many at a time (util/vars.c).  Names compare exactly, so
 * callers give them in one case; the last value set for a name wins, and
 * apply() replaces any variable of that name already in the table.  Every
 * name must begin with the prefix given to apply(). */
typedef struct sipsso_vars sipsso_vars;
sipsso_vars *sipsso_vars_make(apr_pool_t *p, int hint);
void sipsso_vars_set(sipsso_vars *v, const char *name, const char *value);
int sipsso_vars_count(const sipsso_vars *v);
void sipsso_vars_apply(const sipsso_vars *v, apr_table_t *t, const char *prefix);

/* xs:dateTime as SAML uses it (UTC "Z" or an offset, optional fraction).
 * Returns 0 on success. */
int sipsso_parse_xs_datetime(const char *s, apr_time_t *out);
char *sipsso_format_xs_datetime(apr_pool_t *p, apr_time_t t);

/* Constant-time equality of two NUL-terminated strings (length leaks). */
int sipsso_ct_streq(const char *a, const char *b);

/* HTML escaping for error and setup pages. */
char *sipsso_html_escape(apr_pool_t *p, const char *s);

/* Hex of a SHA-256 / SHA-1 digest (upper-case for SHA-1 thumbprints, as the
 * Entra portal shows them). */
#define SIPSSO_SHA256_LEN 32
void sipsso_sha256(const void *data, apr_size_t len,
                   unsigned char out[SIPSSO_SHA256_LEN]);
char *sipsso_sha256_hex(apr_pool_t *p, const void *data, apr_size_t len);
char *sipsso_sha1_thumbprint(apr_pool_t *p, const void *data, apr_size_t len);

/* Value escaping used by the session record format: '%', CR, LF, TAB and
 * other control characters become %XX. */
char *sipsso_escape_value(apr_pool_t *p, const char *s);
/* NULL when s holds an escape sipsso_escape_value never writes. */
char *sipsso_unescape_value(apr_pool_t *p, const char *s);
/* The same on a writable string; 0, or -1 for a bad escape. */
int sipsso_unescape_inplace(char *s);

#endif
