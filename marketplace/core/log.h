/* JSON-lines logging on stderr, one write(2) per line so threads never interleave. */
#ifndef MARKETPLACE_LOG_H
#define MARKETPLACE_LOG_H

#include <jansson.h>
#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

bool log_parse_level(const char *name, enum log_level *out);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);

/* request_id may be NULL for lines that belong to no request. */
void log_msg(enum log_level level, const char *request_id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Logs `fields` (an object; the reference is stolen) with ts, level and msg added. */
void log_fields(enum log_level level, const char *msg, json_t *fields);

#endif
