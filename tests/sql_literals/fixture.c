/*
 * Input for tests/sql_literals/run.sh: what tools/check_sql_literals.py must
 * accept, and what it must report — every line marked REPORTED, and no
 * other.  Never compiled.
 */
#include <libpq-fe.h>
#include <stdio.h>

#include "db.h"

#define KEY "42"
#define PAGE(filter) "SELECT id FROM t WHERE true" filter " LIMIT $1"
#define ROW(name, filter) {name, PAGE(filter), 1, false}

static const char count_sql[] = "SELECT count(*) FROM t";
static const char *const steps[] = {"BEGIN", "COMMIT", NULL};

const struct db_stmt good_statements[] = {
	{"plain", "SELECT 1", 0, false},
	{"joined", "SELECT pg_advisory_lock(" KEY ")", 0, false},
	ROW("paged", " AND a"),
	{NULL, NULL, 0, false},
};

static char runtime_sql[64];
const struct db_stmt bad_statements[] = {
	{"from_a_buffer", runtime_sql, 0, false}, /* REPORTED */
	{NULL, NULL, 0, false},
};

struct db_stmt mutable_statement = {"mutable", "SELECT 1", 0, false}; /* REPORTED */

static PGresult *forward(PGconn *pg, const char *sql) { return PQexec(pg, sql); }

void accepted(PGconn *pg, const struct db_stmt *s, int k, int commit)
{
	PQclear(PQexec(pg, "SELECT 1"));
	PQclear(PQexec(pg, count_sql));
	PQclear(PQexec(pg, steps[k]));
	PQclear(PQexec(pg, commit ? "COMMIT" : "ROLLBACK"));
	PQclear(PQexecParams(pg, s->sql, 1, NULL, NULL, NULL, NULL, 0));
	PQclear(PQexecPrepared(pg, s->name, 0, NULL, NULL, NULL, 0));
	PQclear(forward(pg, "SELECT 2"));
	PQclear(forward(pg, PAGE(" AND b")));
}

void refused(PGconn *pg, const char *table, const char *user_text)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT * FROM %s", table);
	PQclear(PQexec(pg, sql)); /* REPORTED */
	PQclear(forward(pg, sql)); /* REPORTED */
	PQclear(PQexec(pg, user_text ? user_text : "SELECT 1")); /* REPORTED */
	PQsendPrepare(pg, table, "SELECT 1", 0, NULL); /* REPORTED */
	PQclear(PQexecPrepared(pg, user_text, 0, NULL, NULL, NULL, 0)); /* REPORTED */
}

void assigns(struct db_stmt *s, char *text)
{
	s->sql = text; /* REPORTED */
}
