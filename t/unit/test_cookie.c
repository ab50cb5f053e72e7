#include "unit.h"
void test_cookie(apr_pool_t *p) { (void)p; }
