/* Assertion replay cache, in the same store as the sessions so that a
 * cluster shares it.  An entry lives until the assertion itself expires
 * (plus clock skew): after that the time checks refuse it anyway.
 * A solicited response is single-use already, through the atomic claim of
 * its outstanding request (pending.c); this cache is what stops a replayed
 * IdP-initiated one, and a second line of defence for the others. */
#include "state.h"
#include "store.h"
#include <apr_strings.h>
#include <string.h>

apr_status_t sipsso_replay_mark(request_rec *r, sipsso_srv_cfg *c,
                                const char *assertion_id, apr_time_t expiry)
{
    const char *key = apr_pstrcat(r->pool, c->store_ns, ":a:",
                                  sipsso_sha256_hex(r->pool, assertion_id,
                                                    strlen(assertion_id)), NULL);
    return sipsso_store_add(c->store, r->server, key, "1", 1, expiry, r->pool);
}
