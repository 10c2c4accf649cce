/* The application's routes (each documented in api-spec/openapi.yaml) and statements. */
#include "routes.h"

#include "accounts.h"
#include "audit.h"
#include "auth.h"
#include "ops.h"
#include "organizations.h"
#include "reference.h"

static const struct route table[] = {
	{"GET", "/healthz", ops_healthz},
	{"GET", "/readyz", ops_readyz},
	{"GET", "/metrics", ops_metrics},
	{"GET", "/api/v1/openapi.json", ops_openapi},
	{"GET", "/api/v1/provinces", reference_provinces},
	{"GET", "/api/v1/sectors", reference_sectors},
	{"GET", "/api/v1/plan/tasks", reference_plan_tasks},
	{"POST", "/api/v1/auth/register", accounts_register},
	{"POST", "/api/v1/auth/login", accounts_login},
	{"POST", "/api/v1/auth/logout", accounts_logout},
	{"GET", "/api/v1/me", accounts_me},
	{"GET", "/api/v1/organizations", organizations_list},
	{"GET", "/api/v1/organizations/{id}", organizations_get},
	{"PATCH", "/api/v1/organizations/{id}", organizations_update},
	{"POST", "/api/v1/organizations/{id}/verify", organizations_verify},
	{"GET", "/api/v1/audit", audit_list},
};

static const struct db_stmt *const statements[] = {
	&ops_ping_stmt,
	&reference_provinces_stmt,
	&reference_sectors_stmt,
	&reference_plan_tasks_stmt,
	&auth_identity_stmt,
	&accounts_register_stmt,
	&accounts_login_lookup_stmt,
	&accounts_login_failed_stmt,
	&accounts_login_ok_stmt,
	&accounts_logout_stmt,
	&accounts_me_stmt,
	&organizations_list_stmt,
	&organizations_get_stmt,
	&organizations_update_stmt,
	&organizations_verify_stmt,
	&audit_list_stmt,
};

const struct route *routes_table(size_t *count)
{
	*count = sizeof table / sizeof table[0];
	return table;
}

const struct db_stmt *const *routes_statements(size_t *count)
{
	*count = sizeof statements / sizeof statements[0];
	return statements;
}
