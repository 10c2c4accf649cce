/*
 * Strict framing of HTTP/1.1 requests, checked on a connection's raw bytes
 * before libevent's evhttp parses them.
 *
 * evhttp 2.1 accepts heads that a proxy in front of the server may frame
 * differently, which is how requests are smuggled past it: a repeated
 * Content-Length (evhttp takes the first), a space before a header's colon
 * (then it is not Content-Length to evhttp), "+5" as a length, bare LF line
 * ends, folded header lines, a body on HEAD (evhttp does not read it, so it
 * becomes the next request), and versions such as "HTTP/1.-5", which it
 * echoes back.  This module accepts only RFC 9112's grammar for everything
 * that decides where a request ends, and says why it refuses the rest.
 *
 * Request bodies must be framed by Content-Length: Transfer-Encoding is
 * refused, chunked with 411 Length Required, anything else with 400.  Every
 * client of a JSON API knows its body's length; a second body framing would
 * be a second parser for a proxy to disagree with, and a body whose length
 * is announced can be refused before it is read.
 *
 * Pure: no libevent, no allocation, no global state, so it can be unit-tested
 * and fuzzed.  The caller owns the struct (it holds no pointers but the
 * static reason string).
 */
#ifndef MARKETPLACE_FRAMING_H
#define MARKETPLACE_FRAMING_H

#include <stddef.h>
#include <stdint.h>

enum framing_verdict {
	FRAMING_MORE,    /* every byte was taken; the current head, if any, is not complete */
	FRAMING_HEAD,    /* a head ended at the last byte taken; content_length body bytes follow */
	FRAMING_REFUSED, /* a head is refused: status and reason say why */
};

struct framing {
	/* Read these. */
	uint64_t offset;         /* bytes of the stream taken so far */
	uint64_t content_length; /* after FRAMING_HEAD: the body that follows the head */
	uint64_t line_start;     /* stream offset of the current line (after a refusal: the refused one) */
	int status;              /* after FRAMING_REFUSED: 400, 411 or 431 */
	const char *reason;      /* NULL until FRAMING_REFUSED, then a sentence for the problem's detail (static) */

	/* The parser's own state. */
	size_t max_head;
	size_t head_bytes;   /* of the current head so far */
	uint64_t body_left;  /* body bytes still to pass over */
	uint64_t length;     /* the Content-Length being read */
	int state;
	int header;          /* what the current header line is, where that matters */
	int value_phase;     /* before, within or after a Content-Length or Transfer-Encoding value */
	unsigned flags;      /* what this head has shown so far */
	size_t part_len;     /* bytes of the current method, target, version or header name */
	char part[18];       /* its first bytes (a name's lower-cased) */
	size_t coding_len;
	char coding[8];      /* the Transfer-Encoding value, lower-cased, while it is short */
};

/* A parser at the start of a connection; heads over max_head bytes (request line, headers, blank line) get 431. */
void framing_init(struct framing *f, size_t max_head);

/*
 * Takes the next bytes of the connection, heads and bodies alike, and sets
 * *used to how many it took: all of them, except after a head ends (it
 * stops there, so the caller can see content_length) or on a refusal (it
 * stops after the offending byte).  Once refused, it takes nothing more.
 */
enum framing_verdict framing_feed(struct framing *f, const char *bytes, size_t len, size_t *used);

/* One head at the start of bytes: framing_init, then framing_feed (for tests and fuzzers). */
enum framing_verdict framing_check_head(struct framing *f, const char *bytes, size_t len, size_t max_head,
					size_t *used);

#endif
