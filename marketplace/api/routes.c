/*
 * The application's routes, each documented in api-spec/openapi.yaml with
 * the same authentication (a test checks both), and every statement the
 * resource modules run.  A new endpoint is one row here, its handler in its
 * resource's module, and its operation in the spec.
 */
#include "routes.h"

#include "accounts.h"
#include "audit.h"
#include "ops.h"
#include "organizations.h"
#include "reference.h"

#define PUBLIC ROUTE_PUBLIC
#define OPTIONAL ROUTE_OPTIONAL
#define MEMBER ROUTE_MEMBER
#define ADMIN ROUTE_ADMIN

static const struct route table[] = {
	{"GET", "/healthz", PUBLIC, ops_healthz, 0},
	{"GET", "/readyz", PUBLIC, ops_readyz, 0},
	{"GET", "/metrics", PUBLIC, ops_metrics, 0},
	{"GET", "/api/v1/openapi.json", PUBLIC, ops_openapi, 0},
	{"GET", "/api/v1/provinces", PUBLIC, reference_provinces, 0},
	{"GET", "/api/v1/sectors", PUBLIC, reference_sectors, 0},
	{"GET", "/api/v1/plan/tasks", PUBLIC, reference_plan_tasks, 0},
	{"POST", "/api/v1/auth/register", PUBLIC, accounts_register, ROUTE_IDEMPOTENT},
	{"POST", "/api/v1/auth/login", PUBLIC, accounts_login, 0},
	{"POST", "/api/v1/auth/logout", MEMBER, accounts_logout, 0},
	{"GET", "/api/v1/me", MEMBER, accounts_me, 0},
	{"GET", "/api/v1/organizations", PUBLIC, organizations_list, 0},
	{"GET", "/api/v1/organizations/{id}", OPTIONAL, organizations_get, 0},
	{"PATCH", "/api/v1/organizations/{id}", MEMBER, organizations_update, 0},
	{"POST", "/api/v1/organizations/{id}/verify", ADMIN, organizations_verify, 0},
	{"GET", "/api/v1/audit", ADMIN, audit_list, 0},
};

static const struct db_stmt *const statement_sets[] = {
	ops_statements, reference_statements, accounts_statements, organizations_statements,
	audit_statements, NULL,
};

static const struct http_app app = {table, sizeof table / sizeof table[0], statement_sets};

const struct http_app *routes_app(void) { return &app; }
