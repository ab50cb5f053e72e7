#include "unit.h"
#include <apr_general.h>
#include <libxml/parser.h>

int unit_pass, unit_fail;

int main(void)
{
    apr_pool_t *p;
    apr_initialize();
    apr_pool_create(&p, NULL);
    test_util(p);
    test_cookie(p);
    test_record(p);
    test_fixtures(p);
    test_vars(p);
    test_store_health(p);
    apr_pool_destroy(p);
    apr_terminate();
    printf("%d passed, %d failed\n", unit_pass, unit_fail);
    return unit_fail ? 1 : 0;
}
