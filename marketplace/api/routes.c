/*
 * The application's routes, each documented in api-spec/openapi.yaml with
 * the same authentication (a test checks both), and every statement the
 * resource modules run.  A new endpoint is one row here, its handler in its
 * resource's module, and its operation in the spec.
 */
#include "routes.h"

#include "accounts.h"
#include "audit.h"
#include "deals.h"
#include "indicators.h"
#include "listings.h"
#include "matches.h"
#include "moderation.h"
#include "notifications.h"
#include "ops.h"
#include "organizations.h"
#include "reference.h"
#include "reports.h"
#include "saved_searches.h"
#include "st_tasks.h"

#define PUBLIC ROUTE_PUBLIC
#define OPTIONAL ROUTE_OPTIONAL
#define MEMBER ROUTE_MEMBER
#define ADMIN ROUTE_ADMIN

/*
 * Body limits, from the largest valid body: every field at its longest,
 * each character written as a 6-byte JSON escape.  A login is an email
 * (254) and a password (1024); a registration adds a person and an
 * organisation (7,700 characters), a profile edit the organisation.
 */
#define NO_BODY 0
#define LOGIN_BODY (8 * 1024)
#define NOTE_BODY (16 * 1024)
#define PROFILE_BODY (64 * 1024)
/* A listing: description and confidential text of 20,000 characters each, and the rest. */
#define LISTING_BODY (256 * 1024)
/* An interest's or a deal message's text: 5,000 characters. */
#define MESSAGE_BODY (32 * 1024)

static const struct route table[] = {
	{"GET", "/healthz", PUBLIC, ops_healthz, 0, NO_BODY},
	{"GET", "/readyz", PUBLIC, ops_readyz, 0, NO_BODY},
	{"GET", "/metrics", PUBLIC, ops_metrics, 0, NO_BODY},
	{"GET", "/api/v1/openapi.json", PUBLIC, ops_openapi, 0, NO_BODY},
	{"GET", "/api/v1/provinces", PUBLIC, reference_provinces, 0, NO_BODY},
	{"GET", "/api/v1/sectors", PUBLIC, reference_sectors, 0, NO_BODY},
	{"GET", "/api/v1/plan/tasks", PUBLIC, indicators_plan_tasks, 0, NO_BODY},
	{"POST", "/api/v1/auth/register", PUBLIC, accounts_register, ROUTE_IDEMPOTENT, PROFILE_BODY},
	{"POST", "/api/v1/auth/login", PUBLIC, accounts_login, 0, LOGIN_BODY},
	{"POST", "/api/v1/auth/logout", MEMBER, accounts_logout, 0, NO_BODY},
	{"GET", "/api/v1/me", MEMBER, accounts_me, 0, NO_BODY},
	{"GET", "/api/v1/notifications", MEMBER, notifications_list, 0, NO_BODY},
	{"POST", "/api/v1/notifications/{id}/read", MEMBER, notifications_read, 0, NO_BODY},
	{"POST", "/api/v1/notifications/read-all", MEMBER, notifications_read_all, 0, NO_BODY},
	{"GET", "/api/v1/organizations", PUBLIC, organizations_list, 0, NO_BODY},
	{"GET", "/api/v1/organizations/{id}", OPTIONAL, organizations_get, 0, NO_BODY},
	{"PATCH", "/api/v1/organizations/{id}", MEMBER, organizations_update, 0, PROFILE_BODY},
	{"POST", "/api/v1/organizations/{id}/verify", ADMIN, organizations_verify, 0, NOTE_BODY},
	{"GET", "/api/v1/audit", ADMIN, audit_list, 0, NO_BODY},
	{"POST", "/api/v1/listings", MEMBER, listings_create, ROUTE_IDEMPOTENT, LISTING_BODY},
	{"GET", "/api/v1/listings", OPTIONAL, listings_list, 0, NO_BODY},
	{"GET", "/api/v1/listings/changes", PUBLIC, listings_changes, 0, NO_BODY},
	{"GET", "/api/v1/listings/{id}", OPTIONAL, listings_get, 0, NO_BODY},
	{"PATCH", "/api/v1/listings/{id}", MEMBER, listings_update, 0, LISTING_BODY},
	{"DELETE", "/api/v1/listings/{id}", MEMBER, listings_delete, 0, NO_BODY},
	{"POST", "/api/v1/listings/{id}/submit", MEMBER, listings_act, 0, NOTE_BODY},
	{"POST", "/api/v1/listings/{id}/close", MEMBER, listings_act, 0, NOTE_BODY},
	{"POST", "/api/v1/listings/{id}/renew", MEMBER, listings_act, 0, NOTE_BODY},
	{"POST", "/api/v1/listings/{id}/approve", ADMIN, listings_act, 0, NOTE_BODY},
	{"POST", "/api/v1/listings/{id}/reject", ADMIN, listings_act, 0, NOTE_BODY},
	{"POST", "/api/v1/listings/{id}/suspend", ADMIN, listings_act, 0, NOTE_BODY},
	{"POST", "/api/v1/listings/{id}/reinstate", ADMIN, listings_act, 0, NOTE_BODY},
	{"GET", "/api/v1/listings/{id}/matches", OPTIONAL, matches_list, 0, NO_BODY},
	{"GET", "/api/v1/listings/{id}/feedback", MEMBER, deals_feedback, 0, NO_BODY},
	{"POST", "/api/v1/listings/{id}/interests", MEMBER, deals_interest, ROUTE_IDEMPOTENT, MESSAGE_BODY},
	{"GET", "/api/v1/deals", MEMBER, deals_list, 0, NO_BODY},
	{"GET", "/api/v1/deals/{id}", MEMBER, deals_get, 0, NO_BODY},
	{"POST", "/api/v1/deals/{id}/transitions", MEMBER, deals_transition, 0, NOTE_BODY},
	{"POST", "/api/v1/deals/{id}/verify", ADMIN, deals_verify, 0, NOTE_BODY},
	{"GET", "/api/v1/deals/{id}/messages", MEMBER, deals_messages, 0, NO_BODY},
	{"POST", "/api/v1/deals/{id}/messages", MEMBER, deals_message_post, 0, MESSAGE_BODY},
	{"GET", "/api/v1/deals/{id}/events", MEMBER, deals_events, 0, NO_BODY},
	{"GET", "/api/v1/st-tasks", PUBLIC, st_tasks_list, 0, NO_BODY},
	{"POST", "/api/v1/st-tasks", ADMIN, st_tasks_create, ROUTE_IDEMPOTENT, NOTE_BODY},
	{"GET", "/api/v1/st-tasks/{code}", OPTIONAL, st_tasks_get, 0, NO_BODY},
	{"GET", "/api/v1/indicators", PUBLIC, indicators_list, 0, NO_BODY},
	{"GET", "/api/v1/indicators/{code}", OPTIONAL, indicators_get, 0, NO_BODY},
	{"PUT", "/api/v1/indicators/{code}/values/{year}", ADMIN, indicators_set_value, 0, NOTE_BODY},
	{"GET", "/api/v1/reports/summary", ADMIN, reports_summary, 0, NO_BODY},
	{"GET", "/api/v1/moderation/queue", ADMIN, moderation_queue, 0, NO_BODY},
	{"POST", "/api/v1/saved-searches", MEMBER, saved_searches_create, ROUTE_IDEMPOTENT, NOTE_BODY},
	{"GET", "/api/v1/saved-searches", MEMBER, saved_searches_list, 0, NO_BODY},
	{"DELETE", "/api/v1/saved-searches/{id}", MEMBER, saved_searches_delete, 0, NO_BODY},
};

static const struct db_stmt *const statement_sets[] = {
	ops_statements, reference_statements, accounts_statements, notifications_statements,
	organizations_statements, audit_statements, listings_statements, moderation_statements,
	saved_searches_statements, deals_statements, matches_statements,
	st_tasks_statements, indicators_statements, reports_statements, NULL,
};

/* Run by one worker every MARKETPLACE_MAINTENANCE_INTERVAL_MS. */
static const struct db_stmt *const maintenance[] = {
	&listings_statements[LISTINGS_EXPIRE], &listings_statements[LISTINGS_WARN_EXPIRING],
	&deals_statements[DEALS_LAPSE], &deals_statements[DEALS_REMIND], NULL,
};

/* Run by one worker every second. */
static const struct db_stmt *const follow_ups[] = {&matches_statements[MATCHES_FOLLOW_UP], NULL};

static const struct http_app app = {table, sizeof table / sizeof table[0], statement_sets, maintenance, follow_ups,
				    reference_changed};

const struct http_app *routes_app(void) { return &app; }
