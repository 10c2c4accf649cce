/* UTF-8 validation and repair. */
#include "text.h"

/* The length of the well-formed sequence at s (at most `left` bytes), or 0. */
static size_t sequence_length(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n;
	unsigned min;
	unsigned cp;
	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2, min = 0x80, cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3, min = 0x800, cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4, min = 0x10000, cp = c & 0x07;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		size_t n = sequence_length(p + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

char *utf8_sanitize(const char *s, char *out, size_t out_size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 0, o = 0;
	while (p[len] != '\0')
		len++;
	for (size_t i = 0; i < len;) {
		size_t n = sequence_length(p + i, len - i);
		size_t take = n == 0 ? 1 : n;
		if (o + take >= out_size)
			break;
		for (size_t k = 0; k < take; k++)
			out[o++] = n == 0 ? '?' : (char)p[i + k];
		i += take;
	}
	out[o] = '\0';
	return out;
}
