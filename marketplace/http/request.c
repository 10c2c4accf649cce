/* One HTTP exchange: id, client address, reply, access log and metrics. */
#include "request.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include "config.h"
#include "log.h"
#include "proxy.h"
#include "text.h"
#include "metrics.h"
#include "worker.h"

static const char *method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	}
	return "UNKNOWN";
}

/* A client's X-Request-Id is kept when it is short and harmless in logs. */
static bool acceptable_request_id(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/*
 * A random (version 4) UUID.  Ids only correlate logs, so a per-thread
 * xorshift generator seeded from OpenSSL serves, without a call into the
 * CSPRNG on every request.
 */
static void new_request_id(char out[37])
{
	static _Thread_local uint64_t state;
	while (state == 0)
		if (RAND_bytes((unsigned char *)&state, sizeof state) != 1)
			state = (uint64_t)(uintptr_t)&state ^ (uint64_t)time(NULL);
	unsigned char b[16];
	for (int half = 0; half < 2; half++) {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		memcpy(b + 8 * half, &state, 8);
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	static const char hex[] = "0123456789abcdef";
	char *p = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[b[i] >> 4];
		*p++ = hex[b[i] & 15];
	}
	*p = '\0';
}

#define XFF_MAX 4096

/*
 * Every X-Forwarded-For line of ev joined with ", " in joined, or NULL when
 * there is none.  Too long to hold: "", which names no address, so the
 * walk stops at the trusted peer rather than believe a partial list.
 */
static const char *forwarded_for(struct evhttp_request *ev, char joined[XFF_MAX])
{
	size_t len = 0;
	struct evkeyval *h;
	TAILQ_FOREACH(h, evhttp_request_get_input_headers(ev), next) {
		if (strcasecmp(h->key, "X-Forwarded-For") != 0)
			continue;
		size_t n = strlen(h->value);
		if (len + n + 2 >= XFF_MAX)
			return "";
		if (len > 0) {
			memcpy(joined + len, ", ", 2);
			len += 2;
		}
		memcpy(joined + len, h->value, n);
		len += n;
	}
	if (len == 0)
		return NULL;
	joined[len] = '\0';
	return joined;
}

struct request *request_new(struct worker *w, struct evhttp_request *ev)
{
	struct request *r = calloc(1, sizeof *r);
	if (r == NULL) {
		evhttp_send_error(ev, 503, "Service Unavailable");
		return NULL;
	}
	r->ev = ev;
	r->worker = w;
	r->route_index = -1;
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	w->inflight++;

	const char *given = evhttp_find_header(evhttp_request_get_input_headers(ev), "X-Request-Id");
	if (given != NULL && acceptable_request_id(given))
		strcpy(r->id, given);
	else
		new_request_id(r->id);

	char *peer = NULL;
	ev_uint16_t port = 0;
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &peer, &port);
	if (peer == NULL) {
		snprintf(r->client_address, sizeof r->client_address, "unknown");
	} else if (!proxy_is_trusted(&w->config->trusted_proxies, peer)) {
		snprintf(r->client_address, sizeof r->client_address, "%s", peer);
	} else {
		char forwarded[XFF_MAX];
		proxy_client_address(&w->config->trusted_proxies, peer, forwarded_for(ev, forwarded),
				     r->client_address, sizeof r->client_address);
	}
	return r;
}

const char *http_status_title(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : status >= 300 ? "Redirection" : "OK";
	}
}

const char *request_id(const struct request *r) { return r->id; }

const char *request_org(const struct request *r)
{
	return r->who.organization_id[0] ? r->who.organization_id : NULL;
}

const char *request_admin(const struct request *r) { return r->who.admin ? "true" : "false"; }

const char *request_header(const struct request *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->ev), name);
}

void request_add_header(struct request *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), name, value);
}

struct db_pool *request_db(const struct request *r) { return r->worker->db; }

struct db_pool *request_db_read(const struct request *r) { return r->worker->db_read; }

const char *request_method_name(const struct request *r)
{
	return method_name(evhttp_request_get_command(r->ev));
}

const char *request_path(const struct request *r)
{
	return evhttp_uri_get_path(evhttp_request_get_evhttp_uri(r->ev));
}

const char *request_body(struct request *r, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	*len = evbuffer_get_length(in);
	const char *text = *len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
	if (text == NULL) {
		*len = 0;
		return "";
	}
	return text;
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void log_access(const struct request *r, int status, size_t bytes, double seconds)
{
	if (!log_enabled(LOG_INFO))
		return;
	const char *path = request_path(r);
	char safe_path[2048]; /* the client's bytes: not always UTF-8 */
	json_t *fields = json_pack("{s:s, s:s, s:s?, s:s?, s:i, s:I, s:f, s:s}", "request_id", r->id,
				   "method", request_method_name(r), "path",
				   path != NULL ? utf8_sanitize(path, safe_path, sizeof safe_path) : NULL, "route",
				   r->route != NULL ? r->route->pattern : NULL, "status", status,
				   "bytes", (json_int_t)bytes, "duration_ms", seconds * 1000.0,
				   "remote", r->client_address);
	log_fields(LOG_INFO, "request", fields);
}

/* Sends the reply whose body (len bytes) is in the output buffer, with the headers every reply carries; logs and counts it. Frees r. */
static void send_reply(struct request *r, int status, const char *content_type, size_t len)
{
	struct evkeyvalq *headers = evhttp_request_get_output_headers(r->ev);
	/* To HEAD, evhttp would write the body too, without its length: GET's headers, no body. */
	if (evhttp_request_get_command(r->ev) == EVHTTP_REQ_HEAD) {
		struct evbuffer *out = evhttp_request_get_output_buffer(r->ev);
		if (status != 204 && status != 304) {
			char length[24];
			snprintf(length, sizeof length, "%zu", len);
			evhttp_add_header(headers, "Content-Length", length);
		}
		evbuffer_drain(out, evbuffer_get_length(out));
		len = 0;
	}
	if (content_type != NULL)
		evhttp_add_header(headers, "Content-Type", content_type);
	evhttp_add_header(headers, "X-Request-Id", r->id);
	/* Browsers must take a JSON answer for JSON, whatever it contains. */
	evhttp_add_header(headers, "X-Content-Type-Options", "nosniff");
	/* What a signed-in caller reads may be theirs alone: no cache keeps it. */
	if (r->who.authenticated && evhttp_find_header(headers, "Cache-Control") == NULL)
		evhttp_add_header(headers, "Cache-Control", "no-store");
	if (r->worker->config->tls_cert != NULL)
		evhttp_add_header(headers, "Strict-Transport-Security", "max-age=31536000");

	double seconds = seconds_since(&r->started);
	metrics_record_request(r->worker->metrics, r->route_index, status, seconds);
	log_access(r, status, len, seconds);
	evhttp_send_reply(r->ev, status, http_status_title(status), NULL);
	r->worker->inflight--;
	free(r);
}

void request_reply_data(struct request *r, int status, const char *content_type,
			const char *data, size_t len)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(r->ev);
	if (evbuffer_add(out, data, len) != 0) {
		evbuffer_drain(out, evbuffer_get_length(out));
		status = 503;
		len = 0;
	}
	send_reply(r, status, content_type, len);
}

void request_reply_static(struct request *r, int status, const char *content_type,
			  const void *data, size_t len)
{
	if (evbuffer_add_reference(evhttp_request_get_output_buffer(r->ev), data, len, NULL, NULL) != 0) {
		status = 503;
		len = 0;
	}
	send_reply(r, status, content_type, len);
}

void request_reply_json(struct request *r, int status, const char *content_type, json_t *doc)
{
	char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (text == NULL) {
		static const char oom[] = "{\"type\":\"about:blank\",\"title\":\"Service Unavailable\","
					  "\"status\":503,\"detail\":\"Out of memory.\"}";
		request_add_header(r, "Retry-After", "1");
		request_reply_data(r, 503, "application/problem+json", oom, sizeof oom - 1);
		return;
	}
	request_reply_data(r, status, content_type, text, strlen(text));
	free(text);
}
