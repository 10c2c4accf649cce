/* Request input checks that reply with a problem on failure. */
#include "input.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "problem.h"
#include "request.h"
#include "validate.h"

bool json_content_type_ok(const char *content_type)
{
	static const char expected[] = "application/json";
	if (content_type == NULL || strncasecmp(content_type, expected, sizeof expected - 1) != 0)
		return false;
	const char *rest = content_type + sizeof expected - 1;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	return *rest == '\0' || *rest == ';'; /* parameters such as charset=utf-8 */
}

bool input_json_object(struct request *r, json_t **out)
{
	if (!json_content_type_ok(request_header(r, "Content-Type"))) {
		problem_reply(r, 415, "Send the body as JSON with Content-Type: application/json.");
		return false;
	}
	size_t len;
	const char *text = request_body(r, &len);
	json_error_t error;
	json_t *doc = len > 0 ? json_loadb(text, len, JSON_REJECT_DUPLICATES, &error) : NULL;
	if (doc == NULL) {
		char detail[300];
		snprintf(detail, sizeof detail, "The body is not valid JSON: %s (line %d, column %d).",
			 len > 0 ? error.text : "empty body", len > 0 ? error.line : 0,
			 len > 0 ? error.column : 0);
		problem_reply(r, 400, detail);
		return false;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		problem_reply(r, 400, "The body must be a JSON object.");
		return false;
	}
	*out = doc;
	return true;
}

bool input_uuid_param(struct request *r, const char *name, const char *not_found_detail,
		      const char **out)
{
	*out = route_param(&r->params, name);
	if (*out != NULL && valid_uuid(*out))
		return true;
	problem_reply(r, 404, not_found_detail);
	return false;
}

bool input_if_match(struct request *r, const char *stale_detail, char buf[16], const char **version)
{
	const char *h = request_header(r, "If-Match");
	*version = NULL;
	if (h == NULL || strcmp(h, "*") == 0)
		return true;
	size_t n = strlen(h);
	bool digits = n >= 3 && n <= 12 && h[0] == '"' && h[n - 1] == '"';
	for (size_t i = 1; digits && i + 1 < n; i++)
		digits = h[i] >= '0' && h[i] <= '9';
	if (!digits) {
		problem_reply(r, 412, stale_detail);
		return false;
	}
	memcpy(buf, h + 1, n - 2);
	buf[n - 2] = '\0';
	*version = buf;
	return true;
}
