/* A minimal test harness: CHECK counts, prints failures, and main() ends
 * with "N passed, N failed" (the line CI reads). */
#ifndef SIPSSO_UNIT_H
#define SIPSSO_UNIT_H

#include <stdio.h>
#include <string.h>
#include <apr_pools.h>

extern int unit_pass, unit_fail;

#define CHECK(cond) do { \
    if (cond) unit_pass++; \
    else { unit_fail++; \
        fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_STR(a, b) do { \
    const char *a_ = (a), *b_ = (b); \
    if (a_ && b_ && strcmp(a_, b_) == 0) unit_pass++; \
    else { unit_fail++; \
        fprintf(stderr, "FAIL %s:%d: %s == %s (\"%s\" vs \"%s\")\n", __FILE__, \
                __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } \
} while (0)

/* One function per test file; add new ones to the list in main.c. */
void test_util(apr_pool_t *p);
void test_cookie(apr_pool_t *p);
void test_record(apr_pool_t *p);
void test_fixtures(apr_pool_t *p);
void test_vars(apr_pool_t *p);
void test_store_health(apr_pool_t *p);

#endif
