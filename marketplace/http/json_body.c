/* Request body and query checks that reply with a problem on failure. */
#include "json_body.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "problem.h"
#include "request.h"

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

bool json_body_object(struct request *r, json_t **out)
{
	if (!json_content_type_ok(request_header(r, "Content-Type"))) {
		problem_reply(r, 415, "Send the body as JSON with Content-Type: application/json.");
		return false;
	}
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	size_t len = evbuffer_get_length(in);
	const char *text = (const char *)evbuffer_pullup(in, -1);
	json_error_t error;
	json_t *doc = text != NULL ? json_loadb(text, len, JSON_REJECT_DUPLICATES, &error) : NULL;
	if (doc == NULL) {
		char detail[300];
		snprintf(detail, sizeof detail, "The body is not valid JSON: %s (line %d, column %d).",
			 text != NULL ? error.text : "empty body", text != NULL ? error.line : 0,
			 text != NULL ? error.column : 0);
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
