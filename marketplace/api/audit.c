/* GET /api/v1/audit: the append-only audit log, newest first, for administrators. */
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "problem.h"
#include "query.h"
#include "request.h"
#include "respond.h"
#include "validate.h"

const struct db_stmt audit_statements[] = {
	[AUDIT_LIST] = {"audit_list",
	"SELECT id, jsonb_build_object('id', id,"
	"  'at', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	"  'actor_id', actor_id, 'action', action, 'entity', entity, 'entity_id', entity_id,"
	"  'before', before, 'after', after, 'request_id', request_id)::text"
	" FROM audit_log"
	" WHERE ($1::text IS NULL OR entity = $1) AND ($2::uuid IS NULL OR actor_id = $2::uuid)"
	"  AND ($3::timestamptz IS NULL OR at >= $3::timestamptz)"
	"  AND ($4::timestamptz IS NULL OR at < $4::timestamptz)"
	"  AND ($5::bigint IS NULL OR id < $5::bigint)"
	" ORDER BY id DESC LIMIT $6::int",
	6, false},
	{0},
};

/* RFC 3339 with a time zone: 2026-11-27T10:00:00Z or ...+07:00; PostgreSQL checks the values. */
static bool looks_like_rfc3339(const char *s)
{
	size_t n = strlen(s);
	if (n < 20 || n > 35 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't'))
		return false;
	char last = s[n - 1];
	return last == 'Z' || last == 'z' || (n > 6 && (s[n - 6] == '+' || s[n - 6] == '-'));
}

void audit_list(struct request *r)
{
	static const char *const allowed[] = {"entity", "actor", "from", "to", NULL};
	struct query q;
	if (!query_parse(r, allowed, &q))
		return;
	const char *actor = query_get(&q, "actor"), *from = query_get(&q, "from"), *to = query_get(&q, "to");
	const char *bad = NULL;
	if (actor != NULL && !valid_uuid(actor))
		bad = "actor must be a user id (UUID).";
	else if ((from != NULL && !looks_like_rfc3339(from)) || (to != NULL && !looks_like_rfc3339(to)))
		bad = "from and to must be RFC 3339 times, e.g. 2026-11-27T00:00:00Z.";
	else if (q.cursor[0] && strspn(q.cursor, "0123456789") != strlen(q.cursor))
		bad = "cursor is not one this server handed out.";
	if (bad != NULL) {
		query_free(&q);
		problem_reply(r, 400, bad);
		return;
	}
	const char *params[6] = {query_get(&q, "entity"), actor, from, to, q.cursor[0] ? q.cursor : NULL};
	respond_page_query(r, request_db(r), &audit_statements[AUDIT_LIST], params, q.limit);
	query_free(&q);
}
