/* The session found for a request is kept in its request config, so that
 * authorization providers, header injection and subrequests or internal
 * redirects of an authenticated request use it without asking the store
 * again (the session cookie may already be stripped for the backend). */
#include "auth.h"

void sipsso_note_session(request_rec *r, const sipsso_session *s)
{
    ap_set_module_config(r->request_config, &sipsso_module, (void *)s);
}

const sipsso_session *sipsso_request_session(request_rec *r)
{
    return ap_get_module_config(r->request_config, &sipsso_module);
}

const sipsso_session *sipsso_inherited_session(request_rec *r)
{
    request_rec *m = r->main ? r->main : r->prev;
    while (m != NULL) {
        const sipsso_session *s = sipsso_request_session(m);
        if (s != NULL)
            return s;
        m = m->main ? m->main : m->prev;
    }
    return NULL;
}
