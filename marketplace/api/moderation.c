/* GET /moderation/queue: one list, oldest first, over every kind of pending decision. */
#include "moderation.h"

#include "query.h"
#include "request.h"
#include "respond.h"

/* Each item: {type, id, title (a listing's, an organisation's name, a disputed deal's listing's),
 * since, and the listing, the organisation or the deal as an administrator sees it}. */
const struct db_stmt moderation_statements[] = {
	[MODERATION_QUEUE] = {"moderation_queue",
	"SELECT to_char(since AT TIME ZONE 'UTC', " UTC_MICROS "), id, item::text FROM ("
	"  SELECT l.status_at AS since, l.id, jsonb_build_object('type', 'listing', 'id', l.id,"
	"   'title', l.title,"
	"   'since', rfc3339(l.status_at), 'listing', listing_json(l, NULL, true)) AS item"
	"  FROM listings l WHERE l.status = 'pending_review'"
	"   AND ($1::timestamptz IS NULL OR (l.status_at, l.id) > ($1::timestamptz, $2::uuid))"
	"  UNION ALL"
	"  SELECT o.created_at, o.id, jsonb_build_object('type', 'organization', 'id', o.id,"
	"   'title', o.name,"
	"   'since', rfc3339(o.created_at), 'organization', organization_json(o))"
	"  FROM organizations o WHERE o.verified_at IS NULL"
	"   AND ($1::timestamptz IS NULL OR (o.created_at, o.id) > ($1::timestamptz, $2::uuid))"
	"  UNION ALL"
	"  SELECT d.state_at, d.id, jsonb_build_object('type', 'deal', 'id', d.id,"
	"   'title', (SELECT l.title FROM listings l WHERE l.id = d.listing_id),"
	"   'since', rfc3339(d.state_at), 'deal', deal_json(d, NULL, true))"
	"  FROM deals d WHERE d.state = 'disputed'"
	"   AND ($1::timestamptz IS NULL OR (d.state_at, d.id) > ($1::timestamptz, $2::uuid))"
	" ) q ORDER BY since, id LIMIT $3::int",
	3, false},
	{0},
};

void moderation_queue(struct request *r)
{
	struct query q;
	if (!query_parse(r, (const char *const[]){NULL}, &q))
		return;
	const char *time, *id;
	if (query_time_id_cursor(r, &q, &time, &id)) {
		const char *params[3] = {time, id};
		respond_page_query(r, request_db(r), &moderation_statements[MODERATION_QUEUE], params, q.limit);
	}
	query_free(&q);
}
