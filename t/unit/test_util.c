#include "unit.h"
void test_util(apr_pool_t *p) { (void)p; }
