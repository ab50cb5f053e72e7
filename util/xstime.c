/* xs:dateTime parsing for SAML time conditions.  A value we cannot parse
 * exactly is an error, never "no condition". */
#include "util.h"
#include <apr_strings.h>
#include <ctype.h>
#include <string.h>

static int digits(const char *s, int n, int *out)
{
    int i, v = 0;
    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long days_from_civil(int y, int m, int d)
{
    long era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int parse_zone(const char *s, long *offset)
{
    int hh, mm;
    if (s[0] == 'Z' && s[1] == '\0') {
        *offset = 0;
        return 0;
    }
    if ((s[0] != '+' && s[0] != '-') || digits(s + 1, 2, &hh) ||
        s[3] != ':' || digits(s + 4, 2, &mm) || s[6] != '\0' ||
        hh > 14 || mm > 59 || (hh == 14 && mm > 0))
        return -1;
    *offset = (hh * 60L + mm) * 60L * (s[0] == '-' ? -1 : 1);
    return 0;
}

int sipsso_parse_xs_datetime(const char *s, apr_time_t *out)
{
    int y, mo, d, h, mi, sec, i;
    long usec = 0, scale = 100000, offset;
    static const int mdays[] = {31,29,31,30,31,30,31,31,30,31,30,31};

    if (s == NULL || strlen(s) < 20 || strlen(s) > 40 ||
        digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
        s[7] != '-' || digits(s + 8, 2, &d) || s[10] != 'T' ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
        s[16] != ':' || digits(s + 17, 2, &sec))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
        mi > 59 || sec > 59 || y < 1970)
        return -1;
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return -1;
    i = 19;
    if (s[i] == '.') {
        i++;
        if (!isdigit((unsigned char)s[i]))
            return -1;
        for (; isdigit((unsigned char)s[i]); i++) {
            usec += (s[i] - '0') * scale;
            scale /= 10;
        }
    }
    if (parse_zone(s + i, &offset))
        return -1;
    *out = apr_time_from_sec((apr_time_t)days_from_civil(y, mo, d) * 86400
                             + h * 3600 + mi * 60 + sec - offset) + usec;
    return 0;
}

char *sipsso_format_xs_datetime(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t e;
    apr_time_exp_gmt(&e, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", e.tm_year + 1900,
                        e.tm_mon + 1, e.tm_mday, e.tm_hour, e.tm_min,
                        e.tm_sec);
}
