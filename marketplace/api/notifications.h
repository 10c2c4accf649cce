/*
 * The caller's notifications (DESIGN.md section 4): what happened to their
 * organisation and listings, newest first, and marking them read.  Rows are
 * written by the statements of the events themselves, in the event's
 * transaction (notify_organization() in migration 0007); this module only
 * reads them and sets read_at.
 */
#ifndef MARKETPLACE_NOTIFICATIONS_H
#define MARKETPLACE_NOTIFICATIONS_H

#include "db.h"

struct request;

void notifications_list(struct request *r);
void notifications_read(struct request *r);
void notifications_read_all(struct request *r);

/* Statements, by index; the set ends with an entry without a name. */
enum {
	NOTIFICATIONS_LIST, NOTIFICATIONS_LIST_UNREAD, NOTIFICATIONS_LIST_READ, NOTIFICATIONS_READ,
	NOTIFICATIONS_READ_ALL,
};
extern const struct db_stmt notifications_statements[];

#endif
