/* (method, path pattern) -> handler matching with path parameters. */
#include "router.h"

#include <string.h>

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes [seg, seg+len) into out; refuses NUL and malformed escapes. */
static bool decode_segment(const char *seg, size_t len, char *out, size_t out_size, size_t *out_len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = seg[i];
		if (c == '%') {
			if (i + 2 >= len)
				return false;
			int hi = hex_value(seg[i + 1]);
			int lo = hex_value(seg[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return false;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (n + 1 >= out_size)
			return false;
		out[n++] = c;
	}
	out[n] = '\0';
	*out_len = n;
	return true;
}

/* Does path match pattern?  Fills params when it is given. */
static bool match_pattern(const char *pattern, const char *path, struct route_params *params)
{
	size_t used = 0;
	if (params != NULL)
		params->count = 0;
	while (*pattern == '/' && *path == '/') {
		pattern++;
		path++;
		const char *pat_end = strchr(pattern, '/');
		const char *path_end = strchr(path, '/');
		size_t pat_len = pat_end ? (size_t)(pat_end - pattern) : strlen(pattern);
		size_t path_len = path_end ? (size_t)(path_end - path) : strlen(path);
		if (pat_len >= 2 && pattern[0] == '{' && pattern[pat_len - 1] == '}') {
			if (path_len == 0)
				return false;
			if (params != NULL) {
				if (params->count == ROUTE_MAX_PARAMS)
					return false;
				size_t value_len;
				char *out = params->storage + used;
				if (!decode_segment(path, path_len, out, sizeof params->storage - used, &value_len))
					return false;
				params->names[params->count] = pattern + 1;
				params->name_lens[params->count] = pat_len - 2;
				params->values[params->count] = out;
				params->count++;
				used += value_len + 1;
			}
		} else if (pat_len != path_len || memcmp(pattern, path, pat_len) != 0) {
			return false;
		}
		pattern += pat_len;
		path += path_len;
	}
	return *pattern == '\0' && *path == '\0';
}

enum route_match router_match(const struct route *table, size_t count, const char *method,
			      const char *path, const struct route **found,
			      struct route_params *params, char *allow, size_t allow_len)
{
	bool path_known = false;
	size_t allow_used = 0;
	if (allow_len > 0)
		allow[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		if (!match_pattern(table[i].pattern, path, NULL))
			continue;
		if (strcmp(table[i].method, method) == 0) {
			if (!match_pattern(table[i].pattern, path, params))
				return ROUTE_NOT_FOUND; /* a parameter did not decode */
			*found = &table[i];
			return ROUTE_FOUND;
		}
		path_known = true;
		size_t m = strlen(table[i].method);
		if (allow_used + m + 3 <= allow_len) {
			if (allow_used > 0) {
				memcpy(allow + allow_used, ", ", 2);
				allow_used += 2;
			}
			memcpy(allow + allow_used, table[i].method, m + 1);
			allow_used += m;
		}
	}
	return path_known ? ROUTE_METHOD_NOT_ALLOWED : ROUTE_NOT_FOUND;
}

const char *route_param(const struct route_params *params, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < params->count; i++)
		if (params->name_lens[i] == n && memcmp(params->names[i], name, n) == 0)
			return params->values[i];
	return NULL;
}
