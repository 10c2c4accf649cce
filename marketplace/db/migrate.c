/* Schema migrations: ordered, checksummed, one transaction each, under a lock. */
#include "migrate.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "log.h"

/* Any constant shared by all instances; "mkt-migr" in ASCII. */
#define MIGRATION_LOCK_KEY "7813316014165893490"

/* Runs sql; false (with the server's message in err) unless it succeeded. */
static bool exec_ok(PGconn *pg, const char *sql, int nparams, const char *const *params, char *err,
		    size_t errlen, PGresult **keep)
{
	PGresult *res = nparams > 0 ? PQexecParams(pg, sql, nparams, NULL, params, NULL, NULL, 0)
				    : PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		snprintf(err, errlen, "%s", PQresultErrorMessage(res));
	if (ok && keep != NULL)
		*keep = res;
	else
		PQclear(res);
	return ok;
}

static void strip_newline(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static bool apply_one(PGconn *pg, const struct embedded_migration *m, const char *checksum,
		      char *err, size_t errlen)
{
	char why[512] = "";
	const char *params[2] = {m->name, checksum};
	if (!exec_ok(pg, "BEGIN", 0, NULL, why, sizeof why, NULL))
		goto fail;
	if (!exec_ok(pg, m->sql, 0, NULL, why, sizeof why, NULL) ||
	    !exec_ok(pg, "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)", 2, params,
		     why, sizeof why, NULL) ||
	    !exec_ok(pg, "COMMIT", 0, NULL, why, sizeof why, NULL)) {
		PQclear(PQexec(pg, "ROLLBACK"));
		goto fail;
	}
	log_msg(LOG_INFO, NULL, "applied migration %s", m->name);
	return true;
fail:
	strip_newline(why);
	snprintf(err, errlen, "migration %s failed: %s", m->name, why);
	return false;
}

static bool apply_pending(PGconn *pg, const struct embedded_migration *migrations, size_t count,
			  char *err, size_t errlen)
{
	PGresult *applied = NULL;
	if (!exec_ok(pg,
		     "CREATE TABLE IF NOT EXISTS schema_migrations ("
		     " version text PRIMARY KEY, checksum text NOT NULL,"
		     " applied_at timestamptz NOT NULL DEFAULT now())",
		     0, NULL, err, errlen, NULL) ||
	    !exec_ok(pg, "SELECT version, checksum FROM schema_migrations", 0, NULL, err, errlen, &applied))
		return false;

	bool ok = true;
	for (size_t i = 0; ok && i < count; i++) {
		char checksum[65];
		if (!sha256_hex(migrations[i].sql, strlen(migrations[i].sql), checksum, 64)) {
			snprintf(err, errlen, "cannot compute a checksum");
			ok = false;
			break;
		}
		int row = -1;
		for (int r = 0; r < PQntuples(applied); r++)
			if (strcmp(PQgetvalue(applied, r, 0), migrations[i].name) == 0)
				row = r;
		if (row < 0) {
			ok = apply_one(pg, &migrations[i], checksum, err, errlen);
		} else if (strcmp(PQgetvalue(applied, row, 1), checksum) != 0) {
			snprintf(err, errlen,
				 "migration %s was changed after it was applied (checksum %s, applied %s); "
				 "add a new migration instead of editing an applied one",
				 migrations[i].name, checksum, PQgetvalue(applied, row, 1));
			ok = false;
		}
	}
	for (int r = 0; ok && r < PQntuples(applied); r++) {
		bool known = false;
		for (size_t i = 0; i < count; i++)
			known = known || strcmp(PQgetvalue(applied, r, 0), migrations[i].name) == 0;
		if (!known)
			log_msg(LOG_WARN, NULL, "the database has migration %s, which this build does not know",
				PQgetvalue(applied, r, 0));
	}
	PQclear(applied);
	return ok;
}

bool migrate_run(const char *conninfo, const struct embedded_migration *migrations, size_t count,
		 char *err, size_t errlen)
{
	PGconn *pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to the database: %s", PQerrorMessage(pg));
		strip_newline(err);
		PQfinish(pg);
		return false;
	}
	PQclear(PQexec(pg, "SET client_min_messages = warning"));
	bool ok = exec_ok(pg, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", 0, NULL, err, errlen, NULL);
	if (ok) {
		ok = apply_pending(pg, migrations, count, err, errlen);
		PQclear(PQexec(pg, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")"));
	}
	if (!ok) /* err is only written on failure */
		strip_newline(err);
	PQfinish(pg);
	return ok;
}
