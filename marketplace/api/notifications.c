/* Notifications: the caller's own, listed newest first and marked read. */
#include "notifications.h"

#include <string.h>

#include "input.h"
#include "problem.h"
#include "query.h"
#include "request.h"
#include "respond.h"
#include "validate.h"
#include "write.h"

/*
 * One page of the caller's ($1) notifications, keyset on (created_at, id):
 * the notifications an event writes share its transaction's created_at, so
 * the id breaks the tie.  One statement per filter rather than a parameter
 * for it, so that the unread list's condition is literally the predicate of
 * the partial index notifications_unread_idx and the planner can use it.
 */
#define LIST(name, filter) {name, \
	"SELECT to_char(created_at AT TIME ZONE 'UTC', " UTC_MICROS "), id, notification_json(n)::text" \
	" FROM notifications n WHERE user_id = $1::uuid" filter \
	"  AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))" \
	" ORDER BY created_at DESC, id DESC LIMIT $4::int", 4, false}

const struct db_stmt notifications_statements[] = {
	[NOTIFICATIONS_LIST] = LIST("notifications_list", ""),
	[NOTIFICATIONS_LIST_UNREAD] = LIST("notifications_list_unread", " AND read_at IS NULL"),
	[NOTIFICATIONS_LIST_READ] = LIST("notifications_list_read", " AND read_at IS NOT NULL"),

	/*
	 * coalesce keeps the first read_at, so marking twice changes nothing
	 * the caller sees; and two concurrent calls both find the row (the
	 * second re-reads it after the first commits), where a
	 * `WHERE read_at IS NULL` would leave the second with no row: a 404.
	 * Someone else's notification is no row either: 404, as for an unknown id.
	 */
	[NOTIFICATIONS_READ] = {"notifications_read",
	"UPDATE notifications n SET read_at = coalesce(n.read_at, now())"
	" WHERE n.id = $1::uuid AND n.user_id = $2::uuid RETURNING notification_json(n)::text",
	2, false},

	/* Always one row, the count of those this call marked. */
	[NOTIFICATIONS_READ_ALL] = {"notifications_read_all",
	"WITH marked AS (UPDATE notifications SET read_at = now()"
	"  WHERE user_id = $1::uuid AND read_at IS NULL RETURNING 1)"
	" SELECT json_build_object('marked_read', count(*))::text FROM marked",
	1, false},
	{0},
};

static const char not_found[] = "No such notification, or it is not yours.";

/* ---------------------------------------------------------------- list */

void notifications_list(struct request *r)
{
	static const char *const allowed[] = {"unread", NULL};
	struct query q;
	if (!query_parse(r, allowed, &q))
		return;
	const char *unread = query_get(&q, "unread");
	int which = unread == NULL ? NOTIFICATIONS_LIST
		  : strcmp(unread, "true") == 0 ? NOTIFICATIONS_LIST_UNREAD
		  : strcmp(unread, "false") == 0 ? NOTIFICATIONS_LIST_READ : -1;
	char *sep = q.cursor[0] ? strchr(q.cursor, '|') : NULL;
	if (sep != NULL)
		*sep = '\0';
	/* The time half of a cursor is checked by PostgreSQL: a malformed one is a data exception, 400. */
	if (which < 0 || (q.cursor[0] && (sep == NULL || !valid_uuid(sep + 1)))) {
		query_free(&q);
		problem_reply(r, 400, which < 0 ? "unread must be true or false."
					       : "cursor is not one this server handed out.");
		return;
	}
	const char *params[4] = {r->who.user_id, q.cursor[0] ? q.cursor : NULL, sep ? sep + 1 : NULL};
	request_add_header(r, "Cache-Control", "no-store");
	/* The primary, not the replica: a list read just after marking must show it read. */
	respond_page_query(r, request_db(r), &notifications_statements[which], params, q.limit);
	query_free(&q);
}

/* ---------------------------------------------------------------- read */

static const struct write read_write = {
	&notifications_statements[NOTIFICATIONS_READ], NULL, 200, 404, not_found, not_found,
};

static const struct write read_all_write = {
	&notifications_statements[NOTIFICATIONS_READ_ALL], NULL, 200, 404, not_found, not_found,
};

void notifications_read(struct request *r)
{
	const char *id;
	if (!input_uuid_param(r, "id", not_found, &id))
		return;
	const char *params[2] = {id, r->who.user_id};
	request_add_header(r, "Cache-Control", "no-store");
	write_run(r, &read_write, params);
}

void notifications_read_all(struct request *r)
{
	const char *params[1] = {r->who.user_id};
	request_add_header(r, "Cache-Control", "no-store");
	write_run(r, &read_all_write, params);
}
