/* Trusted reverse proxies and the client address behind them (X-Forwarded-For). */
#include "proxy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* An address: IPv4 in the first 4 bytes, or IPv6 (never IPv4-mapped: those become IPv4). */
struct ip {
	unsigned char family; /* 4 or 6 */
	unsigned char addr[16];
};

static const unsigned char v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Parses exactly the len bytes at text as a bare IPv4 or IPv6 address. */
static bool parse_ip(const char *text, size_t len, struct ip *ip)
{
	char buf[PROXY_ADDRESS_LEN];
	if (len == 0 || len >= sizeof buf)
		return false;
	memcpy(buf, text, len);
	buf[len] = '\0';
	memset(ip, 0, sizeof *ip);
	if (inet_pton(AF_INET, buf, ip->addr) == 1) {
		ip->family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, buf, ip->addr) != 1)
		return false;
	ip->family = 6;
	if (memcmp(ip->addr, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0) {
		memmove(ip->addr, ip->addr + 12, 4);
		memset(ip->addr + 4, 0, 12);
		ip->family = 4;
	}
	return true;
}

static void format_ip(const struct ip *ip, char *out, size_t out_len)
{
	char buf[PROXY_ADDRESS_LEN];
	if (inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->addr, buf, sizeof buf) == NULL)
		buf[0] = '\0';
	snprintf(out, out_len, "%s", buf);
}

/* Whether the first prefix bits of a and b agree. */
static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned prefix)
{
	unsigned bytes = prefix / 8, bits = prefix % 8;
	if (memcmp(a, b, bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - bits));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

static bool ip_trusted(const struct trusted_proxies *t, const struct ip *ip)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->nets[i].family == ip->family && prefix_equal(t->nets[i].addr, ip->addr, t->nets[i].prefix))
			return true;
	return false;
}

/* One entry of the list: "address" or "address/prefix". */
static bool parse_net(const char *text, size_t len, struct proxy_net *net, char *err, size_t errlen)
{
	const char *slash = memchr(text, '/', len);
	size_t addr_len = slash != NULL ? (size_t)(slash - text) : len;
	struct ip ip;
	bool mapped = false;
	if (!parse_ip(text, addr_len, &ip)) {
		snprintf(err, errlen, "'%.*s' is not an IP address or CIDR", (int)len, text);
		return false;
	}
	if (ip.family == 4 && memchr(text, ':', addr_len) != NULL)
		mapped = true; /* written as ::ffff:a.b.c.d: its prefix counts IPv6 bits */
	unsigned max = ip.family == 4 ? 32 : 128;
	unsigned prefix = max;
	if (slash != NULL) {
		const char *digits = slash + 1;
		size_t n = len - addr_len - 1;
		unsigned written_max = mapped ? 128 : max;
		prefix = 0;
		for (size_t i = 0; i < n; i++) {
			if (digits[i] < '0' || digits[i] > '9' || n > 3) {
				n = 0;
				break;
			}
			prefix = prefix * 10 + (unsigned)(digits[i] - '0');
		}
		if (n == 0 || prefix > written_max) {
			snprintf(err, errlen, "'%.*s': the prefix length must be a number from 0 to %u",
				 (int)len, text, written_max);
			return false;
		}
		if (mapped) {
			if (prefix < 96) {
				snprintf(err, errlen, "'%.*s': an IPv4-mapped network needs a prefix of at least /96",
					 (int)len, text);
				return false;
			}
			prefix -= 96;
		}
	}
	struct ip network = ip;
	unsigned bytes = prefix / 8, bits = prefix % 8;
	if (bits != 0)
		network.addr[bytes++] &= (unsigned char)(0xff << (8 - bits));
	memset(network.addr + bytes, 0, sizeof network.addr - bytes);
	if (memcmp(network.addr, ip.addr, sizeof ip.addr) != 0) {
		char shown[PROXY_ADDRESS_LEN];
		format_ip(&network, shown, sizeof shown);
		snprintf(err, errlen, "'%.*s' has bits set past its /%u prefix (the network is %s/%u)",
			 (int)len, text, mapped ? prefix + 96 : prefix, shown, prefix);
		return false;
	}
	net->family = ip.family;
	net->prefix = (unsigned char)prefix;
	memcpy(net->addr, network.addr, sizeof net->addr);
	return true;
}

bool proxy_parse(struct trusted_proxies *t, const char *text, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	const char *p = text != NULL ? text : "";
	while (*p != '\0') {
		if (*p == ',' || is_space(*p)) {
			p++;
			continue;
		}
		size_t len = 0;
		while (p[len] != '\0' && p[len] != ',' && !is_space(p[len]))
			len++;
		if (t->count == TRUSTED_PROXIES_MAX) {
			snprintf(err, errlen, "more than %d trusted proxies (use CIDRs)", TRUSTED_PROXIES_MAX);
			memset(t, 0, sizeof *t);
			return false;
		}
		if (!parse_net(p, len, &t->nets[t->count], err, errlen)) {
			memset(t, 0, sizeof *t);
			return false;
		}
		t->count++;
		p += len;
	}
	return true;
}

bool proxy_is_trusted(const struct trusted_proxies *t, const char *address)
{
	struct ip ip;
	return address != NULL && parse_ip(address, strlen(address), &ip) && ip_trusted(t, &ip);
}

void proxy_client_address(const struct trusted_proxies *t, const char *peer,
			  const char *x_forwarded_for, char *out, size_t out_len)
{
	if (out_len == 0)
		return;
	struct ip client;
	if (peer == NULL || !parse_ip(peer, strlen(peer), &client)) {
		snprintf(out, out_len, "%s", peer != NULL ? peer : "");
		return;
	}
	if (x_forwarded_for != NULL && ip_trusted(t, &client)) {
		/* From the right: each entry was appended by the hop after it. */
		const char *end = x_forwarded_for + strlen(x_forwarded_for);
		for (;;) {
			const char *start = end;
			while (start > x_forwarded_for && start[-1] != ',')
				start--;
			const char *a = start, *b = end;
			while (a < b && is_space(*a))
				a++;
			while (b > a && is_space(b[-1]))
				b--;
			struct ip hop;
			if (!parse_ip(a, (size_t)(b - a), &hop))
				break; /* unreadable: believe nothing left of it */
			client = hop;
			if (!ip_trusted(t, &hop) || start == x_forwarded_for)
				break;
			end = start - 1;
		}
	}
	format_ip(&client, out, out_len);
}
