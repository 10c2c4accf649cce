/* Admission, request deadline, strict framing, body sizing and rewriting of evhttp's own error pages. */
#include "conn_guard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "framing.h"
#include "head_scan.h"
#include "log.h"
#include "problem.h"
#include "proxy.h"
#include "quota.h"
#include "request.h"
#include "router.h"

/* What became of the body of the request being read. */
enum body_verdict { BODY_UNSIZED, BODY_ADMITTED, BODY_TOO_LARGE, BODY_OVER_BUDGET };

struct conn_guard {
	struct conn_guard_loop *loop;
	TAILQ_ENTRY(conn_guard) pending;  /* accepted, not yet admitted */
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	struct event *deadline;
	int fd;
	struct quota_address from;       /* whom the connection counts against */
	bool dispatched;     /* one of our handlers owns the current request */
	bool rewriting;      /* evhttp is writing its own error page: replace it */
	bool in_rewrite;     /* our own edit of the output buffer is under way */
	char *replacement;   /* the problem+json response sent instead */
	size_t replacement_len;
	bool reading_head;   /* between requests or inside a head: `head` follows the bytes */
	struct head_scan head;
	enum body_verdict body;
	size_t body_limit;    /* the route's, once the head is in */
	size_t body_reserved; /* of the budget, until the reply is sent */
	struct framing framing;  /* every byte evhttp will parse, checked first */
	bool framing_editing;    /* our own edit of the input buffer is under way */
	bool framing_drop;       /* the refusal could not be queued: drop all input */
};

/* A connection answered with an error page: what the client still sends is dropped, then closed. */
struct lingerer {
	LIST_ENTRY(lingerer) link;
	struct conn_guard_loop *loop;
	struct event *ev;
	int fd;
	struct quota_address from; /* the connection's slot, held until the socket closes */
	struct timespec until;
};

struct conn_guard_loop {
	const struct conn_guard_config *cfg;
	struct event_base *base;
	struct event *admit;       /* admits what was accepted since it last ran */
	TAILQ_HEAD(, conn_guard) pending;
	LIST_HEAD(, lingerer) lingering;
	size_t body_max;           /* the largest route limit: for requests no route matches */
};

/*
 * Guards by socket: an fd names one open connection at a time, and the guard
 * leaves the table (in the close callback) before evhttp closes the socket.
 * Each slot is only touched by the thread that owns that connection.
 */
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

static struct timeval ms_to_tv(int ms) { return (struct timeval){ms / 1000, (ms % 1000) * 1000}; }

static void arm_deadline(struct conn_guard *g)
{
	struct timeval tv = ms_to_tv(g->loop->cfg->header_timeout_ms);
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
		g->loop->cfg->header_timeout_ms);
	evhttp_connection_free(g->evcon); /* runs on_close, which frees g */
}

/* ------------------------------------------------------------ lingering after an error page */

static void linger_end(struct lingerer *l)
{
	LIST_REMOVE(l, link);
	event_free(l->ev);
	close(l->fd);
	quota_connection_close(l->loop->cfg->quota, &l->from);
	free(l);
}

static bool past(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* Drops what arrived; ends at the client's close, an error, or the deadline (also when idle that long). */
static void on_linger(evutil_socket_t fd, short what, void *arg)
{
	struct lingerer *l = arg;
	if (what & EV_READ) {
		char sink[16384];
		ssize_t n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
		bool more = n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR));
		if (more && !past(&l->until))
			return;
	}
	linger_end(l);
}

/*
 * Takes over g's socket (a duplicate: evhttp closes its own) and its slot.
 * evhttp shuts the sending side after the error page, so the client reads
 * the page and then the end; without draining, data still arriving would
 * make the kernel answer with a reset that can destroy the unread page.
 */
static void linger_start(struct conn_guard *g)
{
	struct conn_guard_loop *loop = g->loop;
	struct timeval idle = ms_to_tv(loop->cfg->header_timeout_ms);
	struct lingerer *l = calloc(1, sizeof *l);
	if (l == NULL || (l->fd = fcntl(g->fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		free(l);
		quota_connection_close(loop->cfg->quota, &g->from);
		return;
	}
	l->ev = event_new(loop->base, l->fd, EV_READ | EV_PERSIST, on_linger, l);
	if (l->ev == NULL || event_add(l->ev, &idle) != 0) {
		if (l->ev != NULL)
			event_free(l->ev);
		close(l->fd);
		free(l);
		quota_connection_close(loop->cfg->quota, &g->from);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &l->until);
	l->until.tv_sec += idle.tv_sec;
	l->until.tv_nsec += idle.tv_usec * 1000L;
	if (l->until.tv_nsec >= 1000000000L) {
		l->until.tv_sec++;
		l->until.tv_nsec -= 1000000000L;
	}
	l->loop = loop;
	l->from = g->from;
	LIST_INSERT_HEAD(&loop->lingering, l, link);
}

/* ------------------------------------------------------------ the body of each request */

static void release_body(struct conn_guard *g)
{
	if (g->body_reserved > 0)
		quota_body_release(g->loop->cfg->quota, g->body_reserved);
	g->body_reserved = 0;
}

static size_t route_body_limit(const struct conn_guard_loop *loop, const struct head_scan *h)
{
	const struct route *found = NULL;
	struct route_params params;
	char allow[128];
	if (h->method[0] != '\0' && h->path[0] != '\0' &&
	    router_match(loop->cfg->routes, loop->cfg->nroutes, h->method, h->path, &found, &params, allow,
			 sizeof allow) == ROUTE_FOUND)
		return found->body_max;
	return loop->body_max;
}

/*
 * The head is in and evhttp has not read it yet: give this request's body
 * the limit evhttp enforces.  A body refused here gets evhttp's own 413 as
 * soon as it reads the head (the limit is below its length), which
 * on_output rewrites, into a 503 when the budget was what refused it.
 */
static void size_body(struct conn_guard *g)
{
	const struct conn_guard_config *cfg = g->loop->cfg;
	const struct head_scan *h = &g->head;
	size_t limit = route_body_limit(g->loop, h), need;
	g->body_limit = limit;
	if (h->transfer_encoding || h->content_length == HEAD_SCAN_BAD_LENGTH)
		need = limit; /* a length not known in advance may be all the route takes */
	else if (h->content_length == HEAD_SCAN_NO_LENGTH)
		need = 0;
	else if ((unsigned long long)h->content_length <= limit)
		need = (size_t)h->content_length;
	else
		need = SIZE_MAX; /* announced over the limit: evhttp refuses it at once */

	if (need == SIZE_MAX) {
		g->body = BODY_TOO_LARGE;
		quota_count_body_too_large(cfg->quota);
	} else if (need > 0 && !quota_body_reserve(cfg->quota, need)) {
		g->body = BODY_OVER_BUDGET;
		limit = 0;
	} else {
		g->body = BODY_ADMITTED;
		g->body_reserved = need;
	}
	evhttp_connection_set_max_body_size(g->evcon, (ev_ssize_t)limit);
}

/* Follows the head through the input from byte `from` on; sizes the body once it has ended. */
static void scan_input(struct conn_guard *g, struct evbuffer *in, size_t from)
{
	struct evbuffer_ptr at;
	if (evbuffer_ptr_set(in, &at, from, EVBUFFER_PTR_SET) != 0)
		return;
	struct evbuffer_iovec vec[8];
	int n;
	while (!g->head.done && (n = evbuffer_peek(in, -1, &at, vec, 8)) > 0) {
		size_t used = 0;
		for (int i = 0; i < n && i < 8 && !g->head.done; i++)
			used += head_scan_feed(&g->head, vec[i].iov_base, vec[i].iov_len);
		if (n <= 8 || evbuffer_ptr_set(in, &at, used, EVBUFFER_PTR_ADD) != 0)
			break;
	}
	if (g->head.done) {
		g->reading_head = false;
		size_body(g);
	}
}

/* The next request starts with what the input holds now. */
static void start_head(struct conn_guard *g)
{
	head_scan_start(&g->head);
	g->reading_head = true;
	g->body = BODY_UNSIZED;
	scan_input(g, bufferevent_get_input(g->bev), 0);
}

/* ------------------------------------------------------------ strict framing */

/*
 * Strict framing (framing.h).  Every byte the connection receives is fed to
 * the checker as it is added to the input buffer, before evhttp's read
 * callback parses it: evbuffer callbacks run inside the read, bufferevent
 * callbacks after it.  evhttp only ever consumes complete lines and the
 * bodies the checker has passed over, so the bytes of a line being checked
 * are still in the buffer, at its end.
 *
 * The checker follows the whole stream, bodies included, and may run ahead
 * of evhttp into pipelined requests; head_scan restarts at each request
 * evhttp is about to read, for the method and path that size its body.  So
 * both read the head's Content-Length: by the time a body is sized, the
 * checker may already be on a later head.  Every head that reaches evhttp
 * has passed the checker, so head_scan's own cases of a bad, repeated or
 * folded length, and of Transfer-Encoding, only ever meet a refused head.
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

/*
 * Checks the input from byte `start` on.  On a refusal, returns where the
 * refused line started (the input now ends with the line standing in for
 * it, refuse_framing), else SIZE_MAX.
 */
static size_t check_framing(struct conn_guard *g, struct evbuffer *in, size_t start)
{
	size_t len = evbuffer_get_length(in), at = start;
	uint64_t before = g->framing.offset;
	struct evbuffer_ptr p;
	enum framing_verdict v = FRAMING_MORE;
	if (at >= len || evbuffer_ptr_set(in, &p, start, EVBUFFER_PTR_SET) != 0)
		return SIZE_MAX;
	while (at < len && v != FRAMING_REFUSED) {
		struct evbuffer_iovec vec;
		if (evbuffer_peek(in, len - at, &p, &vec, 1) < 1)
			return SIZE_MAX;
		size_t n = vec.iov_len < len - at ? vec.iov_len : len - at, used;
		v = framing_feed(&g->framing, vec.iov_base, n, &used);
		at += used;
		if (evbuffer_ptr_set(in, &p, used, EVBUFFER_PTR_ADD) != 0 && at < len)
			return SIZE_MAX;
	}
	if (v != FRAMING_REFUSED)
		return SIZE_MAX;
	/* Where the refused line starts in the buffer: it may have begun in bytes added earlier. */
	int64_t keep = (int64_t)start + ((int64_t)g->framing.line_start - (int64_t)before);
	size_t refused_at = keep > 0 ? (size_t)keep : 0;
	refuse_framing(g, in, refused_at);
	return refused_at;
}

/*
 * New input reaches this before evhttp parses it: first the framing check,
 * then the head scan, in one callback so that the scan never sees bytes the
 * check has taken out nor our own edit of the buffer.
 */
static void on_input(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn_guard *g = arg;
	if (g->framing_editing || info->n_added == 0)
		return;
	size_t len = evbuffer_get_length(in);
	if (g->framing_drop) {
		evbuffer_drain(in, len);
		return;
	}
	size_t start = info->n_added < len ? len - info->n_added : 0;
	size_t refused_at = check_framing(g, in, start);
	/* After a refusal, the new bytes still there are accepted ones, then the line evhttp fails on. */
	if (g->reading_head && !g->framing_drop && (refused_at == SIZE_MAX || refused_at >= start))
		scan_input(g, in, start);
}

/* ------------------------------------------------------------ evhttp's error pages */

static void on_output(struct evbuffer *out, const struct evbuffer_cb_info *info, void *arg);

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	struct conn_guard *g = arg;
	set_dispatched(g, false);
	release_body(g);
	event_free(g->deadline);
	evbuffer_remove_cb(bufferevent_get_output(g->bev), on_output, g);
	evbuffer_remove_cb(bufferevent_get_input(g->bev), on_input, g);
	if (guards[g->fd] == g)
		guards[g->fd] = NULL;
	if (g->rewriting)
		linger_start(g);
	else
		quota_connection_close(g->loop->cfg->quota, &g->from);
	free(g->replacement);
	free(g);
}

/* Builds the problem+json response that stands in for evhttp's page; refusal: a framing refusal's detail. */
static bool build_replacement(struct conn_guard *g, int status, const char *refusal)
{
	char detail[160];
	const char *extra_headers = "";
	switch (refusal != NULL ? 0 : status) {
	case 0:
		snprintf(detail, sizeof detail, "%s", refusal);
		break;
	case 413:
		if (g->body == BODY_OVER_BUDGET) {
			status = 503;
			extra_headers = "Retry-After: 1\r\n";
			snprintf(detail, sizeof detail,
				 "The server is holding as many request bodies as it can; retry shortly.");
		} else if (g->body != BODY_UNSIZED) {
			snprintf(detail, sizeof detail, "The request body exceeds this resource's limit of %zu bytes.",
				 g->body_limit);
		} else {
			snprintf(detail, sizeof detail, "The request body exceeds the server's limits.");
		}
		break;
	case 501:
		snprintf(detail, sizeof detail, "The request method is not supported.");
		break;
	default:
		snprintf(detail, sizeof detail, "The request could not be parsed as HTTP.");
		break;
	}
	json_t *p = problem_new(status, detail, NULL);
	char *body = p != NULL ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	if (body == NULL)
		return false;
	size_t body_len = strlen(body);
	size_t cap = body_len + 320; /* the head below, whose longest status title and extra header fit */
	g->replacement = malloc(cap);
	if (g->replacement != NULL) {
		int head = snprintf(g->replacement, cap,
				    "HTTP/1.1 %d %s\r\nContent-Type: application/problem+json\r\n"
				    "X-Content-Type-Options: nosniff\r\n"
				    "Content-Length: %zu\r\n%sConnection: close\r\n\r\n",
				    status, http_status_title(status), body_len, extra_headers);
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
		const char *refusal = NULL;
		unsigned char *head = evbuffer_pullup(out, 12);
		if (head == NULL || sscanf((const char *)head, "HTTP/1.%d %3d", &minor, &status) != 2)
			return;
		/* evhttp's 400 for the line that stands in for a refused head (refuse_framing). */
		if (status == 400 && g->framing.reason != NULL) {
			status = g->framing.status;
			refusal = g->framing.reason;
		}
		if (status < 400 || !build_replacement(g, status, refusal))
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

/* ------------------------------------------------------------ admission */

/* The peer of fd as the caps count it: a trusted proxy is capped by the total only. */
static void peer_of(int fd, const struct trusted_proxies *trusted, struct quota_address *out)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	memset(out, 0, sizeof *out);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		out->family = 4;
		memcpy(out->bytes, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6) {
		const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		bool mapped = IN6_IS_ADDR_V4MAPPED(a);
		out->family = mapped ? 4 : 6;
		memcpy(out->bytes, mapped ? a->s6_addr + 12 : a->s6_addr, mapped ? 4 : 16);
	}
	if (out->family != 0 && trusted->count > 0) {
		char text[INET6_ADDRSTRLEN];
		if (inet_ntop(out->family == 4 ? AF_INET : AF_INET6, out->bytes, text, sizeof text) != NULL &&
		    proxy_is_trusted(trusted, text))
			out->family = 0;
	}
}

/* Counts g's connection and guards it, or closes it when over a cap.  False when it is gone. */
static bool admit(struct conn_guard *g, struct evhttp_connection *evcon)
{
	const struct conn_guard_config *cfg = g->loop->cfg;
	g->evcon = evcon;
	g->fd = (int)bufferevent_getfd(g->bev);
	if (g->fd < 0 || (size_t)g->fd >= guards_size) {
		evhttp_connection_free(evcon);
		return false;
	}
	peer_of(g->fd, cfg->trusted, &g->from);
	/* A response's last segment must not wait for the client's delayed
	 * ACK of the ones before (Nagle): that added 40 ms to every page of
	 * listings a single client fetched.  Failing to set it only costs that. */
	int one = 1;
	(void)setsockopt(g->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	enum quota_verdict verdict = quota_connection_open(cfg->quota, &g->from);
	if (verdict != QUOTA_ADMITTED) {
		log_msg(LOG_DEBUG, NULL, "closing a new connection: over the %s connection cap",
			verdict == QUOTA_OVER_TOTAL ? "total" : "per-address");
		evhttp_connection_free(evcon);
		return false;
	}
	g->deadline = evtimer_new(g->loop->base, on_deadline, g);
	framing_init(&g->framing, cfg->max_header_bytes);
	if (g->deadline == NULL ||
	    evbuffer_add_cb(bufferevent_get_output(g->bev), on_output, g) == NULL ||
	    evbuffer_add_cb(bufferevent_get_input(g->bev), on_input, g) == NULL) {
		log_msg(LOG_WARN, NULL, "out of memory guarding a connection: closing it");
		evbuffer_remove_cb(bufferevent_get_output(g->bev), on_output, g);
		if (g->deadline != NULL)
			event_free(g->deadline);
		quota_connection_close(cfg->quota, &g->from);
		evhttp_connection_free(evcon);
		return false;
	}
	guards[g->fd] = g;
	evhttp_connection_set_closecb(evcon, on_close, g);
	arm_deadline(g);
	/* Whatever came in already is checked first (start_head scans what is left of it). */
	check_framing(g, bufferevent_get_input(g->bev), 0);
	start_head(g);
	return true;
}

/*
 * Runs on the loop right after its listener's callback: evhttp has made a
 * connection of each socket it accepted by now, and read none of them.
 */
static void on_admit(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct conn_guard_loop *loop = arg;
	struct conn_guard *g;
	while ((g = TAILQ_FIRST(&loop->pending)) != NULL) {
		TAILQ_REMOVE(&loop->pending, g, pending);
		struct bufferevent *bev = g->bev;
		/* evhttp registers its connection as the bufferevent's callback argument;
		 * NULL when it gave the connection up after making the bufferevent. */
		void *evcon = NULL;
		bufferevent_getcb(bev, NULL, NULL, NULL, &evcon);
		if (evcon == NULL || !admit(g, evcon))
			free(g);
		bufferevent_decref(bev); /* the reference taken in new_bufferevent */
	}
}

/*
 * evhttp asks for a bufferevent for each socket it accepts, before it
 * knows the socket: the guard waits, holding a reference so the bufferevent
 * outlives evhttp giving up on it, until on_admit runs.
 */
static struct bufferevent *new_bufferevent(struct event_base *base, void *arg)
{
	struct conn_guard_loop *loop = arg;
	struct bufferevent *bev;
	if (loop->cfg->tls != NULL) {
		SSL *ssl = SSL_new(loop->cfg->tls);
		if (ssl == NULL)
			return NULL;
		bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
						     BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL)
			SSL_free(ssl);
	} else {
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	struct conn_guard *g = bev != NULL ? calloc(1, sizeof *g) : NULL;
	if (g == NULL) {
		if (bev != NULL)
			log_msg(LOG_WARN, NULL, "out of memory: a connection goes unguarded");
		return bev;
	}
	g->loop = loop;
	g->bev = bev;
	g->fd = -1;
	bufferevent_incref(bev);
	TAILQ_INSERT_TAIL(&loop->pending, g, pending);
	event_active(loop->admit, EV_TIMEOUT, 0);
	return bev;
}

struct conn_guard_loop *conn_guard_install(struct event_base *base, struct evhttp *http,
					   const struct conn_guard_config *cfg)
{
	struct conn_guard_loop *loop = calloc(1, sizeof *loop);
	if (loop == NULL || (loop->admit = event_new(base, -1, 0, on_admit, loop)) == NULL) {
		free(loop);
		return NULL;
	}
	loop->cfg = cfg;
	loop->base = base;
	TAILQ_INIT(&loop->pending);
	LIST_INIT(&loop->lingering);
	for (size_t i = 0; i < cfg->nroutes; i++)
		if (cfg->routes[i].body_max > loop->body_max)
			loop->body_max = cfg->routes[i].body_max;
	evhttp_set_max_body_size(http, (ev_ssize_t)loop->body_max);
	evhttp_set_bevcb(http, new_bufferevent, loop);
	return loop;
}

void conn_guard_uninstall(struct conn_guard_loop *loop)
{
	if (loop == NULL)
		return;
	on_admit(-1, 0, loop); /* evhttp_free gave up every pending connection */
	while (!LIST_EMPTY(&loop->lingering))
		linger_end(LIST_FIRST(&loop->lingering));
	event_free(loop->admit);
	free(loop);
}

/* ------------------------------------------------------------ requests */

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
	release_body(g);
	arm_deadline(g);
	start_head(g);
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
