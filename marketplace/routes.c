/* The application's routes (each documented in api-spec/openapi.yaml) and statements. */
#include "routes.h"

#include "ops.h"
#include "reference.h"

static const struct route table[] = {
	{"GET", "/healthz", ops_healthz},
	{"GET", "/readyz", ops_readyz},
	{"GET", "/metrics", ops_metrics},
	{"GET", "/api/v1/openapi.json", ops_openapi},
	{"GET", "/api/v1/provinces", reference_provinces},
	{"GET", "/api/v1/sectors", reference_sectors},
	{"GET", "/api/v1/plan/tasks", reference_plan_tasks},
};

static const struct db_stmt *const statements[] = {
	&ops_ping_stmt,
	&reference_provinces_stmt,
	&reference_sectors_stmt,
	&reference_plan_tasks_stmt,
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
