/*
 * Trusted reverse proxies: which peers may tell us the client's address in
 * X-Forwarded-For, and the client address that follows from a request.
 */
#ifndef MARKETPLACE_PROXY_H
#define MARKETPLACE_PROXY_H

#include <stdbool.h>
#include <stddef.h>

/* At most this many addresses or CIDRs; a longer list is refused by proxy_parse. */
#define TRUSTED_PROXIES_MAX 32

/* Room for any address proxy_client_address writes (INET6_ADDRSTRLEN). */
#define PROXY_ADDRESS_LEN 46

struct proxy_net {
	unsigned char family;   /* 4 or 6 */
	unsigned char prefix;   /* 0..32 or 0..128 */
	unsigned char addr[16]; /* network address, host bits zero; IPv4 in the first 4 bytes */
};

/* Fixed capacity, no allocation; all zero is the empty list (nobody trusted). */
struct trusted_proxies {
	size_t count;
	struct proxy_net nets[TRUSTED_PROXIES_MAX];
};

/*
 * Parses "10.0.0.0/8, 172.18.0.1 ::1 fd00::/8": addresses and CIDRs separated
 * by commas and/or spaces; an empty text is the empty list.  A CIDR with bits
 * set past its prefix (10.0.0.1/8) is refused, as are more than
 * TRUSTED_PROXIES_MAX entries.  IPv4-mapped IPv6 (::ffff:a.b.c.d[/96+n]) is
 * stored as IPv4.  On failure returns false, writes a one-line reason into
 * err, and leaves *t empty.
 */
bool proxy_parse(struct trusted_proxies *t, const char *text, char *err, size_t errlen);

/* Whether address (a bare IPv4 or IPv6 address, no port) is in the list. */
bool proxy_is_trusted(const struct trusted_proxies *t, const char *address);

/*
 * The client's address for a request from peer carrying x_forwarded_for
 * (NULL when absent; several header lines must be joined with ", " first).
 * Only when peer is trusted is X-Forwarded-For read: from the right, trusted
 * hops are skipped and the first untrusted address is the client; when every
 * hop is trusted, the leftmost.  An entry that is not a bare IP address
 * (garbage, empty, a port, brackets) stops the walk: the last trusted hop (or
 * the peer) is the answer, so nothing left of an entry we cannot read is
 * believed.  Otherwise the answer is peer.  Addresses are written in their
 * canonical form (inet_ntop; IPv4-mapped IPv6 as IPv4); a peer that is not an
 * IP address is copied as it is.  out is always NUL-terminated (truncated if
 * out_len < PROXY_ADDRESS_LEN).
 */
void proxy_client_address(const struct trusted_proxies *t, const char *peer,
			  const char *x_forwarded_for, char *out, size_t out_len);

#endif
