#include "unit.h"
void test_record(apr_pool_t *p) { (void)p; }
