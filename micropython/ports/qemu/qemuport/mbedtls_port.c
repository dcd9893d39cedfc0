/*
 * mbedtls_port.c - mbedTLS's platform hooks in the qemu firmware (see
 * mbedtls/mbedtls_config_port.h): wall-clock time for certificate dates,
 * and entropy.
 *
 * The entropy hook, mbedtls_hardware_poll(), reads mp_hal_get_random(),
 * which on these machines is the TEST-ONLY generator of test_rng.c.  It
 * is weak: the ussl module defines the same hook (on the same function)
 * for ports that leave it to the stock module, and either may be the one
 * linked; the stock module needs this one.
 */
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mbedtls/mbedtls_config_port.h"
#include <mbedtls/platform_time.h>

#include "qemuport.h"

#if defined(MBEDTLS_HAVE_TIME)
time_t qemuport_mbedtls_time(time_t *t)
{
	time_t now = (time_t)qemuport_time();

	if (t != NULL)
		*t = now;
	return now;
}

mbedtls_ms_time_t mbedtls_ms_time(void)
{
	return (mbedtls_ms_time_t)qemuport_time() * 1000;
}
#endif

#if defined(MBEDTLS_HAVE_TIME_DATE)
/* Proleptic Gregorian calendar from days since 1970-01-01 (the
   civil_from_days algorithm of H. Hinnant, public domain). */
struct tm *mbedtls_platform_gmtime_r(const mbedtls_time_t *tt,
    struct tm *tm_buf)
{
	int64_t t = (int64_t)*tt;
	int64_t days = t / 86400, secs = t % 86400, era, yoe, doy, mp, y;
	unsigned d, m;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	tm_buf->tm_hour = (int)(secs / 3600);
	tm_buf->tm_min = (int)(secs / 60 % 60);
	tm_buf->tm_sec = (int)(secs % 60);
	tm_buf->tm_wday = (int)((days % 7 + 11) % 7);	/* 1970-01-01: Thu */
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doy = days - era * 146097;				/* day of era */
	yoe = (doy - doy / 1460 + doy / 36524 - doy / 146096) / 365;
	y = yoe + era * 400;
	doy = doy - (365 * yoe + yoe / 4 - yoe / 100);		/* day of year from March */
	mp = (5 * doy + 2) / 153;
	d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	if (m <= 2)
		y++;
	tm_buf->tm_year = (int)(y - 1900);
	tm_buf->tm_mon = (int)m - 1;
	tm_buf->tm_mday = (int)d;
	tm_buf->tm_yday = 0;		/* mbedTLS does not read it */
	tm_buf->tm_isdst = 0;
	return tm_buf;
}
#endif

#if defined(MBEDTLS_ENTROPY_HARDWARE_ALT)
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len,
    size_t *olen);

__attribute__((weak)) int mbedtls_hardware_poll(void *data,
    unsigned char *output, size_t len, size_t *olen)
{
	(void)data;
	mp_hal_get_random(len, output);	/* TEST-ONLY: test_rng.c */
	*olen = len;
	return 0;
}
#endif
