/*
 * Deals (DESIGN.md section 4): an organisation's interest in another's
 * published listing, carried through negotiation and a two-sided
 * agreement to a contract, its completion and an administrator's
 * verification.  Every move is a row of the transition table of migration
 * 0008, which the database enforces and deal_transition() reads; what a
 * caller may see of a deal is decided once, by deal_json() in SQL.  Only
 * the two parties and administrators see a deal.
 */
#ifndef MARKETPLACE_DEALS_H
#define MARKETPLACE_DEALS_H

#include "db.h"
#include "validate.h"

struct request;

/* POST /listings/{id}/interests */
void deals_interest(struct request *r);
/* GET /listings/{id}/feedback: the reasons a listing's deals were declined or withdrawn. */
void deals_feedback(struct request *r);
void deals_list(struct request *r);
void deals_get(struct request *r);
void deals_transition(struct request *r);
void deals_verify(struct request *r);
void deals_messages(struct request *r);
void deals_message_post(struct request *r);
void deals_events(struct request *r);

/* A deal's states (migration 0008), NULL-terminated. */
extern const char *const deal_states[];

/*
 * The bodies' field rules, which the handlers apply with validate_fields
 * (FIELDS_CREATE) and nothing else: an interest (POST
 * /listings/{id}/interests), a transition (POST /deals/{id}/transitions)
 * and a message (POST /deals/{id}/messages).
 */
extern const struct field_rule deal_interest_fields[];
extern const struct field_rule deal_transition_fields[];
extern const struct field_rule deal_message_fields[];

enum {
	DEALS_CREATE,
	DEALS_LIST,
	DEALS_GET,
	DEALS_VISIBLE,
	DEALS_TRANSITION,
	DEALS_VERIFY,
	DEALS_MESSAGES,
	DEALS_MESSAGE_POST,
	DEALS_EVENTS,
	DEALS_FEEDBACK,
	DEALS_LAPSE,
	DEALS_REMIND,
};
extern const struct db_stmt deals_statements[];

#endif
