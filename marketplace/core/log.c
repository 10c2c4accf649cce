/* JSON-lines logging on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int current_level = LOG_INFO;

static const char *const level_names[] = {
	[LOG_DEBUG] = "debug", [LOG_INFO] = "info", [LOG_WARN] = "warn", [LOG_ERROR] = "error",
};

bool log_parse_level(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

void log_set_level(enum log_level level) { atomic_store(&current_level, (int)level); }

bool log_enabled(enum log_level level) { return (int)level >= atomic_load(&current_level); }

static void write_line(json_t *line)
{
	char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (text == NULL)
		return;
	size_t len = strlen(text);
	char *buf = realloc(text, len + 2);
	if (buf == NULL) {
		free(text);
		return;
	}
	buf[len] = '\n';
	/* A short write to stderr has no useful recovery: drop the line. */
	ssize_t written = write(STDERR_FILENO, buf, len + 1);
	(void)written;
	free(buf);
}

void log_fields(enum log_level level, const char *msg, json_t *fields)
{
	if (!log_enabled(level) || fields == NULL) {
		json_decref(fields);
		return;
	}
	struct timespec now;
	struct tm tm;
	char ts[40];
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof ts - n, ".%03ldZ", now.tv_nsec / 1000000);

	json_t *line = json_object();
	if (line != NULL) {
		json_object_set_new(line, "ts", json_string(ts));
		json_object_set_new(line, "level", json_string(level_names[level]));
		json_object_set_new(line, "msg", json_string(msg));
		json_object_update(line, fields);
		write_line(line);
		json_decref(line);
	}
	json_decref(fields);
}

void log_msg(enum log_level level, const char *request_id, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_t *fields = json_object();
	if (fields != NULL && request_id != NULL)
		json_object_set_new(fields, "request_id", json_string(request_id));
	log_fields(level, msg, fields);
}
