/*
 * Follows the head of an HTTP/1.x request as its bytes arrive, just far
 * enough to size its body before evhttp reads it: the method, the path of
 * the target, the first Content-Length and whether Transfer-Encoding is
 * present.  evhttp 2.1 gives no hook between a request's head and its body,
 * so conn_guard.c feeds this the bytes evhttp is about to parse.  Lines end
 * at LF, a CR before it dropped, as evhttp splits them.  It judges nothing:
 * evhttp (and the framing checks) still parse and refuse the head; a head
 * this cannot read simply leaves its results unknown, and the caller then
 * assumes the worst the route allows.  Fixed size, no allocation.
 */
#ifndef MARKETPLACE_HEAD_SCAN_H
#define MARKETPLACE_HEAD_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of a line kept; a longer request line leaves the path unknown. */
#define HEAD_SCAN_LINE 512

enum {
	HEAD_SCAN_NO_LENGTH = -1,  /* no Content-Length */
	HEAD_SCAN_BAD_LENGTH = -2, /* one that is not plain decimal digits */
};

struct head_scan {
	bool done;                  /* the empty line that ends the head was read */
	unsigned lines;             /* complete lines so far */
	size_t line_len;            /* bytes of the current line, kept or not */
	char line[HEAD_SCAN_LINE];  /* its first bytes */
	bool length_line;           /* the last header line was Content-Length (for folding) */
	char method[16];            /* "" when too long */
	char path[HEAD_SCAN_LINE];  /* origin-form target without query or fragment; "" if unknown */
	long long content_length;   /* bytes, or HEAD_SCAN_NO_LENGTH / HEAD_SCAN_BAD_LENGTH */
	bool transfer_encoding;     /* any Transfer-Encoding header */
};

/* Ready for a new head. */
void head_scan_start(struct head_scan *s);

/*
 * Reads up to len bytes of the head; returns how many it used, fewer than
 * len only when the head ended inside them (s->done; the rest is body or
 * the next request).  Feeding a finished scan uses nothing.
 */
size_t head_scan_feed(struct head_scan *s, const char *data, size_t len);

#endif
