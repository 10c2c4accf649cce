/*
 * JSON body validation of register, login and organisation PATCH.  The
 * input is a request body: json_loadb with input.c's flags
 * (JSON_REJECT_DUPLICATES); a refusal becomes the 400 problem input.c
 * sends, quoting jansson's error text.  An object then goes through:
 *   - PATCH /organizations/{id}: validate_fields(organization_fields,
 *     FIELDS_UPDATE), and the patch serialised as organizations.c does;
 *   - registration's organisation: validate_fields(organization_fields,
 *     FIELDS_CREATE) with the prefix "organization.", on the body's
 *     "organization" member and on the body itself;
 *   - register's and login's top-level members (email, password,
 *     display_name): accounts.c checks them inline, so their rules are
 *     restated below as field rules and applied with the same public
 *     validators (validate_known_fields, validate_string, valid_email);
 *     accounts.c's own lines (normalise_email) stay unreached.
 * Each free-text member is also tried at its rule's bounds (min - 1, min,
 * max, max + 1 characters of its own text), which random bodies rarely hit.
 * Every string value also goes to valid_email, valid_tax_code,
 * valid_web_address and utf8_length, and the raw input to the Content-Type
 * check of input.c (json_content_type_ok).
 *
 * Beyond "no crash": an oracle written here from the rules' meaning
 * predicts, for every field, whether it is refused and what reaches the
 * validated object; the errors are exactly one per refused field plus one
 * "unknown field" per unknown member (none lost, however long or oddly cut
 * its name), each field name valid UTF-8 under 160 bytes; the 422 problem
 * with those errors, and the PATCH text, serialise to valid JSON; and what
 * the three checks accept has the shape they promise.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "input.h"
#include "organizations.h"
#include "support.h"
#include "validate.h"

/* accounts.c's top-level members, as rules (its validate_email is 3..254 + valid_email). */
static const struct field_rule register_rules[] = {
	{"email", FIELD_REQUIRED, 3, 254, NULL, valid_email, "is not a valid email address", FIELD_TEXT, 0, NULL},
	{"password", FIELD_REQUIRED, 10, 1024, NULL, NULL, NULL, FIELD_TEXT, 0, NULL},
	{"display_name", FIELD_REQUIRED, 1, 200, NULL, NULL, NULL, FIELD_TEXT, 0, NULL},
	{0},
};
static const struct field_rule login_rules[] = {
	{"email", FIELD_REQUIRED, 3, 254, NULL, valid_email, "is not a valid email address", FIELD_TEXT, 0, NULL},
	{"password", FIELD_REQUIRED, 1, 1024, NULL, NULL, NULL, FIELD_TEXT, 0, NULL},
	{0},
};

/* ------------------------------------------------------------ the oracle */

static const struct field_rule *rule_named(const struct field_rule *rules, const char *name)
{
	for (; rules->name != NULL; rules++)
		if (strcmp(rules->name, name) == 0)
			return rules;
	return NULL;
}

/* Whether obj's member for rule must be refused in mode. */
static bool refused(const struct field_rule *rule, json_t *obj, enum field_mode mode)
{
	json_t *value = json_object_get(obj, rule->name);
	if (value == NULL)
		return mode == FIELDS_CREATE && (rule->flags & FIELD_REQUIRED);
	if (json_is_null(value))
		return mode == FIELDS_UPDATE ? !(rule->flags & FIELD_NULLABLE) : (rule->flags & FIELD_REQUIRED);
	return !fuzz_value_acceptable(rule, value);
}

/* How many of v's errors from index `from` have this field (prefix
 * included) and this message; NULL matches any. */
static size_t errors_for(const struct validation *v, size_t from, const char *field,
			 const char *message)
{
	size_t n = 0;
	for (size_t i = from; i < json_array_size(v->errors); i++) {
		json_t *e = json_array_get(v->errors, i);
		const char *f = json_string_value(json_object_get(e, "field"));
		const char *m = json_string_value(json_object_get(e, "message"));
		n += (field == NULL || strcmp(f, field) == 0) && (message == NULL || strcmp(m, message) == 0);
	}
	return n;
}

static size_t unknown_members(json_t *obj, const struct field_rule *rules, const char *also)
{
	size_t n = 0;
	const char *key;
	json_t *value;
	json_object_foreach(obj, key, value)
		n += rule_named(rules, key) == NULL && (also == NULL || strcmp(key, also) != 0);
	return n;
}

/*
 * The errors from index `from` on are one per unknown member of obj
 * (`unknown` of them) and one per refused rule; out (may be NULL) holds
 * exactly the acceptable members and, on update, the removals.
 */
static void check_rules(const struct validation *v, size_t from, json_t *obj,
			const struct field_rule *rules, enum field_mode mode, json_t *out,
			size_t unknown)
{
	size_t expected = unknown;
	char field[256];
	fuzz_check_refusal(v);
	FUZZ_CHECK(errors_for(v, from, NULL, "unknown field") == unknown);
	for (const struct field_rule *rule = rules; rule->name != NULL; rule++) {
		snprintf(field, sizeof field, "%s%s", v->prefix, rule->name);
		bool no = refused(rule, obj, mode);
		FUZZ_CHECK(errors_for(v, from, field, NULL) == (no ? 1u : 0u));
		expected += no;
		if (out == NULL)
			continue;
		json_t *in = json_object_get(obj, rule->name), *kept = json_object_get(out, rule->name);
		bool removal = mode == FIELDS_UPDATE && json_is_null(in) && (rule->flags & FIELD_NULLABLE);
		if (no || in == NULL || (json_is_null(in) && !removal))
			FUZZ_CHECK(kept == NULL);
		else if (removal)
			FUZZ_CHECK(json_is_null(kept));
		else
			FUZZ_CHECK(json_is_string(kept) && json_equal(kept, in));
	}
	FUZZ_CHECK(json_array_size(v->errors) - from == expected);
	if (out != NULL)
		FUZZ_CHECK(json_object_size(out) <= json_object_size(obj));
}

/* ------------------------------------------------------------ the checks */

/* validate_fields on obj in mode, with prefix, judged by the oracle. */
static void check_fields(json_t *obj, enum field_mode mode, const char *prefix)
{
	struct validation v;
	validate_init(&v);
	v.prefix = prefix;
	json_t *out = validate_fields(&v, obj, organization_fields, mode);
	FUZZ_CHECK(out != NULL);
	check_rules(&v, 0, obj, organization_fields, mode, out, unknown_members(obj, organization_fields, NULL));
	if (mode == FIELDS_UPDATE && validate_ok(&v)) {
		char *patch = json_dumps(out, JSON_COMPACT); /* organizations.c's query parameter */
		FUZZ_CHECK(patch != NULL);
		json_decref(fuzz_json_parse_strict(patch, strlen(patch)));
		free(patch);
	}
	fuzz_check_refusal(&v);
	json_decref(out);
	validate_free(&v);
}

/* register (with its organisation) or login: accounts.c's sequence of checks. */
static void check_account_body(json_t *body, const struct field_rule *rules, bool with_organization)
{
	size_t names = 0;
	const char *allowed[8];
	for (const struct field_rule *rule = rules; rule->name != NULL; rule++)
		allowed[names++] = rule->name;
	if (with_organization)
		allowed[names++] = "organization";
	allowed[names] = NULL;

	struct validation v;
	validate_init(&v);
	validate_known_fields(&v, body, allowed);
	size_t unknown = unknown_members(body, rules, with_organization ? "organization" : NULL);
	FUZZ_CHECK(json_array_size(v.errors) == unknown);
	for (const struct field_rule *rule = rules; rule->name != NULL; rule++) {
		const char *s = validate_string(&v, body, rule->name, true, rule->min, rule->max);
		if (s != NULL && rule->check != NULL && !rule->check(s))
			validate_error(&v, rule->name, rule->check_message);
	}
	check_rules(&v, 0, body, rules, FIELDS_CREATE, NULL, unknown);
	if (with_organization) {
		size_t before = json_array_size(v.errors);
		json_t *org = validate_object(&v, body, "organization");
		FUZZ_CHECK(json_is_object(org) == (org != NULL));
		FUZZ_CHECK(json_array_size(v.errors) == before + (org == NULL));
		if (org != NULL) {
			before = json_array_size(v.errors);
			v.prefix = "organization.";
			json_t *out = validate_fields(&v, org, organization_fields, FIELDS_CREATE);
			FUZZ_CHECK(out != NULL);
			check_rules(&v, before, org, organization_fields, FIELDS_CREATE, out,
				    unknown_members(org, organization_fields, NULL));
			json_decref(out);
		}
	}
	fuzz_check_refusal(&v);
	validate_free(&v);
}

/* What each check accepts has the promised shape. */
static void check_string_checks(const char *s)
{
	if (valid_tax_code(s)) {
		size_t n = strlen(s);
		FUZZ_CHECK(n == 10 || n == 14);
		FUZZ_CHECK(strspn(s, "0123456789") == 10);
		FUZZ_CHECK(n == 10 || (s[10] == '-' && strspn(s + 11, "0123456789") == 3));
	}
	if (valid_web_address(s)) {
		size_t scheme = strncasecmp(s, "https://", 8) == 0 ? 8 : 7;
		FUZZ_CHECK(scheme == 8 || strncasecmp(s, "http://", 7) == 0);
		FUZZ_CHECK(s[scheme] != '\0' && s[scheme] != '/');
		for (const unsigned char *p = (const unsigned char *)s; *p; p++)
			FUZZ_CHECK(*p > ' ' && *p != 0x7f);
	}
	if (valid_email(s)) {
		const char *at = strchr(s, '@');
		FUZZ_CHECK(at != NULL && at > s && at - s <= 64 && strchr(at + 1, '@') == NULL);
		FUZZ_CHECK(strlen(s) <= 254);
		const char *dot = strrchr(at, '.');
		FUZZ_CHECK(dot != NULL && dot > at + 1 && strlen(dot + 1) >= 2);
		for (const unsigned char *p = (const unsigned char *)s; *p; p++)
			FUZZ_CHECK(*p > ' ' && *p < 0x7f);
	}
	if (fuzz_utf8_well_formed(s, strlen(s), false))
		FUZZ_CHECK(utf8_length(s) == fuzz_utf8_code_points(s));
}

/* input_json_object's Content-Type check: application/json, then nothing or parameters. */
static void check_content_type(const char *value)
{
	if (!json_content_type_ok(value))
		return;
	FUZZ_CHECK(strncasecmp(value, "application/json", 16) == 0);
	const char *rest = value + 16 + strspn(value + 16, " \t");
	FUZZ_CHECK(*rest == '\0' || *rest == ';');
}

static void check_all_strings(json_t *value, int depth)
{
	const char *key;
	size_t i;
	json_t *member;
	if (json_is_string(value))
		check_string_checks(json_string_value(value));
	else if (json_is_object(value) && depth < 3)
		json_object_foreach(value, key, member) check_all_strings(member, depth + 1);
	else if (json_is_array(value) && depth < 3)
		json_array_foreach(value, i, member) check_all_strings(member, depth + 1);
}

/* ------------------------------------------------ lengths at the bounds */

/* value's code points repeated or cut to exactly `chars` of them (NULs kept). */
static json_t *stretched(json_t *value, size_t chars)
{
	const char *s = json_string_value(value);
	size_t len = json_string_length(value), o = 0;
	char *out = malloc(chars * 4 + 1);
	FUZZ_CHECK(out != NULL);
	for (size_t i = 0, n = 0; n < chars; n++) {
		do { /* one code point: its lead byte and continuation bytes */
			out[o++] = s[i];
			i = (i + 1) % len;
		} while (((unsigned char)s[i] & 0xC0) == 0x80);
	}
	json_t *copy = json_stringn(out, o);
	FUZZ_CHECK(copy != NULL);
	free(out);
	return copy;
}

/*
 * A random body rarely holds a string of exactly a rule's min or max
 * characters: each free-text member of obj is also tried cut or repeated to
 * min - 1, min, max and max + 1 of its own characters, and the oracle
 * judges every variant with check.
 */
static void check_bounds(json_t *obj, const struct field_rule *rules, void (*check)(json_t *))
{
	for (const struct field_rule *rule = rules; rule->name != NULL; rule++) {
		json_t *value = json_object_get(obj, rule->name);
		if (rule->choices != NULL || !json_is_string(value) || json_string_length(value) == 0)
			continue;
		size_t lengths[] = {rule->min - 1, rule->min, rule->max, rule->max + 1};
		for (size_t i = rule->min == 0; i < sizeof lengths / sizeof lengths[0]; i++) {
			json_t *variant = json_copy(obj);
			FUZZ_CHECK(variant != NULL);
			FUZZ_CHECK(json_object_set_new(variant, rule->name, stretched(value, lengths[i])) == 0);
			check(variant);
			json_decref(variant);
		}
	}
}

static void check_organization(json_t *obj)
{
	check_fields(obj, FIELDS_UPDATE, "");
	check_fields(obj, FIELDS_CREATE, "organization.");
}

static void check_register(json_t *body) { check_account_body(body, register_rules, true); }
static void check_login(json_t *body) { check_account_body(body, login_rules, false); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *raw = fuzz_cstring(data, size);
	check_string_checks(raw);
	check_content_type(raw);
	free(raw);

	json_error_t error;
	json_t *body = size > 0 ? json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &error) : NULL;
	if (body == NULL) {
		char detail[300]; /* input.c's */
		snprintf(detail, sizeof detail, "The body is not valid JSON: %s (line %d, column %d).",
			 size > 0 ? error.text : "empty body", size > 0 ? error.line : 0,
			 size > 0 ? error.column : 0);
		fuzz_check_problem(400, detail, NULL);
		return 0;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		return 0;
	}
	check_all_strings(body, 0);
	check_organization(body);
	check_bounds(body, organization_fields, check_organization);
	json_t *org = json_object_get(body, "organization");
	if (json_is_object(org)) {
		check_organization(org);
		check_bounds(org, organization_fields, check_organization);
	}
	check_register(body);
	check_bounds(body, register_rules, check_register);
	check_login(body);
	check_bounds(body, login_rules, check_login);
	json_decref(body);
	return 0;
}
