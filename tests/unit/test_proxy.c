/*
 * proxy_parse, proxy_is_trusted and proxy_client_address: the list's syntax
 * and limits, CIDR edges (/0, /32, /128, prefixes off byte boundaries, host
 * bits set), IPv4-mapped IPv6, and the X-Forwarded-For walk: spoofed
 * left-most entries, chains of proxies, garbage, empty values.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "proxy.h"

static struct trusted_proxies t;
static char err[256];

static void parse_ok(const char *text)
{
	err[0] = '\0';
	ck_assert_msg(proxy_parse(&t, text, err, sizeof err), "'%s' refused: %s", text, err);
}

START_TEST(parse_lists)
{
	parse_ok("10.0.0.0/8, 172.18.0.1 ::1,fd00::/8");
	ck_assert_uint_eq(t.count, 4);
	parse_ok(" ,\t10.0.0.0/8 ,, 192.168.0.1\n");
	ck_assert_uint_eq(t.count, 2);
	parse_ok("");
	ck_assert_uint_eq(t.count, 0);
	parse_ok(" , ");
	ck_assert_uint_eq(t.count, 0);
	ck_assert(proxy_parse(&t, NULL, err, sizeof err));
	ck_assert_uint_eq(t.count, 0);
	parse_ok("0.0.0.0/0 ::/0 192.0.2.1/32 2001:db8::1/128 10.0.0.0/032");
	ck_assert_uint_eq(t.count, 5);
}
END_TEST

START_TEST(parse_capacity)
{
	char text[2048] = "";
	for (int i = 0; i < TRUSTED_PROXIES_MAX; i++) {
		size_t n = strlen(text);
		snprintf(text + n, sizeof text - n, "%s10.0.%d.1", i ? ", " : "", i);
	}
	parse_ok(text);
	ck_assert_uint_eq(t.count, TRUSTED_PROXIES_MAX);

	size_t n = strlen(text);
	snprintf(text + n, sizeof text - n, ", 10.1.0.1");
	ck_assert(!proxy_parse(&t, text, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "more than"));
	ck_assert_uint_eq(t.count, 0);
}
END_TEST

static const char *const bad_lists[] = {
	"foo",
	"10.0.0.0/8, foo",
	"10.0.0.256",
	"10.0.0",
	"010.0.0.1",
	"10.0.0.0/33",
	"::/129",
	"10.0.0.0/",
	"10.0.0.0/-1",
	"10.0.0.0/+8",
	"10.0.0.0/8/8",
	"10.0.0.0/0x8",
	"/8",
	"10.0.0.1/8",     /* host bits set */
	"11.0.0.0/7",     /* 11 = 0000101|1: the last bit is past /7 */
	"192.0.2.1/31",
	"0.0.0.1/0",
	"fd00::1/8",
	"2001:db8::1/127",
	"1.2.3.4:80",
	"[::1]",
	"fe80::1%eth0",
	"::ffff:10.0.0.0/80", /* a mapped network below /96 would cover plain IPv6 too */
	"::ffff:10.0.0.1/104",
	"10.0.0.1;10.0.0.2",
	"*",
};

START_TEST(parse_refuses)
{
	const char *text = bad_lists[_i];
	t.count = 1;
	err[0] = '\0';
	ck_assert_msg(!proxy_parse(&t, text, err, sizeof err), "'%s' accepted", text);
	ck_assert_msg(err[0] != '\0', "'%s': empty error", text);
	ck_assert_msg(strchr(err, '\n') == NULL, "'%s': error is not one line: %s", text, err);
	ck_assert_uint_eq(t.count, 0);
}
END_TEST

START_TEST(host_bits_error_names_the_network)
{
	ck_assert(!proxy_parse(&t, "10.1.2.3/8", err, sizeof err));
	ck_assert_msg(strstr(err, "10.0.0.0/8") != NULL, "%s", err);
}
END_TEST

struct match {
	const char *list, *address;
	bool trusted;
};

static const struct match matches[] = {
	{"0.0.0.0/0", "0.0.0.0", true},
	{"0.0.0.0/0", "255.255.255.255", true},
	{"0.0.0.0/0", "::1", false},             /* /0 of IPv4 is not all of IPv6 */
	{"::/0", "2001:db8::1", true},
	{"::/0", "::", true},
	{"::/0", "10.0.0.1", false},             /* nor the other way round */
	{"192.0.2.1/32", "192.0.2.1", true},
	{"192.0.2.1/32", "192.0.2.0", false},
	{"192.0.2.1/32", "192.0.2.2", false},
	{"192.0.2.1", "192.0.2.1", true},       /* no prefix: the host */
	{"192.0.2.1", "192.0.2.10", false},
	{"10.0.0.0/8", "10.255.255.255", true},
	{"10.0.0.0/8", "11.0.0.0", false},
	{"10.0.0.0/8", "9.255.255.255", false},
	{"10.128.0.0/9", "10.128.0.1", true},
	{"10.128.0.0/9", "10.127.255.255", false},
	{"10.0.0.0/7", "11.255.1.1", true},
	{"10.0.0.0/7", "12.0.0.0", false},
	{"10.0.0.0/7", "9.255.255.255", false},
	{"8.0.0.0/7", "9.1.1.1", true},
	{"8.0.0.0/7", "10.0.0.0", false},
	{"172.16.0.0/12", "172.31.255.255", true},
	{"172.16.0.0/12", "172.32.0.0", false},
	{"2001:db8::1/128", "2001:db8::1", true},
	{"2001:db8::1/128", "2001:0DB8:0:0:0:0:0:1", true},
	{"2001:db8::1/128", "2001:db8::2", false},
	{"::1", "::1", true},
	{"::1", "127.0.0.1", false},
	{"fd00::/8", "fdff:ffff::1", true},
	{"fd00::/8", "fe00::1", false},
	{"fd00::/8", "fc00::1", false},
	{"2001:db8::/33", "2001:db8:7fff::1", true},
	{"2001:db8::/33", "2001:db8:8000::1", false},
	{"10.0.0.0/8", "::ffff:10.1.2.3", true}, /* a dual-stack socket's view of an IPv4 peer */
	{"::ffff:172.18.0.1", "172.18.0.1", true},
	{"::ffff:172.18.0.0/112", "172.18.3.4", true},
	{"::ffff:172.18.0.0/112", "172.19.0.1", false},
	{"10.0.0.0/8", "10.0.0.1:80", false},
	{"10.0.0.0/8", " 10.0.0.1", false},
	{"10.0.0.0/8", "", false},
	{"", "10.0.0.1", false},
};

START_TEST(trusted_matches)
{
	const struct match *m = &matches[_i];
	ck_assert_msg(proxy_parse(&t, m->list, err, sizeof err), "'%s': %s", m->list, err);
	ck_assert_msg(proxy_is_trusted(&t, m->address) == m->trusted, "'%s' in '%s': expected %s",
		      m->address, m->list, m->trusted ? "trusted" : "untrusted");
}
END_TEST

struct walk {
	const char *what, *list, *peer, *xff, *client;
};

static const struct walk walks[] = {
	{"no proxies trusted", "", "10.0.0.1", "203.0.113.7", "10.0.0.1"},
	{"untrusted peer's header ignored", "10.0.0.0/8", "198.51.100.9", "203.0.113.7", "198.51.100.9"},
	{"trusted peer without header", "10.0.0.0/8", "10.0.0.1", NULL, "10.0.0.1"},
	{"one hop", "10.0.0.0/8", "10.0.0.1", "203.0.113.7", "203.0.113.7"},
	{"spoofed left-most entry", "10.0.0.0/8", "10.0.0.1", "1.1.1.1, 203.0.113.7", "203.0.113.7"},
	{"spoofed trusted-looking entry", "10.0.0.0/8", "10.0.0.1", "10.9.9.9, 203.0.113.7", "203.0.113.7"},
	{"chain of trusted proxies", "10.0.0.0/8, 172.18.0.1", "172.18.0.1",
	 "6.6.6.6, 203.0.113.7, 10.0.0.2,10.0.0.3", "203.0.113.7"},
	{"every hop trusted: the left-most", "10.0.0.0/8", "10.0.0.1", "10.0.0.5, 10.0.0.6", "10.0.0.5"},
	{"garbage between trusted hops", "10.0.0.0/8", "10.0.0.1", "203.0.113.7, garbage, 10.0.0.3",
	 "10.0.0.3"},
	{"garbage at the right", "10.0.0.0/8", "10.0.0.1", "203.0.113.7, unknown", "10.0.0.1"},
	{"garbage left of the client", "10.0.0.0/8", "10.0.0.1", "<script>, 203.0.113.7", "203.0.113.7"},
	{"a port is not an address", "10.0.0.0/8", "10.0.0.1", "203.0.113.7:4711", "10.0.0.1"},
	{"brackets are not an address", "::1", "::1", "[2001:db8::1]", "::1"},
	{"a too long entry", "10.0.0.0/8", "10.0.0.1",
	 "203.0.113.7, 10.0.0.2                                                     x", "10.0.0.1"},
	{"empty header", "10.0.0.0/8", "10.0.0.1", "", "10.0.0.1"},
	{"blank header", "10.0.0.0/8", "10.0.0.1", "  \t ", "10.0.0.1"},
	{"only a comma", "10.0.0.0/8", "10.0.0.1", ",", "10.0.0.1"},
	{"trailing comma", "10.0.0.0/8", "10.0.0.1", "203.0.113.7,", "10.0.0.1"},
	{"empty entry in the middle", "10.0.0.0/8", "10.0.0.1", "203.0.113.7, , 10.0.0.2", "10.0.0.2"},
	{"spaces and tabs around entries", "10.0.0.0/8", "10.0.0.1", " 203.0.113.7 ,\t10.0.0.2 ",
	 "203.0.113.7"},
	{"IPv6 peer and client", "::1, fd00::/8", "::1", "2001:db8::7, fd00::2", "2001:db8::7"},
	{"IPv6 client in canonical form", "::1", "::1", "2001:0DB8:0:0::7", "2001:db8::7"},
	{"IPv4 client behind an IPv6 proxy", "fd00::/8", "fd00::1", "203.0.113.7", "203.0.113.7"},
	{"IPv4-mapped peer", "127.0.0.1", "::ffff:127.0.0.1", "203.0.113.7", "203.0.113.7"},
	{"IPv4-mapped client written as IPv4", "10.0.0.0/8", "10.0.0.1", "::ffff:203.0.113.7",
	 "203.0.113.7"},
	{"IPv4-mapped untrusted peer as IPv4", "", "::ffff:198.51.100.9", "203.0.113.7", "198.51.100.9"},
	{"peer that is not an IP", "0.0.0.0/0", "unix:/run/mp.sock", "203.0.113.7", "unix:/run/mp.sock"},
	{"everybody trusted: the left-most", "0.0.0.0/0", "10.0.0.1", "1.1.1.1, 203.0.113.7", "1.1.1.1"},
};

START_TEST(client_address)
{
	const struct walk *w = &walks[_i];
	char out[PROXY_ADDRESS_LEN];
	ck_assert_msg(proxy_parse(&t, w->list, err, sizeof err), "%s: %s", w->what, err);
	memset(out, 'x', sizeof out);
	proxy_client_address(&t, w->peer, w->xff, out, sizeof out);
	ck_assert_msg(strcmp(out, w->client) == 0, "%s: got '%s', expected '%s'", w->what, out, w->client);
}
END_TEST

START_TEST(long_header_of_trusted_hops)
{
	char xff[4096] = "203.0.113.7";
	for (int i = 0; i < 200; i++) {
		size_t n = strlen(xff);
		snprintf(xff + n, sizeof xff - n, ", 10.0.%d.%d", i / 250, i % 250 + 1);
	}
	char out[PROXY_ADDRESS_LEN];
	parse_ok("10.0.0.0/8");
	proxy_client_address(&t, "10.0.0.1", xff, out, sizeof out);
	ck_assert_str_eq(out, "203.0.113.7");
}
END_TEST

START_TEST(small_output_buffers)
{
	char out[8];
	parse_ok("10.0.0.0/8");
	memset(out, 'x', sizeof out);
	proxy_client_address(&t, "10.0.0.1", "203.0.113.7", out, sizeof out);
	ck_assert_str_eq(out, "203.0.1");
	memset(out, 'x', sizeof out);
	proxy_client_address(&t, "unix:/run/mp.sock", NULL, out, sizeof out);
	ck_assert_str_eq(out, "unix:/r");
	out[0] = 'x';
	proxy_client_address(&t, "10.0.0.1", "203.0.113.7", out, 0);
	ck_assert_int_eq(out[0], 'x');
	proxy_client_address(&t, NULL, NULL, out, sizeof out);
	ck_assert_str_eq(out, "");
}
END_TEST

static Suite *proxy_suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("proxy");
	tcase_add_test(tc, parse_lists);
	tcase_add_test(tc, parse_capacity);
	tcase_add_loop_test(tc, parse_refuses, 0, (int)(sizeof bad_lists / sizeof bad_lists[0]));
	tcase_add_test(tc, host_bits_error_names_the_network);
	tcase_add_loop_test(tc, trusted_matches, 0, (int)(sizeof matches / sizeof matches[0]));
	tcase_add_loop_test(tc, client_address, 0, (int)(sizeof walks / sizeof walks[0]));
	tcase_add_test(tc, long_header_of_trusted_hops);
	tcase_add_test(tc, small_output_buffers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(proxy_suite());
}
