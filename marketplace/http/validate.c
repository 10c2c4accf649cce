/* Field validation that collects every error of a request body. */
#include "validate.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "problem.h"
#include "text.h"

void validate_init(struct validation *v)
{
	v->errors = json_array();
	v->prefix = "";
}

void validate_free(struct validation *v)
{
	json_decref(v->errors);
	v->errors = NULL;
}

void validate_error(struct validation *v, const char *field, const char *message)
{
	char joined[512], name[160];
	snprintf(joined, sizeof joined, "%s%s", v->prefix, field);
	utf8_sanitize(joined, name, sizeof name); /* a long name is cut between characters */
	json_array_append_new(v->errors, json_pack("{s:s, s:s}", "field", name, "message", message));
}

bool validate_ok(const struct validation *v) { return json_array_size(v->errors) == 0; }

bool validate_passed(struct validation *v, struct request *r)
{
	if (validate_ok(v)) {
		validate_free(v);
		return true;
	}
	problem_reply_errors(r, 422, "Some fields are invalid; see errors.", v->errors);
	v->errors = NULL;
	return false;
}

void validate_reply_one(struct request *r, const char *field, const char *message)
{
	struct validation v;
	validate_init(&v);
	validate_error(&v, field, message);
	if (validate_passed(&v, r))
		problem_reply(r, 503, "Out of memory.");
}

void validate_known_fields(struct validation *v, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *value;
	json_object_foreach(obj, key, value) {
		bool known = false;
		for (const char *const *a = allowed; *a != NULL && !known; a++)
			known = strcmp(*a, key) == 0;
		if (!known)
			validate_error(v, key, "unknown field");
	}
}

size_t utf8_length(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

const char *validate_string(struct validation *v, json_t *obj, const char *field, bool required,
			    size_t min, size_t max)
{
	json_t *value = json_object_get(obj, field);
	if (value == NULL || json_is_null(value)) {
		if (required)
			validate_error(v, field, "is required");
		return NULL;
	}
	if (!json_is_string(value)) {
		validate_error(v, field, "must be a string");
		return NULL;
	}
	const char *s = json_string_value(value);
	if (strlen(s) != json_string_length(value)) {
		validate_error(v, field, "must not contain NUL characters");
		return NULL;
	}
	size_t len = utf8_length(s);
	if (s[0] == ' ' || (len > 0 && s[strlen(s) - 1] == ' ')) {
		validate_error(v, field, "must not begin or end with a space");
		return NULL;
	}
	if (len < min || len > max) {
		char message[96];
		snprintf(message, sizeof message, "must be %zu to %zu characters long", min, max);
		validate_error(v, field, message);
		return NULL;
	}
	return s;
}

json_t *validate_object(struct validation *v, json_t *obj, const char *field)
{
	json_t *value = json_object_get(obj, field);
	if (!json_is_object(value)) {
		validate_error(v, field, value == NULL ? "is required" : "must be an object");
		return NULL;
	}
	return value;
}

const char *validate_enum(struct validation *v, json_t *obj, const char *field, bool required,
			  const char *const *choices)
{
	const char *s = validate_string(v, obj, field, required, 1, 64);
	if (s == NULL)
		return NULL;
	for (const char *const *c = choices; *c != NULL; c++)
		if (strcmp(*c, s) == 0)
			return s;
	char message[512] = "must be one of:";
	for (const char *const *c = choices; *c != NULL; c++) {
		strncat(message, " ", sizeof message - strlen(message) - 1);
		strncat(message, *c, sizeof message - strlen(message) - 1);
	}
	validate_error(v, field, message);
	return NULL;
}

json_t *validate_fields(struct validation *v, json_t *obj, const struct field_rule *rules,
			enum field_mode mode)
{
	json_t *out = json_object();
	const char *key;
	json_t *value;
	json_object_foreach(obj, key, value) {
		const struct field_rule *rule = rules;
		while (rule->name != NULL && strcmp(rule->name, key) != 0)
			rule++;
		if (rule->name == NULL)
			validate_error(v, key, "unknown field");
	}
	for (const struct field_rule *rule = rules; rule->name != NULL; rule++) {
		value = json_object_get(obj, rule->name);
		if (mode == FIELDS_UPDATE && value == NULL)
			continue;
		if (mode == FIELDS_UPDATE && json_is_null(value)) {
			if (rule->flags & FIELD_NULLABLE)
				json_object_set_new(out, rule->name, json_null());
			else
				validate_error(v, rule->name, "cannot be removed");
			continue;
		}
		bool required = mode == FIELDS_UPDATE || (rule->flags & FIELD_REQUIRED);
		const char *s = rule->choices != NULL
					? validate_enum(v, obj, rule->name, required, rule->choices)
					: validate_string(v, obj, rule->name, required, rule->min, rule->max);
		if (s != NULL && rule->check != NULL && !rule->check(s)) {
			validate_error(v, rule->name, rule->check_message);
			s = NULL;
		}
		if (s != NULL)
			json_object_set_new(out, rule->name, json_string(s));
	}
	return out;
}

/* A pragmatic check: local@domain.tld, printable ASCII, no spaces, one '@'. */
bool valid_email(const char *email)
{
	const char *at = strchr(email, '@');
	size_t len = strlen(email);
	if (at == NULL || at == email || strchr(at + 1, '@') != NULL || len > 254 || at - email > 64)
		return false;
	const char *dot = strrchr(at, '.');
	if (dot == NULL || dot == at + 1 || dot[1] == '\0' || strlen(dot + 1) < 2)
		return false;
	if (strstr(at, "..") != NULL || at[-1] == '.' || email[0] == '.')
		return false;
	for (const char *p = email; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c >= 0x7f || strchr("()<>,;:\\\"[]", c) != NULL)
			return false;
	}
	return true;
}

bool valid_tax_code(const char *t)
{
	size_t len = strlen(t);
	if (len != 10 && len != 14)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool digit = t[i] >= '0' && t[i] <= '9';
		if (i == 10 ? t[i] != '-' : !digit)
			return false;
	}
	return true;
}

bool valid_web_address(const char *text)
{
	size_t scheme = strncasecmp(text, "https://", 8) == 0 ? 8 : strncasecmp(text, "http://", 7) == 0 ? 7 : 0;
	if (scheme == 0 || text[scheme] == '\0' || text[scheme] == '/')
		return false;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

bool valid_uuid(const char *text)
{
	if (strlen(text) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		char c = text[i];
		bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? c != '-' : !hex)
			return false;
	}
	return true;
}
