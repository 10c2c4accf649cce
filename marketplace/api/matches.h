/*
 * Matching (DESIGN.md section 4, "the supply-demand connection"): the
 * published listings that complement one (offer and demand, technology
 * with technology, equipment with equipment), scored 0-1 with the reasons
 * in words.  The score is listing_matches() of migration 0008, which the
 * README explains; the notifications of new matches follow a
 * publication's commit (publications_follow_up, run by the follow-up
 * timer).
 */
#ifndef MARKETPLACE_MATCHES_H
#define MARKETPLACE_MATCHES_H

#include "db.h"

struct request;

/* GET /listings/{id}/matches?limit= */
void matches_list(struct request *r);

enum { MATCHES_LIST, MATCHES_FOLLOW_UP };
extern const struct db_stmt matches_statements[];

#endif
