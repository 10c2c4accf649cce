/*
 * Prints what the server sends for a named statement, read from the
 * server's own `struct db_stmt` tables (linked from build/libmarketplace_core.a),
 * so the benchmark's pgbench ceilings cannot drift from the handlers:
 *
 *   bench/sql NAME    line 1: "prepared" or "per_call" (plan_per_call), then the
 *                     number of parameters; from line 2: the SQL text
 *   bench/sql         every statement's name, mode and parameter count
 *
 * Exit status 1 when NAME is no statement of the server.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "idempotency.h"
#include "routes.h"

static void list(const struct db_stmt *set, const char *name, const struct db_stmt **found)
{
	for (const struct db_stmt *s = set; s->name != NULL; s++) {
		if (name == NULL)
			printf("%s\t%s\t%d\n", s->name, s->plan_per_call ? "per_call" : "prepared", s->nparams);
		else if (strcmp(s->name, name) == 0 && *found == NULL)
			*found = s;
	}
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;
	const struct db_stmt *found = NULL;
	const struct http_app *app = routes_app();
	/* The dispatcher's own statements, then the handlers'. */
	list(auth_statements, name, &found);
	list(idempotency_statements, name, &found);
	for (const struct db_stmt *const *set = app->statement_sets; *set != NULL; set++)
		list(*set, name, &found);
	if (name == NULL)
		return 0;
	if (found == NULL) {
		fprintf(stderr, "bench/sql: the server has no statement named %s\n", name);
		return 1;
	}
	printf("%s %d\n%s\n", found->plan_per_call ? "per_call" : "prepared", found->nparams, found->sql);
	return 0;
}
