/* Replies built from database outcomes. */
#include "respond.h"

#include <string.h>

#include "log.h"
#include "problem.h"
#include "request.h"

void respond_db_failure(struct request *r, const struct db_result *result)
{
	switch (result->status) {
	case DB_TIMEOUT:
		problem_reply(r, 503, "The database did not answer in time; retry shortly.");
		return;
	case DB_QUERY_ERROR:
		log_msg(LOG_ERROR, request_id(r), "query failed: %s",
			result->res ? PQresultErrorMessage(result->res) : "no result");
		problem_reply(r, 500, "The request could not be completed.");
		return;
	case DB_OK:
	case DB_UNAVAILABLE:
		break;
	}
	problem_reply(r, 503, "The database is unreachable; retry shortly.");
}

void respond_json_row(const struct db_result *result, void *arg)
{
	struct request *r = arg;
	if (result->status != DB_OK || PQntuples(result->res) != 1 || PQgetisnull(result->res, 0, 0)) {
		respond_db_failure(r, result);
		return;
	}
	request_reply_data(r, 200, "application/json", PQgetvalue(result->res, 0, 0),
			   (size_t)PQgetlength(result->res, 0, 0));
}
