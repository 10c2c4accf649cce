/* Files compiled into the binary at build time (tools/embed.py). */
#ifndef MARKETPLACE_EMBEDDED_H
#define MARKETPLACE_EMBEDDED_H

#include <stddef.h>

struct embedded_migration {
	const char *name; /* file name, e.g. "0001_extensions.sql"; orders them */
	const char *sql;
};

extern const char embedded_openapi_json[];
extern const size_t embedded_openapi_json_len;
extern const struct embedded_migration embedded_migrations[];
extern const size_t embedded_migrations_count;

#endif
