/* ReturnTo / RelayState targets.  Browsers are generous in what they treat
 * as "another site" ("//evil", "/\evil", "http:evil", tabs and newlines
 * stripped inside URLs), so we accept only a narrow, obviously local form. */
#include "util.h"
#include <string.h>

#define SIPSSO_MAX_RETURN_URL 2048

const char *sipsso_local_url(apr_pool_t *p, const char *url)
{
    apr_size_t i, len;
    (void)p;

    if (url == NULL)
        return NULL;
    len = strlen(url);
    if (len == 0 || len > SIPSSO_MAX_RETURN_URL || url[0] != '/')
        return NULL;
    /* "//host" and "/\host" are network-path references to browsers. */
    if (url[1] == '/' || url[1] == '\\')
        return NULL;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c < 0x20 || c == 0x7f || c == '\\')
            return NULL;
    }
    /* An encoded slash or backslash right after the first '/' could be
     * decoded by a later hop into "//" or "/\". */
    if (len >= 4 && url[1] == '%' &&
        (strncasecmp(url + 2, "2f", 2) == 0 ||
         strncasecmp(url + 2, "5c", 2) == 0))
        return NULL;
    return url;
}
