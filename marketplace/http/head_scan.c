/* Just enough of a request head, read incrementally, to size its body. */
#include "head_scan.h"

#include <string.h>
#include <strings.h>

void head_scan_start(struct head_scan *s)
{
	memset(s, 0, sizeof *s);
	s->content_length = HEAD_SCAN_NO_LENGTH;
}

/* "GET /path?query HTTP/1.1": the method and the path, when the line was kept whole. */
static void read_request_line(struct head_scan *s, const char *line, size_t len, bool whole)
{
	const char *sp = memchr(line, ' ', len);
	if (sp == NULL || (size_t)(sp - line) >= sizeof s->method)
		return;
	memcpy(s->method, line, (size_t)(sp - line));
	s->method[sp - line] = '\0';
	const char *target = sp + 1, *end = line + len;
	const char *target_end = memchr(target, ' ', (size_t)(end - target));
	if (!whole || target_end == NULL || target == target_end || *target != '/')
		return; /* cut, or absolute-form: no route is assumed */
	size_t n = 0;
	while (target + n < target_end && target[n] != '?' && target[n] != '#')
		n++;
	memcpy(s->path, target, n);
	s->path[n] = '\0';
}

/* Plain decimal digits, possibly padded with spaces and tabs, as a length. */
static long long parse_length(const char *value, size_t len)
{
	while (len > 0 && (*value == ' ' || *value == '\t'))
		value++, len--;
	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	if (len == 0 || len > 18)
		return HEAD_SCAN_BAD_LENGTH;
	long long n = 0;
	for (size_t i = 0; i < len; i++) {
		if (value[i] < '0' || value[i] > '9')
			return HEAD_SCAN_BAD_LENGTH;
		n = n * 10 + (value[i] - '0');
	}
	return n;
}

static bool name_is(const char *line, size_t name_len, const char *name)
{
	return name_len == strlen(name) && strncasecmp(line, name, name_len) == 0;
}

/* A header line as evhttp reads it: the name is everything before the first colon. */
static void read_header_line(struct head_scan *s, const char *line, size_t len, bool whole)
{
	if (line[0] == ' ' || line[0] == '\t') {
		/* evhttp appends a folded line to the header before it. */
		if (s->length_line)
			s->content_length = HEAD_SCAN_BAD_LENGTH;
		return;
	}
	s->length_line = false;
	const char *colon = memchr(line, ':', len);
	if (colon == NULL)
		return;
	size_t name_len = (size_t)(colon - line);
	if (name_is(line, name_len, "Transfer-Encoding")) {
		s->transfer_encoding = true;
	} else if (name_is(line, name_len, "Content-Length")) {
		s->length_line = true;
		/* evhttp believes the first one; a second is for the framing checks to refuse. */
		if (s->content_length == HEAD_SCAN_NO_LENGTH)
			s->content_length = whole ? parse_length(colon + 1, len - name_len - 1)
						  : HEAD_SCAN_BAD_LENGTH;
	}
}

static void end_line(struct head_scan *s)
{
	size_t kept = s->line_len < sizeof s->line ? s->line_len : sizeof s->line;
	bool whole = kept == s->line_len;
	if (kept > 0 && whole && s->line[kept - 1] == '\r')
		kept--;
	if (s->lines == 0)
		read_request_line(s, s->line, kept, whole);
	else if (kept == 0)
		s->done = true;
	else
		read_header_line(s, s->line, kept, whole);
	s->lines++;
	s->line_len = 0;
}

size_t head_scan_feed(struct head_scan *s, const char *data, size_t len)
{
	size_t used = 0;
	while (used < len && !s->done) {
		const char *lf = memchr(data + used, '\n', len - used);
		size_t n = lf != NULL ? (size_t)(lf - (data + used)) : len - used;
		if (s->line_len < sizeof s->line) {
			size_t room = sizeof s->line - s->line_len;
			memcpy(s->line + s->line_len, data + used, n < room ? n : room);
		}
		s->line_len += n;
		used += n;
		if (lf != NULL) {
			used++; /* the LF */
			end_line(s);
		}
	}
	return used;
}
