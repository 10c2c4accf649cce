/* GET /listings/{id}/matches: one page of scored, explained matches. */
#include "matches.h"

#include <stdio.h>
#include <string.h>

#include "listings.h"
#include "problem.h"
#include "query.h"
#include "request.h"
#include "respond.h"

const struct db_stmt matches_statements[] = {
	/*
	 * $1/$2 the listing (id or ref), $3 and $4 who is looking, $5 how
	 * many.  No row when the caller cannot see the listing.
	 */
	[MATCHES_LIST] = {"matches_list",
	"SELECT jsonb_build_object('next_cursor', NULL, 'items', coalesce((SELECT jsonb_agg(jsonb_build_object("
	"   'listing', listing_json(c, $3::uuid, $4::bool), 'score', m.score, 'reasons', to_jsonb(m.reasons),"
	"   'components', m.components) ORDER BY m.n)"
	"  FROM listing_matches(s, $5::int) WITH ORDINALITY AS m (id, score, components, reasons, n)"
	"  JOIN listings c ON c.id = m.id), '[]'))::text"
	" FROM listings s WHERE (s.id = $1::uuid OR s.ref = $2) AND listing_visible(s, $3::uuid, $4::bool)",
	5, false},

	/* What follows a publication once it has committed: saved searches met, new matches. */
	[MATCHES_FOLLOW_UP] = {"matches_follow_up", "SELECT publications_follow_up(50)", 0, false},
	{0},
};

#define MATCHES_DEFAULT 10
#define MATCHES_MAX 50

void matches_list(struct request *r)
{
	const char *id, *ref;
	char ref_buf[32], limit[16];
	struct query q;
	if (!listings_key(r, &id, &ref, ref_buf) || !query_parse(r, (const char *const[]){NULL}, &q))
		return;
	if (q.cursor[0]) {
		problem_reply(r, 400, "Matches are one page: ask for more with limit (at most 50) instead of a cursor.");
	} else if (q.limit > MATCHES_MAX) {
		problem_reply(r, 400, "limit must be a whole number from 1 to 50.");
	} else {
		snprintf(limit, sizeof limit, "%d", query_get(&q, "limit") != NULL ? q.limit : MATCHES_DEFAULT);
		const char *params[5] = {id, ref, request_org(r), request_admin(r), limit};
		db_query(request_db_read(r), &matches_statements[MATCHES_LIST], params, respond_json_row, r);
	}
	query_free(&q);
}
