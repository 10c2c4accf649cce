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

bool validate_has_error(const struct validation *v, const char *field)
{
	size_t i;
	json_t *e;
	json_array_foreach(v->errors, i, e) {
		const char *named = json_string_value(json_object_get(e, "field"));
		if (named != NULL && strcmp(named, field) == 0)
			return true;
	}
	return false;
}

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

/* A text value of rule (the member `field` of obj, present and not null), or NULL. */
static const char *rule_text(struct validation *v, json_t *obj, const char *field,
			     const struct field_rule *rule)
{
	const char *s = rule->choices != NULL ? validate_enum(v, obj, field, true, rule->choices)
					      : validate_string(v, obj, field, true, rule->min, rule->max);
	if (s != NULL && rule->check != NULL && !rule->check(s)) {
		validate_error(v, field, rule->check_message);
		s = NULL;
	}
	return s;
}

static json_t *rule_list(struct validation *v, json_t *value, const struct field_rule *rule)
{
	char message[64];
	if (!json_is_array(value)) {
		validate_error(v, rule->name, "must be an array of strings");
		return NULL;
	}
	if (json_array_size(value) > rule->items_max) {
		snprintf(message, sizeof message, "must have at most %zu items", rule->items_max);
		validate_error(v, rule->name, message);
		return NULL;
	}
	json_t *out = json_array();
	size_t i, errors = json_array_size(v->errors);
	json_t *item;
	json_array_foreach(value, i, item) {
		/* Each item is checked as a member named after the list, so that
		 * its messages name the field the client sent. */
		json_t *holder = json_pack("{sO}", rule->name, item);
		const char *s = holder != NULL ? rule_text(v, holder, rule->name, rule) : NULL;
		bool repeated = false;
		for (size_t j = 0; s != NULL && j < json_array_size(out) && !repeated; j++)
			repeated = strcmp(json_string_value(json_array_get(out, j)), s) == 0;
		if (repeated)
			validate_error(v, rule->name, "must not repeat an item");
		else if (s != NULL)
			json_array_append_new(out, json_string(s));
		json_decref(holder);
		if (json_array_size(v->errors) > errors)
			break; /* one message per list is enough */
	}
	return out;
}

/* The valid value of a present, non-null member, as a new reference; NULL with errors otherwise. */
static json_t *rule_value(struct validation *v, json_t *obj, json_t *value, const struct field_rule *rule)
{
	char message[96];
	switch (rule->type) {
	case FIELD_INTEGER:
		if (!json_is_integer(value) || json_integer_value(value) < (json_int_t)rule->min ||
		    json_integer_value(value) > (json_int_t)rule->max) {
			snprintf(message, sizeof message, "must be an integer from %zu to %zu", rule->min, rule->max);
			validate_error(v, rule->name, message);
			return NULL;
		}
		return json_incref(value);
	case FIELD_BOOLEAN:
		if (!json_is_boolean(value)) {
			validate_error(v, rule->name, "must be true or false");
			return NULL;
		}
		return json_incref(value);
	case FIELD_TEXT_LIST:
		return rule_list(v, value, rule);
	case FIELD_OBJECT: {
		if (!json_is_object(value)) {
			validate_error(v, rule->name, "must be an object");
			return NULL;
		}
		if (rule->members == NULL)
			return json_incref(value);
		char prefix[128];
		snprintf(prefix, sizeof prefix, "%s%s.", v->prefix, rule->name);
		const char *outer = v->prefix;
		v->prefix = prefix;
		json_t *out = validate_fields(v, value, rule->members, FIELDS_CREATE);
		v->prefix = outer;
		return out;
	}
	case FIELD_SCALAR:
		if (json_is_number(value))
			return json_incref(value);
		if (!json_is_string(value)) {
			validate_error(v, rule->name, "must be a number or a text");
			return NULL;
		}
		break;
	case FIELD_TEXT:
		break;
	}
	const char *s = rule_text(v, obj, rule->name, rule);
	return s != NULL ? json_string(s) : NULL;
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
		if (value == NULL || json_is_null(value)) {
			if (mode == FIELDS_UPDATE && value != NULL) {
				if (rule->flags & FIELD_NULLABLE)
					json_object_set_new(out, rule->name, json_null());
				else
					validate_error(v, rule->name, "cannot be removed");
			} else if (mode == FIELDS_CREATE && (rule->flags & FIELD_REQUIRED)) {
				validate_error(v, rule->name, "is required");
			}
			continue;
		}
		json_t *valid = rule_value(v, obj, value, rule);
		if (valid != NULL)
			json_object_set_new(out, rule->name, valid);
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

static bool digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool valid_rfc3339(const char *t)
{
	/* 2026-11-28T06:47:45 */
	if (strlen(t) < 20 || !digits(t, 4) || t[4] != '-' || !digits(t + 5, 2) || t[7] != '-' ||
	    !digits(t + 8, 2) || (t[10] != 'T' && t[10] != 't') || !digits(t + 11, 2) || t[13] != ':' ||
	    !digits(t + 14, 2) || t[16] != ':' || !digits(t + 17, 2))
		return false;
	int month = (t[5] - '0') * 10 + t[6] - '0', day = (t[8] - '0') * 10 + t[9] - '0';
	int hour = (t[11] - '0') * 10 + t[12] - '0', minute = (t[14] - '0') * 10 + t[15] - '0';
	int second = (t[17] - '0') * 10 + t[18] - '0';
	if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
		return false;
	const char *p = t + 19;
	if (*p == '.') {
		size_t n = strspn(p + 1, "0123456789");
		if (n == 0 || n > 9)
			return false;
		p += 1 + n;
	}
	if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0')
		return true;
	return (p[0] == '+' || p[0] == '-') && digits(p + 1, 2) && p[3] == ':' && digits(p + 4, 2) &&
	       p[6] == '\0' && (p[1] - '0') * 10 + p[2] - '0' <= 23 && (p[4] - '0') * 10 + p[5] - '0' <= 59;
}
