/* RFC 9457 problem details. */
#include "problem.h"

#include <stdio.h>

#include "request.h"

const char *http_status_title(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : status >= 300 ? "Redirection" : "OK";
	}
}

json_t *problem_new(int status, const char *detail, const char *request_id)
{
	json_t *p = json_pack("{s:s, s:s, s:i, s:s}", "type", "about:blank", "title",
			      http_status_title(status), "status", status, "detail", detail);
	if (p != NULL && request_id != NULL)
		json_object_set_new(p, "request_id", json_string(request_id));
	return p;
}

static void send_problem(struct request *r, int status, const char *detail, json_t *errors,
			 int retry_after_s)
{
	json_t *p = problem_new(status, detail, request_id(r));
	if (p != NULL && errors != NULL)
		json_object_set(p, "errors", errors);
	json_decref(errors);
	if (retry_after_s > 0) {
		char value[16];
		snprintf(value, sizeof value, "%d", retry_after_s);
		request_add_header(r, "Retry-After", value);
	}
	request_reply_json(r, status, "application/problem+json", p);
}

void problem_reply(struct request *r, int status, const char *detail)
{
	send_problem(r, status, detail, NULL, status == 503 ? 1 : 0);
}

void problem_reply_errors(struct request *r, int status, const char *detail, json_t *errors)
{
	send_problem(r, status, detail, errors, 0);
}

void problem_reply_retry(struct request *r, int status, const char *detail, int retry_after_s)
{
	send_problem(r, status, detail, NULL, retry_after_s);
}
