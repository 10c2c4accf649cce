/* Per-connection request deadline, strict framing, and rewriting of evhttp's own error pages. */
#include "conn_guard.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "framing.h"
#include "log.h"
#include "problem.h"
#include "request.h"

struct conn_guard {
	const struct conn_guard_config *cfg;
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	struct event *deadline;
	int fd;
	bool dispatched;     /* one of our handlers owns the current request */
	bool rewriting;      /* evhttp is writing its own error page: replace it */
	bool in_rewrite;     /* our own edit of the output buffer is under way */
	char *replacement;   /* the problem+json response sent instead */
	size_t replacement_len;
	struct framing framing;  /* every byte evhttp will parse, checked first */
	bool framing_editing;    /* our own edit of the input buffer is under way */
	bool framing_drop;       /* the refusal could not be queued: drop all input */
};

/*
 * Guards by socket: an fd names one open connection at a time, and the guard
 * leaves the table (in the close callback) before evhttp closes the socket.
 * Each slot is only touched by the thread that owns that connection.
 */
static const struct conn_guard_config *active_cfg; /* same for every worker */
static struct conn_guard **guards;
static size_t guards_size;

/* Connections of this thread whose request is being handled or its reply written. */
static _Thread_local long busy_connections;

static void set_dispatched(struct conn_guard *g, bool dispatched)
{
	if (g->dispatched != dispatched)
		busy_connections += dispatched ? 1 : -1;
	g->dispatched = dispatched;
}

long conn_guard_busy(void) { return busy_connections; }

bool conn_guard_init(void)
{
	struct rlimit rl;
	size_t n = 65536;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > n)
		n = rl.rlim_cur > (1u << 20) ? (1u << 20) : (size_t)rl.rlim_cur;
	guards = calloc(n, sizeof *guards);
	guards_size = guards != NULL ? n : 0;
	return guards != NULL;
}

void conn_guard_cleanup(void)
{
	free(guards);
	guards = NULL;
	guards_size = 0;
}

static void arm_deadline(struct conn_guard *g)
{
	struct timeval tv = {g->cfg->header_timeout_ms / 1000, (g->cfg->header_timeout_ms % 1000) * 1000};
	event_add(g->deadline, &tv);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct conn_guard *g = arg;
	if (g->dispatched)
		return;
	log_msg(LOG_INFO, NULL, "closing connection: no complete request within %d ms",
		g->cfg->header_timeout_ms);
	evhttp_connection_free(g->evcon); /* runs on_close, which frees g */
}

static void on_output(struct evbuffer *out, const struct evbuffer_cb_info *info, void *arg);
static void on_input_framing(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg);

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	struct conn_guard *g = arg;
	set_dispatched(g, false);
	event_free(g->deadline);
	evbuffer_remove_cb(bufferevent_get_output(g->bev), on_output, g);
	evbuffer_remove_cb(bufferevent_get_input(g->bev), on_input_framing, g);
	if (g->fd >= 0 && (size_t)g->fd < guards_size && guards[g->fd] == g)
		guards[g->fd] = NULL;
	free(g->replacement);
	free(g);
}

/* Builds the problem+json response that stands in for evhttp's page; detail NULL: the status's own. */
static bool build_replacement(struct conn_guard *g, int status, const char *detail)
{
	switch (detail != NULL ? 0 : status) {
	case 0:
		break;
	case 413:
		detail = "The request's headers or body exceed the server's limits (body at most 1 MiB).";
		break;
	case 501:
		detail = "The request method is not supported.";
		break;
	default:
		detail = "The request could not be parsed as HTTP.";
		break;
	}
	json_t *p = problem_new(status, detail, NULL);
	char *body = p != NULL ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	if (body == NULL)
		return false;
	size_t body_len = strlen(body);
	size_t cap = body_len + 256;
	g->replacement = malloc(cap);
	if (g->replacement != NULL) {
		int head = snprintf(g->replacement, cap,
				    "HTTP/1.1 %d %s\r\nContent-Type: application/problem+json\r\n"
				    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
				    status, http_status_title(status), body_len);
		memcpy(g->replacement + head, body, body_len);
		g->replacement_len = (size_t)head + body_len;
	}
	free(body);
	return g->replacement != NULL;
}

/*
 * Output written while none of our handlers owns a request can only be
 * evhttp's own answer.  An error page is replaced, piece by piece as evhttp
 * adds it, so that the buffer always holds exactly our problem+json reply.
 */
static void on_output(struct evbuffer *out, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn_guard *g = arg;
	if (g->dispatched || g->in_rewrite || info->n_added == 0)
		return;
	if (!g->rewriting) {
		int minor, status;
		const char *detail = NULL;
		unsigned char *head = evbuffer_pullup(out, 12);
		if (head == NULL || sscanf((const char *)head, "HTTP/1.%d %3d", &minor, &status) != 2)
			return;
		/* evhttp's 400 for the line that stands in for a refused head (refuse_framing). */
		if (status == 400 && g->framing.reason != NULL) {
			status = g->framing.status;
			detail = g->framing.reason;
		}
		if (status < 400 || !build_replacement(g, status, detail))
			return; /* e.g. "100 Continue" */
		g->rewriting = true;
	}
	g->in_rewrite = true;
	/* Once a socket bufferevent has written, it keeps its output's start frozen: thaw it for this. */
	size_t len = evbuffer_get_length(out);
	if (evbuffer_drain(out, len) != 0) {
		evbuffer_unfreeze(out, 1);
		if (evbuffer_drain(out, len) != 0)
			log_msg(LOG_WARN, NULL, "cannot replace evhttp's error page");
		evbuffer_freeze(out, 1);
	}
	if (evbuffer_add(out, g->replacement, g->replacement_len) != 0)
		log_msg(LOG_WARN, NULL, "out of memory replacing evhttp's error page");
	g->in_rewrite = false;
}

/*
 * Strict framing (framing.h).  Every byte the connection receives is fed to
 * the checker as it is added to the input buffer, before evhttp's read
 * callback parses it: evbuffer callbacks run inside the read, bufferevent
 * callbacks after it.  evhttp only ever consumes complete lines and the
 * bodies the checker has passed over, so the bytes of a line being checked
 * are still in the buffer, at its end.
 */

/*
 * A head is refused: keep the bytes before its line (requests already
 * accepted, and lines of this head evhttp may have parsed), and put in
 * place of the rest a line evhttp cannot parse, neither as a request line
 * nor as a header.  evhttp answers the requests before it, then fails on it
 * with its 400, which on_output replaces with the refusal's problem and
 * "Connection: close"; nothing after it is ever parsed.
 */
static void refuse_framing(struct conn_guard *g, struct evbuffer *in, size_t keep)
{
	static const char unparsable[] = "\x01\r\n";
	log_msg(LOG_INFO, NULL, "refusing a request (%d): %s", g->framing.status, g->framing.reason);
	struct evbuffer *kept = evbuffer_new();
	g->framing_editing = true;
	bool queued = kept != NULL && evbuffer_remove_buffer(in, kept, keep) == (int)keep &&
		      evbuffer_drain(in, evbuffer_get_length(in)) == 0 && evbuffer_add_buffer(in, kept) == 0 &&
		      evbuffer_add(in, unparsable, sizeof unparsable - 1) == 0;
	if (!queued) {
		/* Out of memory: evhttp must still never see the refused bytes; the deadline closes. */
		log_msg(LOG_WARN, NULL, "out of memory refusing a request: dropping its connection's input");
		g->framing_drop = true;
		evbuffer_drain(in, evbuffer_get_length(in));
	}
	g->framing_editing = false;
	if (kept != NULL)
		evbuffer_free(kept);
}

static void on_input_framing(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn_guard *g = arg;
	if (g->framing_editing || info->n_added == 0)
		return;
	size_t len = evbuffer_get_length(in);
	if (g->framing_drop) {
		evbuffer_drain(in, len);
		return;
	}
	size_t start = info->n_added < len ? len - info->n_added : 0, at = start;
	uint64_t before = g->framing.offset;
	struct evbuffer_ptr p;
	enum framing_verdict v = FRAMING_MORE;
	if (evbuffer_ptr_set(in, &p, start, EVBUFFER_PTR_SET) != 0)
		return;
	while (at < len && v != FRAMING_REFUSED) {
		struct evbuffer_iovec vec;
		if (evbuffer_peek(in, len - at, &p, &vec, 1) < 1)
			return;
		size_t n = vec.iov_len < len - at ? vec.iov_len : len - at, used;
		v = framing_feed(&g->framing, vec.iov_base, n, &used);
		at += used;
		if (evbuffer_ptr_set(in, &p, used, EVBUFFER_PTR_ADD) != 0 && at < len)
			return;
	}
	if (v != FRAMING_REFUSED)
		return;
	/* Where the refused line starts in the buffer: it may have begun in bytes added earlier. */
	int64_t keep = (int64_t)start + ((int64_t)g->framing.line_start - (int64_t)before);
	refuse_framing(g, in, keep > 0 ? (size_t)keep : 0);
}

/* Checks, from now on, every byte the connection receives; those already received first. */
static void framing_attach(struct conn_guard *g, struct evbuffer *in)
{
	framing_init(&g->framing, g->cfg->max_header_bytes);
	if (evbuffer_add_cb(in, on_input_framing, g) == NULL) {
		/* Unchecked bytes must not reach evhttp: none will, and the deadline closes at once. */
		log_msg(LOG_WARN, NULL, "out of memory: closing a connection whose framing cannot be checked");
		g->framing_drop = true;
		evbuffer_drain(in, evbuffer_get_length(in));
		event_active(g->deadline, EV_TIMEOUT, 1);
		return;
	}
	struct evbuffer_cb_info all = {.orig_size = 0, .n_added = evbuffer_get_length(in), .n_deleted = 0};
	on_input_framing(in, &all, g);
}

/* First bytes of a connection: evhttp has set itself up on the bufferevent by now. */
static void on_first_input(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
	struct bufferevent *bev = arg;
	if (info->n_added == 0)
		return;
	evbuffer_remove_cb(in, on_first_input, arg);

	/* evhttp registers its connection as the bufferevent's callback argument. */
	void *cbarg = NULL;
	bufferevent_getcb(bev, NULL, NULL, NULL, &cbarg);
	int fd = (int)bufferevent_getfd(bev);
	if (cbarg == NULL || fd < 0 || (size_t)fd >= guards_size)
		return;
	struct conn_guard *g = calloc(1, sizeof *g);
	if (g == NULL)
		return;
	g->cfg = active_cfg;
	g->evcon = cbarg;
	g->bev = bev;
	g->fd = fd;
	g->deadline = evtimer_new(bufferevent_get_base(bev), on_deadline, g);
	if (g->deadline == NULL) {
		free(g);
		return;
	}
	guards[fd] = g;
	evhttp_connection_set_closecb(g->evcon, on_close, g);
	evbuffer_add_cb(bufferevent_get_output(bev), on_output, g);
	arm_deadline(g);
	framing_attach(g, in);
}

static struct bufferevent *new_bufferevent(struct event_base *base, void *arg)
{
	(void)arg;
	struct bufferevent *bev;
	if (active_cfg->tls != NULL) {
		SSL *ssl = SSL_new(active_cfg->tls);
		if (ssl == NULL)
			return NULL;
		bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
						     BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL)
			SSL_free(ssl);
	} else {
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	if (bev != NULL)
		evbuffer_add_cb(bufferevent_get_input(bev), on_first_input, bev);
	return bev;
}

void conn_guard_install(struct evhttp *http, const struct conn_guard_config *cfg)
{
	active_cfg = cfg;
	evhttp_set_bevcb(http, new_bufferevent, NULL);
}

static struct conn_guard *guard_of(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	if (evcon == NULL)
		return NULL;
	int fd = (int)bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	if (fd < 0 || (size_t)fd >= guards_size)
		return NULL;
	struct conn_guard *g = guards[fd];
	return g != NULL && g->evcon == evcon ? g : NULL;
}

static void on_reply_sent(struct evhttp_request *req, void *arg)
{
	(void)req;
	struct conn_guard *g = arg;
	set_dispatched(g, false);
	arm_deadline(g);
}

void conn_guard_request_started(struct evhttp_request *req)
{
	struct conn_guard *g = guard_of(req);
	if (g == NULL)
		return;
	set_dispatched(g, true);
	event_del(g->deadline);
	evhttp_request_set_on_complete_cb(req, on_reply_sent, g);
}
