/*
 * test_verify_names.c - unit tests of the host-name policy (verify.c):
 * wildcard rules, IP literals, case, trailing dots, embedded NULs.
 */
#include <string.h>

#include "testutil.h"
#include "internal.h"

static int m(const char *pat, const char *host)
{
	return ussl_dns_match((const unsigned char *)pat, strlen(pat), host);
}

int main(void)
{
	unsigned char ip[16];
	size_t len;

	CHECK(m("example.com", "example.com"));
	CHECK(m("EXAMPLE.com", "example.COM"));
	CHECK(m("example.com.", "example.com"));
	CHECK(m("example.com", "example.com."));
	CHECK(!m("example.com", "www.example.com"));
	CHECK(!m("example.com", "example.co"));
	CHECK(m("*.example.com", "www.example.com"));
	CHECK(!m("*.example.com", "example.com"));
	CHECK(!m("*.example.com", "a.b.example.com"));
	CHECK(!m("*.example.com", ".example.com"));
	CHECK(!m("*.com", "example.com"));
	CHECK(!m("w*.example.com", "www.example.com"));
	CHECK(!m("*w.example.com", "www.example.com"));
	CHECK(!m("www.*.com", "www.example.com"));
	CHECK(!m("*.*.example.com", "a.b.example.com"));
	CHECK(!m("*", "localhost"));
	CHECK(!m("", "example.com"));
	CHECK(!m("example.com", ""));
	CHECK(!ussl_dns_match((const unsigned char *)"a.com\0.evil.com", 15,
	    "a.com"));

	CHECK(ussl_parse_ip("127.0.0.1", ip, &len) == 0 && len == 4 &&
	    ip[0] == 127 && ip[3] == 1);
	CHECK(ussl_parse_ip("255.255.255.255", ip, &len) == 0);
	CHECK(ussl_parse_ip("256.0.0.1", ip, &len) == -1);
	CHECK(ussl_parse_ip("1.2.3", ip, &len) == -1);
	CHECK(ussl_parse_ip("1.2.3.4.5", ip, &len) == -1);
	CHECK(ussl_parse_ip("01.2.3.4", ip, &len) == -1);
	CHECK(ussl_parse_ip("example.com", ip, &len) == -1);
	CHECK(ussl_parse_ip("::1", ip, &len) == 0 && len == 16 &&
	    ip[15] == 1 && ip[0] == 0);
	CHECK(ussl_parse_ip("::", ip, &len) == 0 && len == 16);
	CHECK(ussl_parse_ip("2001:db8::8:800:200c:417a", ip, &len) == 0 &&
	    ip[0] == 0x20 && ip[1] == 0x01 && ip[15] == 0x7a);
	CHECK(ussl_parse_ip("::ffff:192.0.2.1", ip, &len) == 0 &&
	    ip[10] == 0xff && ip[12] == 192);
	CHECK(ussl_parse_ip("1:2:3:4:5:6:7:8", ip, &len) == 0 && ip[15] == 8);
	CHECK(ussl_parse_ip("1:2:3:4:5:6:7:8:9", ip, &len) == -1);
	CHECK(ussl_parse_ip("1::2::3", ip, &len) == -1);
	CHECK(ussl_parse_ip("12345::", ip, &len) == -1);
	CHECK(ussl_parse_ip("1:", ip, &len) == -1);
	CHECK(ussl_parse_ip(":1", ip, &len) == -1);
	return tu_report("test_verify_names");
}
