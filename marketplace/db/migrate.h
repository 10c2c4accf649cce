/*
 * Schema migrations compiled into the binary (migrations/NNNN_*.sql).  Runs
 * at start-up, before any event loop, so it uses libpq's blocking calls.
 */
#ifndef MARKETPLACE_MIGRATE_H
#define MARKETPLACE_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "embedded.h"

/*
 * Applies the pending ones of `migrations` (count, in name order), each in
 * its own transaction, under an advisory lock so that concurrent instances
 * take turns.  Refuses when an applied migration's checksum changed.
 * Returns false with a one-line reason in err.
 */
bool migrate_run(const char *conninfo, const struct embedded_migration *migrations, size_t count,
		 char *err, size_t errlen);

#endif
