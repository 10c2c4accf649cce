/*
 * The administrators' moderation queue: what waits for a decision
 * (listings pending review, organisations awaiting verification; the
 * deals issue adds disputed deals), oldest first.
 */
#ifndef MARKETPLACE_MODERATION_H
#define MARKETPLACE_MODERATION_H

#include "db.h"

struct request;

void moderation_queue(struct request *r);

enum { MODERATION_QUEUE };
extern const struct db_stmt moderation_statements[];

#endif
