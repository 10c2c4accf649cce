/* RFC 9457 problem details: every error the server answers goes through here. */
#ifndef MARKETPLACE_PROBLEM_H
#define MARKETPLACE_PROBLEM_H

#include <jansson.h>

struct request;

/* A new problem object {type,title,status,detail[,request_id]}; caller owns it. */
json_t *problem_new(int status, const char *detail, const char *request_id);

/* Replies with a problem; 503 gets "Retry-After: 1", 401 "WWW-Authenticate: Bearer". Frees r. */
void problem_reply(struct request *r, int status, const char *detail);

/* As problem_reply, with "errors": [{field, message}] (stolen) for 422s. */
void problem_reply_errors(struct request *r, int status, const char *detail, json_t *errors);

/* As problem_reply, with the members of the object `members` (stolen; may
 * be NULL) added, e.g. a pointer to the resource a 409 conflicts with.
 * They never replace type, title, status, detail or request_id. */
void problem_reply_members(struct request *r, int status, const char *detail, json_t *members);

/* As problem_reply, with an explicit Retry-After in seconds (429, 503). */
void problem_reply_retry(struct request *r, int status, const char *detail, int retry_after_s);

#endif
