/*
 * The router with path parameters (marketplace/http/router.h), fed as the
 * server feeds it: the input is a method (its first byte picks one of the
 * nine evhttp knows) and a request target, which libevent parses as it does
 * a request line's (EVHTTP_URI_NONCONFORMANT); its path goes to
 * router_match on the application's real route table, and the raw bytes
 * also go, unparsed, to a table of our own with up to five parameters, to
 * reach the ROUTE_MAX_PARAMS and ROUTE_PARAM_STORAGE limits.
 *
 * Beyond "no crash", each answer is compared with a reference router
 * written here independently (split both strings at '/', compare segments,
 * percent-decode each parameter): the same outcome, the same route, the
 * same decoded values and the same Allow list; nothing is written past
 * route_params or the Allow buffer (each its own allocation, for ASan);
 * every value is NUL-free and found again by route_param; a found route,
 * its values percent-encoded back into its pattern, matches again with the
 * same values (round trip); and every method an Allow list names does lead
 * to that path's route.
 */
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "router.h"
#include "routes.h"

static void handler(struct request *r) { (void)r; }

static const struct route own_table[] = {
	{"GET", "/a", ROUTE_PUBLIC, handler, 0, 0},
	{"POST", "/a/{x}", ROUTE_PUBLIC, handler, 0, 0},
	{"GET", "/a/{x}", ROUTE_PUBLIC, handler, 0, 0},
	{"DELETE", "/a/{x}/b/{y}", ROUTE_PUBLIC, handler, 0, 0},
	{"GET", "/{p}/{q}/{r}/{s}", ROUTE_PUBLIC, handler, 0, 0},
	{"GET", "/{p}/{q}/{r}/{s}/{t}", ROUTE_PUBLIC, handler, 0, 0}, /* more than ROUTE_MAX_PARAMS */
	{"PATCH", "/{p}/{q}/{r}/{s}/{t}", ROUTE_PUBLIC, handler, 0, 0},
};

static const char *const methods[] = {"GET", "POST", "HEAD", "PUT", "DELETE",
				      "OPTIONS", "TRACE", "CONNECT", "PATCH"};
#define METHODS (sizeof methods / sizeof methods[0])

/* -------------------------------------------------------- the reference */

struct reference {
	enum route_match outcome;
	size_t index; /* of the route found */
	int count;
	char values[ROUTE_MAX_PARAMS][ROUTE_PARAM_STORAGE];
	char allow[512]; /* every method of a table, joined */
};

static int hex_digit(char c)
{
	static const char digits[] = "0123456789abcdef0123456789ABCDEF";
	const char *at = c != '\0' ? strchr(digits, c) : NULL;
	return at != NULL ? (int)((at - digits) % 16) : -1;
}

/* One '/'-separated segment of s starting at *pos, or false past the end. */
static bool next_segment(const char *s, size_t *pos, const char **seg, size_t *len)
{
	if (s[*pos] != '/')
		return false;
	*seg = s + *pos + 1;
	*len = strcspn(*seg, "/");
	*pos += 1 + *len;
	return true;
}

/*
 * Whether path has pattern's shape; with values, also decodes each
 * parameter, which fails on a bad escape, %00, more than ROUTE_MAX_PARAMS
 * parameters or more than ROUTE_PARAM_STORAGE bytes with their NULs.
 */
static bool reference_match(const char *pattern, const char *path, struct reference *ref)
{
	size_t pp = 0, sp = 0, used = 0;
	const char *pseg, *sseg;
	size_t plen, slen;
	int count = 0;
	if (pattern[0] != '/' || path[0] != '/')
		return false;
	for (;;) {
		bool more_pattern = next_segment(pattern, &pp, &pseg, &plen);
		bool more_path = next_segment(path, &sp, &sseg, &slen);
		if (!more_pattern || !more_path)
			return !more_pattern && !more_path;
		bool param = plen >= 2 && pseg[0] == '{' && pseg[plen - 1] == '}';
		if (!param) {
			if (plen != slen || strncmp(pseg, sseg, plen) != 0)
				return false;
			continue;
		}
		if (slen == 0)
			return false;
		if (ref == NULL)
			continue;
		if (count == ROUTE_MAX_PARAMS)
			return false;
		char *out = ref->values[count++];
		size_t n = 0;
		for (size_t i = 0; i < slen; i++, n++) {
			if (used + n + 2 > ROUTE_PARAM_STORAGE) /* this byte, and the NUL after */
				return false;
			out[n] = sseg[i];
			if (sseg[i] != '%')
				continue;
			int hi = i + 1 < slen ? hex_digit(sseg[i + 1]) : -1;
			int lo = i + 2 < slen ? hex_digit(sseg[i + 2]) : -1;
			if (hi < 0 || lo < 0 || hi * 16 + lo == 0)
				return false;
			out[n] = (char)(hi * 16 + lo);
			i += 2;
		}
		out[n] = '\0';
		used += n + 1;
		ref->count = count;
	}
}

static void reference_router(const struct route *table, size_t count, const char *method,
			     const char *path, struct reference *ref)
{
	bool known = false;
	ref->allow[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		if (!reference_match(table[i].pattern, path, NULL))
			continue;
		if (strcmp(table[i].method, method) == 0) {
			ref->count = 0;
			ref->index = i;
			ref->outcome = reference_match(table[i].pattern, path, ref) ? ROUTE_FOUND
										     : ROUTE_NOT_FOUND;
			return;
		}
		known = true;
		if (ref->allow[0] != '\0')
			strcat(ref->allow, ", ");
		strcat(ref->allow, table[i].method);
	}
	ref->outcome = known ? ROUTE_METHOD_NOT_ALLOWED : ROUTE_NOT_FOUND;
}

/* ----------------------------------------------------------- the checks */

#define ALLOW_SIZE 128 /* dispatch.c's */

/* Results, each its own allocation of exactly its size, so ASan sees any write past it. */
struct results {
	struct route_params *params;
	char *allow;
};

static void results_new(struct results *res)
{
	res->params = malloc(sizeof *res->params);
	res->allow = malloc(ALLOW_SIZE);
	FUZZ_CHECK(res->params != NULL && res->allow != NULL);
}

static void results_free(struct results *res)
{
	free(res->params);
	free(res->allow);
}

/* The value percent-encoded byte by byte (3 bytes each) into out. */
static void percent_encode(const char *value, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
		*out++ = '%';
		*out++ = hex[*v >> 4];
		*out++ = hex[*v & 15];
	}
	*out = '\0';
}

/* The pattern with each "{name}" replaced by its value, percent-encoded. */
static char *rebuild_path(const char *pattern, const struct route_params *p)
{
	size_t cap = strlen(pattern) + 3 * ROUTE_PARAM_STORAGE + 1, o = 0;
	char *path = malloc(cap);
	FUZZ_CHECK(path != NULL);
	int k = 0;
	for (const char *c = pattern; *c;) {
		if (*c == '{') {
			percent_encode(p->values[k++], path + o);
			o += strlen(path + o);
			c = strchr(c, '}') + 1;
		} else {
			path[o++] = *c++;
		}
	}
	path[o] = '\0';
	return path;
}

static enum route_match run(const struct route *table, size_t count, const char *method,
			    const char *path, const struct route **found, struct results *res)
{
	*found = NULL;
	enum route_match m = router_match(table, count, method, path, found, res->params, res->allow,
					  ALLOW_SIZE);
	FUZZ_CHECK(memchr(res->allow, '\0', ALLOW_SIZE) != NULL);
	return m;
}

/* Every method the Allow list names leads to a route of path (found, or a bad parameter). */
static void check_allow(const struct route *table, size_t count, const char *method,
			const char *path, const char *allow)
{
	char *list = strdup(allow);
	FUZZ_CHECK(list != NULL && list[0] != '\0');
	struct results res;
	results_new(&res);
	for (char *save, *other = strtok_r(list, ", ", &save); other != NULL;
	     other = strtok_r(NULL, ", ", &save)) {
		const struct route *again;
		FUZZ_CHECK(strcmp(other, method) != 0);
		FUZZ_CHECK(run(table, count, other, path, &again, &res) != ROUTE_METHOD_NOT_ALLOWED);
	}
	results_free(&res);
	free(list);
}

/* The values of a match: NUL-free, the reference's, found again by name. */
static void check_values(const struct route_params *got, const struct reference *ref)
{
	FUZZ_CHECK(got->count == ref->count);
	for (int i = 0; i < got->count; i++) {
		const char *v = got->values[i];
		FUZZ_CHECK(v >= got->storage && v < got->storage + ROUTE_PARAM_STORAGE);
		FUZZ_CHECK(memchr(v, '\0', (size_t)(got->storage + ROUTE_PARAM_STORAGE - v)) != NULL);
		FUZZ_CHECK(v[0] != '\0');
		FUZZ_CHECK(strcmp(v, ref->values[i]) == 0);
		char name[ROUTE_PARAM_STORAGE];
		FUZZ_CHECK(got->name_lens[i] < sizeof name);
		memcpy(name, got->names[i], got->name_lens[i]);
		name[got->name_lens[i]] = '\0';
		const char *by_name = route_param(got, name);
		bool earlier = false; /* a repeated name answers with its first value */
		for (int k = 0; k < i && !earlier; k++)
			earlier = got->name_lens[k] == got->name_lens[i] &&
				  memcmp(got->names[k], got->names[i], got->name_lens[i]) == 0;
		FUZZ_CHECK(by_name != NULL && (earlier || by_name == v));
	}
}

/* The found route's values, percent-encoded back into its pattern, match again. */
static void check_round_trip(const struct route *table, size_t count, const char *method,
			     const struct route *found, const struct route_params *got)
{
	char *path = rebuild_path(found->pattern, got);
	struct results res;
	results_new(&res);
	const struct route *again;
	FUZZ_CHECK(run(table, count, method, path, &again, &res) == ROUTE_FOUND);
	FUZZ_CHECK(again == found && res.params->count == got->count);
	for (int i = 0; i < got->count; i++)
		FUZZ_CHECK(strcmp(res.params->values[i], got->values[i]) == 0);
	results_free(&res);
	free(path);
}

static void check_router(const struct route *table, size_t count, const char *method,
			 const char *path)
{
	static struct reference ref;
	struct results res;
	results_new(&res);
	const struct route *found;
	enum route_match m = run(table, count, method, path, &found, &res);
	reference_router(table, count, method, path, &ref);
	FUZZ_CHECK(m == ref.outcome);
	if (m == ROUTE_METHOD_NOT_ALLOWED) {
		FUZZ_CHECK(strcmp(res.allow, ref.allow) == 0);
		check_allow(table, count, method, path, res.allow);
	} else if (m == ROUTE_FOUND) {
		FUZZ_CHECK(found == &table[ref.index] && strcmp(found->method, method) == 0);
		check_values(res.params, &ref);
		check_round_trip(table, count, method, found, res.params);
	}
	results_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *method = methods[data[0] % METHODS];
	char *target = fuzz_cstring(data + 1, size - 1);
	check_router(own_table, sizeof own_table / sizeof own_table[0], method, target);

	struct evhttp_uri *uri = evhttp_uri_parse_with_flags(target, EVHTTP_URI_NONCONFORMANT);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path != NULL && path[0] == '/') { /* dispatch.c answers 400 otherwise */
		const struct http_app *app = routes_app();
		check_router(app->routes, app->nroutes, method, path);
	}
	if (uri != NULL)
		evhttp_uri_free(uri);
	free(target);
	return 0;
}
