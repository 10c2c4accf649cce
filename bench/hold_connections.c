/*
 * Holds N idle keep-alive connections to the server, for bench/run --idle:
 *
 *   hold_connections HOST PORT N
 *
 * Opens N TCP connections (in batches, so the listen backlog never
 * overflows), sends "GET /healthz HTTP/1.1" on each, reads the response,
 * and then keeps them all open without sending anything.  Prints
 *   connected C answered A failed F      once every connection had its chance
 *   held H                               then, and after every SIGUSR1: how many are still open
 * and exits on SIGTERM or SIGINT (printing "held H" once more).  A
 * connection the server closes (EOF, reset) stops counting as held.
 * Standard C and POSIX only (epoll is Linux's).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 500
#define STEP_TIMEOUT_MS 10000

enum state { CONNECTING, SENT, HELD, DONE };

struct conn {
	int fd;
	enum state state;
	size_t got;     /* bytes of the response read */
	char head[512]; /* its first bytes, for the status line and Content-Length */
	long need;      /* header bytes + Content-Length once known, else -1 */
};

static volatile sig_atomic_t report_asked, stop_asked;
static void on_usr1(int sig) { (void)sig; report_asked = 1; }
static void on_stop(int sig) { (void)sig; stop_asked = 1; }

static const char request[] = "GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: keep-alive\r\n\r\n";

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int held;

static void finish(int ep, struct conn *c, enum state to)
{
	if (c->state == HELD)
		held--;
	if (to == DONE) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	c->state = to;
	if (to == HELD)
		held++;
}

/* Reads what the socket has; true when the whole response is in (or the socket is done). */
static void on_readable(int ep, struct conn *c, int *answered, int *failed)
{
	char buf[4096];
	for (;;) {
		ssize_t n = read(c->fd, buf, sizeof buf);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) { /* closed by the server, or reset */
			if (c->state == SENT)
				(*failed)++;
			finish(ep, c, DONE);
			return;
		}
		if (c->state == HELD) /* nothing is expected on a held connection */
			continue;
		size_t copy = (size_t)n;
		if (c->got + copy >= sizeof c->head)
			copy = sizeof c->head - 1 - c->got;
		memcpy(c->head + c->got, buf, copy);
		c->head[c->got + copy] = '\0';
		c->got += (size_t)n;
		if (c->need < 0) {
			char *end = strstr(c->head, "\r\n\r\n");
			char *length = strcasestr(c->head, "\r\nContent-Length:");
			if (end != NULL)
				c->need = (long)(end + 4 - c->head) + (length != NULL && length < end ? atol(length + 17) : 0);
		}
		if (c->need >= 0 && (long)c->got >= c->need) {
			if (strncmp(c->head, "HTTP/1.1 200", 12) == 0) {
				(*answered)++;
				finish(ep, c, HELD);
			} else {
				(*failed)++;
				finish(ep, c, DONE);
			}
		}
	}
}

static void on_event(int ep, struct conn *c, uint32_t events, int *answered, int *failed)
{
	if (c->state == CONNECTING && (events & EPOLLOUT)) {
		int err = 0;
		socklen_t len = sizeof err;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0 || write(c->fd, request, sizeof request - 1) != (ssize_t)(sizeof request - 1)) {
			(*failed)++;
			finish(ep, c, DONE);
			return;
		}
		c->state = SENT;
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		on_readable(ep, c, answered, failed);
}

/* Runs the loop until nothing of `conns` is connecting or waiting for its answer, or the timeout. */
static int pending(const struct conn *conns, int from, int to)
{
	int n = 0;
	for (int i = from; i < to; i++)
		n += conns[i].state == CONNECTING || conns[i].state == SENT;
	return n;
}

static void run_loop(int ep, int timeout_ms, int *answered, int *failed)
{
	struct epoll_event events[256];
	int n = epoll_wait(ep, events, 256, timeout_ms);
	for (int i = 0; i < n; i++)
		on_event(ep, events[i].data.ptr, events[i].events, answered, failed);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: hold_connections HOST PORT N\n");
		return 2;
	}
	int total = atoi(argv[3]);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
	if (total <= 0 || inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
		fprintf(stderr, "hold_connections: HOST must be an IPv4 address and N positive\n");
		return 2;
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)total + 16) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGUSR1, on_usr1);
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	struct conn *conns = calloc((size_t)total, sizeof *conns);
	int ep = epoll_create1(0);
	if (conns == NULL || ep < 0) {
		perror("hold_connections");
		return 1;
	}
	int answered = 0, failed = 0, connected = 0;
	for (int start = 0; start < total && !stop_asked; start += BATCH) {
		int end = start + BATCH < total ? start + BATCH : total;
		for (int i = start; i < end; i++) {
			struct conn *c = &conns[i];
			c->need = -1;
			c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (c->fd < 0) {
				fprintf(stderr, "hold_connections: socket %d: %s\n", i, strerror(errno));
				c->state = DONE;
				failed++;
				continue;
			}
			if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0 && errno != EINPROGRESS) {
				fprintf(stderr, "hold_connections: connect %d: %s\n", i, strerror(errno));
				close(c->fd);
				c->fd = -1;
				c->state = DONE;
				failed++;
				continue;
			}
			connected++;
			struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
			epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
		}
		long deadline = now_ms() + STEP_TIMEOUT_MS;
		while (pending(conns, start, end) > 0 && now_ms() < deadline && !stop_asked)
			run_loop(ep, 100, &answered, &failed);
	}
	/* Answers still on their way after the last batch's timeout count as failures. */
	int late = pending(conns, 0, total);
	printf("connected %d answered %d failed %d\n", connected, answered, failed + late);
	printf("held %d\n", held);
	while (!stop_asked) {
		run_loop(ep, 200, &answered, &failed);
		if (report_asked) {
			report_asked = 0;
			printf("held %d\n", held);
		}
	}
	printf("held %d\n", held);
	return 0;
}
