/*
 * The router and the spec must agree.  The spec (api-spec/openapi.yaml,
 * embedded as JSON at build time) is parsed with jansson; every (METHOD, path)
 * operation in its `paths` must be a route in routes_table() and every route
 * must be an operation in the spec; a failure names each missing pair.  Also:
 * the spec is OpenAPI 3.1.0, every operation has an operationId (unique) and
 * a responses object, the {param} segments of each routed path are the
 * spec's declared path parameters, and each route's authentication column
 * says what the operation's `security` (and `x-required-role`) says, and
 * its body limit what the operation's `x-max-body-bytes` says.
 */
#include <check.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "embedded.h"
#include "routes.h"
#include "check_run.h"

static const char *const http_methods[] = {
	"get", "put", "post", "delete", "patch", "head", "options", "trace",
};
#define N_METHODS (sizeof http_methods / sizeof http_methods[0])

static json_t *load_spec(void)
{
	json_error_t error;
	json_t *spec = json_loadb(embedded_openapi_json, embedded_openapi_json_len, 0, &error);
	ck_assert_msg(spec != NULL, "embedded spec is not JSON: %s (line %d)", error.text, error.line);
	ck_assert(json_is_object(spec));
	return spec;
}

static json_t *spec_paths(json_t *spec)
{
	json_t *paths = json_object_get(spec, "paths");
	ck_assert_msg(json_is_object(paths) && json_object_size(paths) > 0, "spec has no paths");
	return paths;
}

/* Upper-cases a lower-case method name into out (small, fixed). */
static void upper(const char *in, char *out, size_t len)
{
	size_t i = 0;
	for (; in[i] != '\0' && i + 1 < len; i++)
		out[i] = (char)toupper((unsigned char)in[i]);
	out[i] = '\0';
}

static void lower(const char *in, char *out, size_t len)
{
	size_t i = 0;
	for (; in[i] != '\0' && i + 1 < len; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

/* Appends "METHOD path" to a growing, comma-separated list. */
static void note(char **list, size_t *len, const char *method, const char *path)
{
	size_t add = strlen(method) + strlen(path) + 4;
	char *grown = realloc(*list, *len + add + 1);
	ck_assert_ptr_nonnull(grown);
	*list = grown;
	*len += (size_t)snprintf(*list + *len, add + 1, "%s%s %s", *len > 0 ? ", " : "", method, path);
}

static const struct route *routes_table(size_t *count)
{
	*count = routes_app()->nroutes;
	return routes_app()->routes;
}

static bool routed(const char *method, const char *path)
{
	size_t count;
	const struct route *table = routes_table(&count);
	for (size_t i = 0; i < count; i++)
		if (strcmp(table[i].method, method) == 0 && strcmp(table[i].pattern, path) == 0)
			return true;
	return false;
}

START_TEST(spec_is_openapi_3_1_0)
{
	json_t *spec = load_spec();
	const char *version = json_string_value(json_object_get(spec, "openapi"));
	ck_assert_msg(version != NULL && strcmp(version, "3.1.0") == 0, "openapi is %s, not 3.1.0",
		      version != NULL ? version : "(missing)");
	json_decref(spec);
}
END_TEST

START_TEST(every_spec_operation_is_routed)
{
	json_t *spec = load_spec();
	const char *path;
	json_t *item;
	char *missing = NULL;
	size_t missing_len = 0;
	json_object_foreach(spec_paths(spec), path, item) {
		for (size_t m = 0; m < N_METHODS; m++) {
			if (json_object_get(item, http_methods[m]) == NULL)
				continue;
			char method[16];
			upper(http_methods[m], method, sizeof method);
			if (!routed(method, path))
				note(&missing, &missing_len, method, path);
		}
	}
	ck_assert_msg(missing == NULL, "in the spec but not in routes_table(): %s", missing);
	json_decref(spec);
}
END_TEST

/* The spec's operation for a route (borrowed from paths), or NULL. */
static json_t *route_operation(json_t *paths, const struct route *route)
{
	char method[16];
	lower(route->method, method, sizeof method);
	return json_object_get(json_object_get(paths, route->pattern), method);
}

START_TEST(every_route_is_in_spec)
{
	json_t *spec = load_spec();
	json_t *paths = spec_paths(spec);
	size_t count;
	const struct route *table = routes_table(&count);
	ck_assert_uint_gt(count, 0);
	char *missing = NULL;
	size_t missing_len = 0;
	for (size_t i = 0; i < count; i++) {
		json_t *op = route_operation(paths, &table[i]);
		if (!json_is_object(op))
			note(&missing, &missing_len, table[i].method, table[i].pattern);
	}
	ck_assert_msg(missing == NULL, "in routes_table() but not in the spec: %s", missing);
	json_decref(spec);
}
END_TEST

START_TEST(routes_unique_and_handled)
{
	size_t count;
	const struct route *table = routes_table(&count);
	for (size_t i = 0; i < count; i++) {
		ck_assert_msg(table[i].handler != NULL, "%s %s has no handler", table[i].method,
			      table[i].pattern);
		for (size_t j = i + 1; j < count; j++)
			ck_assert_msg(strcmp(table[i].method, table[j].method) != 0 ||
					      strcmp(table[i].pattern, table[j].pattern) != 0,
				      "%s %s is routed twice", table[i].method, table[i].pattern);
	}
}
END_TEST

START_TEST(operations_have_id_and_responses)
{
	json_t *spec = load_spec();
	json_t *seen = json_object(); /* operationId -> "METHOD path" */
	const char *path;
	json_t *item;
	json_object_foreach(spec_paths(spec), path, item) {
		for (size_t m = 0; m < N_METHODS; m++) {
			json_t *op = json_object_get(item, http_methods[m]);
			if (op == NULL)
				continue;
			const char *id = json_string_value(json_object_get(op, "operationId"));
			ck_assert_msg(id != NULL && id[0] != '\0', "%s %s has no operationId",
				      http_methods[m], path);
			json_t *responses = json_object_get(op, "responses");
			ck_assert_msg(json_is_object(responses) && json_object_size(responses) > 0,
				      "%s %s has no responses object", http_methods[m], path);
			json_t *prior = json_object_get(seen, id);
			ck_assert_msg(prior == NULL, "operationId %s is used by %s and by %s %s", id,
				      json_string_value(prior), http_methods[m], path);
			json_object_set_new(seen, id, json_sprintf("%s %s", http_methods[m], path));
		}
	}
	json_decref(seen);
	json_decref(spec);
}
END_TEST

/* A parameter object, following a local "#/components/parameters/X" $ref. */
static json_t *resolve_parameter(json_t *spec, json_t *param)
{
	const char *ref = json_string_value(json_object_get(param, "$ref"));
	static const char prefix[] = "#/components/parameters/";
	if (ref == NULL)
		return param;
	ck_assert_msg(strncmp(ref, prefix, sizeof prefix - 1) == 0, "unsupported $ref %s", ref);
	json_t *target = json_object_get(json_object_get(json_object_get(spec, "components"),
							 "parameters"),
					 ref + sizeof prefix - 1);
	ck_assert_msg(target != NULL, "dangling $ref %s", ref);
	return target;
}

/* Is `name` an `in: path` parameter of the operation (or of its path item)? */
static bool declares_path_param(json_t *spec, json_t *item, json_t *op, const char *name,
				size_t name_len)
{
	json_t *lists[2] = {json_object_get(item, "parameters"), json_object_get(op, "parameters")};
	for (size_t l = 0; l < 2; l++) {
		size_t i;
		json_t *param;
		json_array_foreach(lists[l], i, param) {
			json_t *p = resolve_parameter(spec, param);
			const char *in = json_string_value(json_object_get(p, "in"));
			const char *pname = json_string_value(json_object_get(p, "name"));
			if (in != NULL && strcmp(in, "path") == 0 && pname != NULL &&
			    strlen(pname) == name_len && memcmp(pname, name, name_len) == 0)
				return true;
		}
	}
	return false;
}

START_TEST(route_params_declared_in_spec)
{
	json_t *spec = load_spec();
	json_t *paths = spec_paths(spec);
	size_t count;
	const struct route *table = routes_table(&count);
	for (size_t i = 0; i < count; i++) {
		json_t *item = json_object_get(paths, table[i].pattern);
		json_t *op = route_operation(paths, &table[i]);
		if (op == NULL)
			continue; /* reported by every_route_is_in_spec */
		for (const char *open = strchr(table[i].pattern, '{'); open != NULL;
		     open = strchr(open + 1, '{')) {
			const char *close = strchr(open, '}');
			ck_assert_msg(close != NULL, "%s: unclosed '{'", table[i].pattern);
			ck_assert_msg(declares_path_param(spec, item, op, open + 1,
							  (size_t)(close - open - 1)),
				      "%s %s: path parameter {%.*s} is not declared in the spec",
				      table[i].method, table[i].pattern, (int)(close - open - 1), open + 1);
		}
	}
	json_decref(spec);
}
END_TEST

/*
 * The route_auth an operation's security declares: [] public; [{}, bearer]
 * optional; [bearer] member, or admin with x-required-role: admin.  -1 for
 * anything else.
 */
static int spec_auth(json_t *spec, json_t *op)
{
	json_t *security = json_object_get(op, "security");
	if (security == NULL)
		security = json_object_get(spec, "security");
	bool anonymous = json_array_size(security) == 0, bearer = false;
	size_t i;
	json_t *requirement;
	json_array_foreach(security, i, requirement) {
		if (json_object_size(requirement) == 0)
			anonymous = true;
		else if (json_object_size(requirement) == 1 && json_object_get(requirement, "bearerAuth"))
			bearer = true;
		else
			return -1;
	}
	const char *role = json_string_value(json_object_get(op, "x-required-role"));
	if (role != NULL)
		return !anonymous && bearer && strcmp(role, "admin") == 0 ? ROUTE_ADMIN : -1;
	if (!bearer)
		return ROUTE_PUBLIC;
	return anonymous ? ROUTE_OPTIONAL : ROUTE_MEMBER;
}

START_TEST(route_auth_matches_spec_security)
{
	static const char *const names[] = {"public", "optional", "member", "admin"};
	json_t *spec = load_spec();
	json_t *paths = spec_paths(spec);
	char *wrong = NULL;
	size_t wrong_len = 0;
	size_t count;
	const struct route *table = routes_table(&count);
	for (size_t i = 0; i < count; i++) {
		json_t *op = route_operation(paths, &table[i]);
		if (op == NULL)
			continue; /* reported by every_route_is_in_spec */
		int declared = spec_auth(spec, op);
		if (declared != (int)table[i].auth) {
			char what[96];
			snprintf(what, sizeof what, "%s (routed %s, spec %s)", table[i].pattern,
				 names[table[i].auth], declared < 0 ? "unrecognised" : names[declared]);
			note(&wrong, &wrong_len, table[i].method, what);
		}
	}
	ck_assert_msg(wrong == NULL, "authentication differs between router and spec: %s", wrong);
	json_decref(spec);
}
END_TEST

/*
 * A route's body limit is its operation's x-max-body-bytes; an operation
 * without a requestBody declares none and its route takes no body.
 */
START_TEST(route_body_limit_matches_spec)
{
	json_t *spec = load_spec();
	json_t *paths = spec_paths(spec);
	char *wrong = NULL;
	size_t wrong_len = 0;
	size_t count;
	const struct route *table = routes_table(&count);
	for (size_t i = 0; i < count; i++) {
		json_t *op = route_operation(paths, &table[i]);
		if (op == NULL)
			continue; /* reported by every_route_is_in_spec */
		json_t *declared = json_object_get(op, "x-max-body-bytes");
		bool has_body = json_object_get(op, "requestBody") != NULL;
		json_int_t limit = json_is_integer(declared) ? json_integer_value(declared) : 0;
		if ((json_int_t)table[i].body_max != limit || (declared != NULL) != has_body || (has_body && limit <= 0)) {
			char what[160];
			snprintf(what, sizeof what, "%s (routed %zu, spec %lld%s)", table[i].pattern, table[i].body_max,
				 (long long)limit, has_body ? "" : ", no requestBody");
			note(&wrong, &wrong_len, table[i].method, what);
		}
	}
	ck_assert_msg(wrong == NULL, "body limits differ between router and spec: %s", wrong);
	json_decref(spec);
}
END_TEST

static Suite *spec_routes_suite(void)
{
	Suite *s = suite_create("spec_routes");
	TCase *tc = tcase_create("agreement");
	tcase_add_test(tc, spec_is_openapi_3_1_0);
	tcase_add_test(tc, every_spec_operation_is_routed);
	tcase_add_test(tc, every_route_is_in_spec);
	tcase_add_test(tc, routes_unique_and_handled);
	tcase_add_test(tc, operations_have_id_and_responses);
	tcase_add_test(tc, route_params_declared_in_spec);
	tcase_add_test(tc, route_auth_matches_spec_security);
	tcase_add_test(tc, route_body_limit_matches_spec);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(spec_routes_suite());
}
