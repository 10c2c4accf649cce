/* RFC 9457 problem details. */
#include "problem.h"

#include <stdio.h>

#include "request.h"
#include "text.h"

json_t *problem_new(int status, const char *detail, const char *request_id)
{
	char safe[1024]; /* details may quote client bytes */
	json_t *p = json_pack("{s:s, s:s, s:i, s:s}", "type", "about:blank", "title",
			      http_status_title(status), "status", status, "detail",
			      utf8_sanitize(detail, safe, sizeof safe));
	if (p != NULL && request_id != NULL)
		json_object_set_new(p, "request_id", json_string(request_id));
	return p;
}

static void send_problem(struct request *r, int status, const char *detail, json_t *members,
			 int retry_after_s)
{
	json_t *p = problem_new(status, detail, request_id(r));
	if (p != NULL && members != NULL)
		json_object_update_missing(p, members);
	json_decref(members);
	if (retry_after_s > 0) {
		char value[16];
		snprintf(value, sizeof value, "%d", retry_after_s);
		request_add_header(r, "Retry-After", value);
	}
	/* RFC 9110: every 401 names the scheme that would be accepted. */
	if (status == 401)
		request_add_header(r, "WWW-Authenticate", "Bearer realm=\"marketplace\"");
	request_reply_json(r, status, "application/problem+json", p);
}

void problem_reply(struct request *r, int status, const char *detail)
{
	send_problem(r, status, detail, NULL, status == 503 ? 1 : 0);
}

void problem_reply_errors(struct request *r, int status, const char *detail, json_t *errors)
{
	send_problem(r, status, detail, json_pack("{s:o}", "errors", errors), 0);
}

void problem_reply_members(struct request *r, int status, const char *detail, json_t *members)
{
	send_problem(r, status, detail, members, 0);
}

void problem_reply_retry(struct request *r, int status, const char *detail, int retry_after_s)
{
	send_problem(r, status, detail, NULL, retry_after_s);
}
