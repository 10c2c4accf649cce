/*
 * The web front end served by `marketplace serve` (DESIGN.md section 3,
 * marketplace/http/static_files.h) against the real binary: the app's
 * pages and its index.html fallback, hashed assets, caching, conditional
 * and HEAD requests, gzip negotiation, the paths that stay the API's, and
 * that nothing outside the directory, no symbolic link, no dotfile and no
 * file over the per-file cap is ever served.
 *
 * main() builds the directories before Check forks the tests and removes
 * them after (plain C and system(): no ck_* may run outside a test):
 *   <base>/secret.txt                 outside the front end: never served
 *   <base>/web/                       the front end the servers are given
 *     index.html, index.html.gz       (the .gz made by gzip -k, as the build does)
 *     assets/app-0123abcd.js(.gz), assets/style-89abcdef.css, favicon.svg
 *     .env, assets/.hidden.js          dotfiles
 *     leak.html, assets/leak.js        symbolic links to ../secret.txt
 *     linked                           a symbolic link to <base>
 *   <base>/big/                       index.html, assets/over-00000000.js of
 *                                     8 MiB + 1 byte, assets/edge-00000000.js
 *                                     of exactly 8 MiB (both sparse)
 */
#define _GNU_SOURCE /* memmem */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "check_run.h"

#define INDEX_HTML "<!doctype html><html lang=\"vi\"><head><title>WEB-INDEX-MARKER</title>" \
		   "<script type=\"module\" src=\"/assets/app-0123abcd.js\"></script></head>"     \
		   "<body><div id=\"app\"></div></body></html>\n"
#define CSS "body{font-family:sans-serif}\n"
#define SVG "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n"
#define OUTSIDE_SECRET "OUTSIDE-SECRET-7f3a"
#define DOTFILE_SECRET "DOTFILE-SECRET-91c2"
#define CAP_BYTES (8L << 20) /* STATIC_FILE_MAX_BYTES */
#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "  \
	    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; " \
	    "form-action 'self'; frame-ancestors 'none'"
#define IMMUTABLE "public, max-age=31536000, immutable"

static char base[64]; /* made by main() */
static char app_js[4096]; /* the asset's text, long enough for gzip to shrink it */

static struct it_server server;

/* ------------------------------------------------------------ the directories (main, no ck_*) */

static bool write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	bool ok = f != NULL && fputs(text, f) >= 0;
	return f != NULL && fclose(f) == 0 && ok;
}

static bool sparse_file(const char *dir, const char *name, long size)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	bool ok = fd >= 0 && ftruncate(fd, size) == 0;
	return fd >= 0 && close(fd) == 0 && ok;
}

static bool link_to(const char *target, const char *dir, const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return symlink(target, path) == 0;
}

static bool gzip_keep(const char *dir, const char *name)
{
	char command[512];
	snprintf(command, sizeof command, "gzip -k -n -9 '%s/%s'", dir, name);
	return it_shell(command) == 0;
}

static bool make_dirs(void)
{
	size_t n = 0;
	for (int i = 0; n + 80 < sizeof app_js; i++)
		n += (size_t)snprintf(app_js + n, sizeof app_js - n, "export const line%d = 'Quảng Trị %d';\n", i, i);
	char web[128], assets[160], big[128], big_assets[160];
	snprintf(base, sizeof base, "/tmp/marketplace-web-XXXXXX");
	if (mkdtemp(base) == NULL)
		return false;
	snprintf(web, sizeof web, "%s/web", base);
	snprintf(assets, sizeof assets, "%s/assets", web);
	snprintf(big, sizeof big, "%s/big", base);
	snprintf(big_assets, sizeof big_assets, "%s/assets", big);
	return mkdir(web, 0755) == 0 && mkdir(assets, 0755) == 0 && mkdir(big, 0755) == 0 &&
	       mkdir(big_assets, 0755) == 0 && write_file(base, "secret.txt", OUTSIDE_SECRET "\n") &&
	       write_file(web, "index.html", INDEX_HTML) && gzip_keep(web, "index.html") &&
	       write_file(assets, "app-0123abcd.js", app_js) && gzip_keep(assets, "app-0123abcd.js") &&
	       write_file(assets, "style-89abcdef.css", CSS) && write_file(web, "favicon.svg", SVG) &&
	       write_file(web, ".env", DOTFILE_SECRET "\n") && write_file(assets, ".hidden.js", DOTFILE_SECRET) &&
	       link_to("../secret.txt", web, "leak.html") && link_to("../../secret.txt", assets, "leak.js") &&
	       link_to("..", web, "linked") && write_file(big, "index.html", "BIG-INDEX-MARKER\n") &&
	       sparse_file(big_assets, "over-00000000.js", CAP_BYTES + 1) &&
	       sparse_file(big_assets, "edge-00000000.js", CAP_BYTES);
}

/* ------------------------------------------------------------ helpers (in tests) */

/* The whole file <base>/<name> (free it); *len its size. */
static char *slurp(const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", base, name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
	char *data = malloc(64 * 1024);
	ck_assert_ptr_nonnull(data);
	*len = fread(data, 1, 64 * 1024, f);
	fclose(f);
	return data;
}

static void start(const char *dir)
{
	char env_web[160];
	if (dir == NULL)
		snprintf(env_web, sizeof env_web, "MARKETPLACE_WEB_DIR=");
	else if (dir[0] == '/')
		snprintf(env_web, sizeof env_web, "MARKETPLACE_WEB_DIR=%s", dir);
	else
		snprintf(env_web, sizeof env_web, "MARKETPLACE_WEB_DIR=%s/%s", base, dir);
	const char *env[] = {env_web, NULL};
	it_server_start(&server, env);
}

static void stop_ok(void)
{
	int rc = it_server_stop(&server);
	ck_assert_msg(rc == 0, "the server exited with status %d%s, not 0", rc, it_status_note(rc));
}

/* One request with at most one extra header line (NULL: none); the response is the caller's. */
static void request(struct it_response *r, const char *method, const char *path, const char *header)
{
	const char *headers[] = {header, NULL};
	ck_assert_msg(it_http(server.port, method, path, header ? headers : NULL, NULL, 0, r),
		      "no response to %s %s", method, path);
}

static void expect_header(const struct it_response *r, const char *path, const char *name, const char *want)
{
	const char *got = it_header(r, name);
	if (want == NULL)
		ck_assert_msg(got == NULL, "%s: %s: %s, expected none", path, name, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, want) == 0, "%s: %s: %s, expected %s", path, name,
			      got ? got : "missing", want);
}

static void expect_body(const struct it_response *r, const char *path, const void *want, size_t len)
{
	ck_assert_msg(r->body_len == len && memcmp(r->body, want, len) == 0,
		      "%s: a body of %zu bytes is not the expected %zu: %.80s", path, r->body_len, len, r->body);
}

/* A 200 with index.html itself (not gzipped) and the headers of an HTML page; returns its ETag (free it). */
static char *expect_index(const struct it_response *r, const char *path)
{
	ck_assert_msg(r->status == 200, "%s: status %d: %.200s", path, r->status, r->body);
	expect_body(r, path, INDEX_HTML, strlen(INDEX_HTML));
	expect_header(r, path, "Content-Type", "text/html; charset=utf-8");
	expect_header(r, path, "Cache-Control", "no-cache");
	expect_header(r, path, "Content-Security-Policy", CSP);
	expect_header(r, path, "Referrer-Policy", "same-origin");
	expect_header(r, path, "X-Content-Type-Options", "nosniff");
	expect_header(r, path, "Vary", "Accept-Encoding");
	expect_header(r, path, "Content-Encoding", NULL);
	const char *etag = it_header(r, "ETag");
	ck_assert_msg(etag != NULL && strlen(etag) > 2 && etag[0] == '"' && etag[strlen(etag) - 1] == '"',
		      "%s: ETag %s is not a strong tag", path, etag ? etag : "missing");
	return strdup(etag);
}

static void expect_problem(struct it_response *r, const char *path, int status, const char *detail_part)
{
	ck_assert_msg(r->status == status, "%s: status %d, expected %d: %.200s", path, r->status, status, r->body);
	it_assert_problem(r, status);
	if (detail_part != NULL)
		ck_assert_msg(strstr(r->body, detail_part) != NULL, "%s: the problem does not mention '%s': %s",
			      path, detail_part, r->body);
}

/* The raw bytes of a HEAD request's answer, up to the server's close (free it). */
static char *head_raw(const char *path, size_t *len)
{
	int fd = it_connect(server.port, 10000);
	ck_assert_msg(fd >= 0, "cannot connect");
	ck_assert(it_send_request(fd, "HEAD", path, NULL, NULL, 0, true));
	size_t cap = 16384, n = 0;
	char *buf = malloc(cap + 1);
	ck_assert_ptr_nonnull(buf);
	ssize_t got;
	while (n < cap && (got = recv(fd, buf + n, cap - n, 0)) > 0)
		n += (size_t)got;
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The value of header `name` in a raw head (a copy in out), or false. */
static bool raw_header(const char *head, const char *name, char *out, size_t size)
{
	size_t n = strlen(name);
	for (const char *line = strstr(head, "\r\n"); line != NULL && line[2] != '\r'; line = strstr(line + 2, "\r\n")) {
		if (strncasecmp(line + 2, name, n) == 0 && line[2 + n] == ':') {
			const char *v = line + 3 + n + strspn(line + 3 + n, " ");
			snprintf(out, size, "%.*s", (int)strcspn(v, "\r"), v);
			return true;
		}
	}
	return false;
}

/*
 * HEAD path answers `status` with nothing after its head, and a
 * Content-Length: that of GET's body, or for a route without HEAD (405, a
 * problem GET does not get) one that is not 0.
 */
static void expect_bodiless_head(const char *path, int status)
{
	struct it_response get = {0};
	if (status != 405) {
		request(&get, "GET", path, NULL);
		ck_assert_msg(get.status == status, "GET %s: %d, expected %d", path, get.status, status);
	}
	size_t len;
	char *head = head_raw(path, &len);
	char line[32], length[32] = "(none)";
	snprintf(line, sizeof line, "HTTP/1.1 %d ", status);
	ck_assert_msg(strncmp(head, line, strlen(line)) == 0, "HEAD %s: %.100s", path, head);
	const char *end = strstr(head, "\r\n\r\n");
	ck_assert_msg(end != NULL && (size_t)(end + 4 - head) == len, "HEAD %s sent %zu bytes after its head",
		      path, end ? len - (size_t)(end + 4 - head) : len);
	bool has_length = raw_header(head, "Content-Length", length, sizeof length);
	ck_assert_msg(has_length && (status == 405 ? strtoul(length, NULL, 10) > 0
						   : strtoul(length, NULL, 10) == get.body_len),
		      "HEAD %s: Content-Length %s, GET's body has %zu bytes", path, length, get.body_len);
	free(head);
	it_response_free(&get);
}

/* ------------------------------------------------------------ the tests */

START_TEST(test_app_pages)
{
	start("web");
	/* The app's own routes get index.html, whose script draws them; the query is not part of the key. */
	static const char *const pages[] = {"/", "/index.html", "/listings/QT-TO-2026-000001",
					    "/admin/moderation?x=1", "/apiary", "/healthzone"};
	char *etag = NULL;
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		struct it_response r;
		request(&r, "GET", pages[i], NULL);
		char *tag = expect_index(&r, pages[i]);
		ck_assert_msg(etag == NULL || strcmp(tag, etag) == 0, "%s: ETag %s, / had %s", pages[i], tag, etag);
		free(etag);
		etag = tag;
		it_response_free(&r);
	}

	/* Revalidation: the same tag is 304 without a body, with the caching headers again. */
	char inm[96];
	snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
	struct it_response r;
	request(&r, "GET", "/listings/QT-TO-2026-000001", inm);
	ck_assert_msg(r.status == 304, "If-None-Match with the current tag: %d", r.status);
	ck_assert_uint_eq(r.body_len, 0);
	expect_header(&r, "304", "ETag", etag);
	expect_header(&r, "304", "Cache-Control", "no-cache");
	expect_header(&r, "304", "Vary", "Accept-Encoding");
	it_response_free(&r);
	request(&r, "GET", "/", "If-None-Match: \"0000000000000000\"");
	free(expect_index(&r, "/ with another tag"));
	it_response_free(&r);

	/* gzip when accepted: the .gz the build made, byte for byte, under a tag of its own. */
	request(&r, "GET", "/", "Accept-Encoding: gzip, deflate, br");
	ck_assert_int_eq(r.status, 200);
	size_t gz_len;
	char *gz = slurp("web/index.html.gz", &gz_len);
	expect_body(&r, "/ gzip", gz, gz_len);
	free(gz);
	expect_header(&r, "/ gzip", "Content-Encoding", "gzip");
	expect_header(&r, "/ gzip", "Vary", "Accept-Encoding");
	expect_header(&r, "/ gzip", "Content-Type", "text/html; charset=utf-8");
	const char *gz_tag = it_header(&r, "ETag");
	ck_assert_msg(gz_tag != NULL && strcmp(gz_tag, etag) != 0, "the gzip variant's ETag %s is the plain one's",
		      gz_tag ? gz_tag : "(missing)");
	it_response_free(&r);

	/* Only GET and HEAD. */
	static const char *const writes[][2] = {{"POST", "/"}, {"PUT", "/listings/x"}, {"DELETE", "/assets/app-0123abcd.js"}};
	for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
		request(&r, writes[i][0], writes[i][1], NULL);
		expect_problem(&r, writes[i][1], 405, NULL);
		expect_header(&r, writes[i][1], "Allow", "GET, HEAD");
		it_response_free(&r);
	}

	/* HEAD: GET's headers, Content-Length included, and not one byte of body; problems too. */
	expect_bodiless_head("/listings/QT-TO-2026-000001", 200);
	expect_bodiless_head("/assets/missing.js", 404);
	expect_bodiless_head("/api/v1/nope", 404);
	expect_bodiless_head("/api/v1/provinces", 405);
	request(&r, "GET", "/", NULL);
	size_t len;
	char *head = head_raw("/", &len);
	ck_assert_msg(strncmp(head, "HTTP/1.1 200 ", 13) == 0, "HEAD /: %.100s", head);
	const char *end = strstr(head, "\r\n\r\n");
	ck_assert_msg(end != NULL && (size_t)(end + 4 - head) == len, "HEAD / sent %zu bytes after its head",
		      end ? len - (size_t)(end + 4 - head) : len);
	static const char *const same[] = {"Content-Type", "Content-Length", "Cache-Control", "ETag",
					   "Content-Security-Policy", "Referrer-Policy", "X-Content-Type-Options",
					   "Vary"};
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		char value[512];
		ck_assert_msg(raw_header(head, same[i], value, sizeof value), "HEAD / has no %s", same[i]);
		expect_header(&r, "HEAD / against GET /", same[i], value);
	}
	free(head);
	it_response_free(&r);
	free(etag);
	stop_ok();
}
END_TEST

START_TEST(test_assets)
{
	start("web");
	struct it_response r;
	static const char js[] = "/assets/app-0123abcd.js";
	request(&r, "GET", js, NULL);
	ck_assert_msg(r.status == 200, "%s: %d", js, r.status);
	expect_body(&r, js, app_js, strlen(app_js));
	expect_header(&r, js, "Content-Type", "text/javascript; charset=utf-8");
	expect_header(&r, js, "Cache-Control", IMMUTABLE);
	expect_header(&r, js, "Vary", "Accept-Encoding");
	expect_header(&r, js, "X-Content-Type-Options", "nosniff");
	expect_header(&r, js, "Content-Encoding", NULL);
	expect_header(&r, js, "Content-Security-Policy", NULL);
	it_response_free(&r);

	/* gzip accepted: the build's .gz, which gunzips to the asset. */
	request(&r, "GET", "/assets/app-0123abcd.js?v=2", "Accept-Encoding: br;q=1.0, gzip;q=0.8");
	ck_assert_int_eq(r.status, 200);
	size_t gz_len;
	char *gz = slurp("web/assets/app-0123abcd.js.gz", &gz_len);
	ck_assert_msg(gz_len < strlen(app_js), "gzip did not shrink the asset (%zu bytes)", gz_len);
	expect_body(&r, "gzip", gz, gz_len);
	free(gz);
	expect_header(&r, js, "Content-Encoding", "gzip");
	expect_header(&r, js, "Vary", "Accept-Encoding");
	expect_header(&r, js, "Cache-Control", IMMUTABLE);
	char path[160], command[256];
	snprintf(path, sizeof path, "%s/received.gz", base);
	FILE *f = fopen(path, "wb");
	ck_assert(f != NULL && fwrite(r.body, 1, r.body_len, f) == r.body_len && fclose(f) == 0);
	snprintf(command, sizeof command, "gzip -dc '%s'", path);
	struct it_cmd gunzip;
	it_run_shell(command, 10000, &gunzip);
	ck_assert_msg(gunzip.status == 0 && strcmp(gunzip.out, app_js) == 0, "the gzip body does not gunzip to the asset");
	it_cmd_free(&gunzip);
	unlink(path);
	it_response_free(&r);

	/* Refused, or not asked for: the plain bytes, still varying by Accept-Encoding. */
	static const char *const plain[] = {"Accept-Encoding: gzip;q=0", "Accept-Encoding: identity",
					    "Accept-Encoding: *, gzip;q=0.000", "Accept-Encoding: xgzip"};
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		request(&r, "GET", js, plain[i]);
		ck_assert_int_eq(r.status, 200);
		expect_body(&r, plain[i], app_js, strlen(app_js));
		expect_header(&r, plain[i], "Content-Encoding", NULL);
		expect_header(&r, plain[i], "Vary", "Accept-Encoding");
		it_response_free(&r);
	}
	request(&r, "GET", js, "Accept-Encoding: *");
	expect_header(&r, "Accept-Encoding: *", "Content-Encoding", "gzip");
	it_response_free(&r);

	/* Without a .gz sibling: no Vary; outside /assets/: revalidated. */
	request(&r, "GET", "/assets/style-89abcdef.css", "Accept-Encoding: gzip");
	ck_assert_int_eq(r.status, 200);
	expect_body(&r, "css", CSS, strlen(CSS));
	expect_header(&r, "css", "Content-Type", "text/css; charset=utf-8");
	expect_header(&r, "css", "Cache-Control", IMMUTABLE);
	expect_header(&r, "css", "Vary", NULL);
	expect_header(&r, "css", "Content-Encoding", NULL);
	it_response_free(&r);
	request(&r, "GET", "/favicon.svg", NULL);
	ck_assert_int_eq(r.status, 200);
	expect_body(&r, "svg", SVG, strlen(SVG));
	expect_header(&r, "svg", "Content-Type", "image/svg+xml");
	expect_header(&r, "svg", "Cache-Control", "no-cache");
	ck_assert_ptr_nonnull(it_header(&r, "ETag"));
	it_response_free(&r);

	/* A stale hashed asset must not get HTML. */
	static const char *const missing[] = {"/assets/missing.js", "/assets/app-00000000.js", "/assets/"};
	for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
		request(&r, "GET", missing[i], NULL);
		expect_problem(&r, missing[i], 404, NULL);
		it_response_free(&r);
	}
	stop_ok();
}
END_TEST

START_TEST(test_server_paths_stay_the_servers)
{
	start("web");
	static const char *const paths[] = {"/api/v1/nope", "/api", "/api/", "/api?x=1", "/api/index.html",
					    "/healthz/x", "/readyz/", "/metrics/index.html"};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct it_response r;
		request(&r, "GET", paths[i], NULL);
		expect_problem(&r, paths[i], 404, "No resource lives at this path");
		ck_assert_msg(strstr(r.body, "WEB-INDEX-MARKER") == NULL, "%s served the front end", paths[i]);
		it_response_free(&r);
		request(&r, "POST", paths[i], NULL);
		expect_problem(&r, paths[i], 404, NULL);
		it_response_free(&r);
	}
	struct it_response r;
	request(&r, "GET", "/healthz", NULL);
	ck_assert_int_eq(r.status, 200);
	it_response_free(&r);
	stop_ok();
}
END_TEST

/* Fails unless r shows nothing from outside the front end, no dotfile and no link's target. */
static void assert_nothing_leaked(const struct it_response *r, const char *what)
{
	static const char *const never[] = {OUTSIDE_SECRET, DOTFILE_SECRET, "cmake_minimum_required", "root:x:0:0"};
	for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
		ck_assert_msg(memmem(r->body, r->body_len, never[i], strlen(never[i])) == NULL,
			      "%s: the response shows %s", what, never[i]);
}

START_TEST(test_nothing_outside_is_served)
{
	start("web");
	/* Each gets index.html (a route of the app) or a 4xx problem; never the file it aims at. */
	static const struct {
		const char *path;
		int status; /* 200: index.html itself */
	} cases[] = {
		{"/../CMakeLists.txt", 200},
		{"/../../../../etc/passwd", 200},
		{"/assets/../index.html", 404},
		{"/assets/../../secret.txt", 404},
		{"/%2e%2e/%2e%2e/etc/passwd", 200},
		{"/%2e%2e/secret.txt", 200},
		{"/assets/%2e%2e%2fsecret", 404},
		{"/assets/%2e%2e%2f%2e%2e%2fsecret.txt", 404},
		{"/leak.html", 200},        /* a symbolic link to ../secret.txt */
		{"/assets/leak.js", 404},   /* the same from assets/ */
		{"/linked/secret.txt", 200}, /* through a link to the parent directory */
		{"/linked/web/index.html", 200},
		{"/.env", 200},             /* dotfiles */
		{"/assets/.hidden.js", 404},
		{"/index.html.gz", 200},     /* .gz files only as a variant of their original */
		{"/assets/app-0123abcd.js.gz", 404},
		{"//etc/passwd", 200},
		{"/secret.txt", 200},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *path = cases[i].path;
		static const char *const encodings[] = {NULL, "Accept-Encoding: gzip"};
		for (size_t e = 0; e < 2; e++) {
			struct it_response r;
			request(&r, "GET", path, encodings[e]);
			assert_nothing_leaked(&r, path);
			if (cases[i].status == 200 && e == 0)
				free(expect_index(&r, path));
			else if (cases[i].status == 200)
				expect_header(&r, path, "Content-Encoding", "gzip"); /* index.html.gz, the sibling */
			else
				expect_problem(&r, path, cases[i].status, NULL);
			it_response_free(&r);
		}
	}
	/* As raw bytes too, in case a client's library would have tidied the path. */
	static const char *const raw[] = {"GET /../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
					  "GET /assets/../../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
					  "GET ../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"};
	for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
		struct it_response r;
		ck_assert_msg(it_raw(server.port, raw[i], strlen(raw[i]), &r), "no response to %s", raw[i]);
		assert_nothing_leaked(&r, raw[i]);
		ck_assert_msg(r.status == 200 || r.status == 400 || r.status == 404, "%s: %d", raw[i], r.status);
		it_response_free(&r);
	}
	stop_ok();
}
END_TEST

START_TEST(test_file_over_the_cap_is_refused)
{
	start("big"); /* it starts: the file is refused, not the front end */
	struct it_response r;
	request(&r, "GET", "/assets/over-00000000.js", NULL);
	expect_problem(&r, "over the cap", 404, NULL);
	it_response_free(&r);
	request(&r, "GET", "/", NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "BIG-INDEX-MARKER\n");
	it_response_free(&r);
	/* Exactly at the cap is served (HEAD: its length without its 8 MiB). */
	size_t len;
	char *head = head_raw("/assets/edge-00000000.js", &len);
	char value[64];
	ck_assert_msg(strncmp(head, "HTTP/1.1 200 ", 13) == 0, "HEAD at the cap: %.100s", head);
	ck_assert_msg(raw_header(head, "Content-Length", value, sizeof value) && atol(value) == CAP_BYTES,
		      "HEAD at the cap: Content-Length %s", value);
	free(head);
	stop_ok();
}
END_TEST

START_TEST(test_front_end_not_built)
{
	char missing[160];
	snprintf(missing, sizeof missing, "%s/no-such-dir", base);
	/* A directory that is not there, one without index.html, and none at all (empty). */
	const char *const dirs[] = {missing, "big/assets", NULL};
	for (size_t d = 0; d < 3; d++) {
		start(dirs[d]);
		static const char *const paths[] = {"/", "/listings/QT-TO-2026-000001", "/assets/app-0123abcd.js"};
		for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
			struct it_response r;
			request(&r, "GET", paths[i], NULL);
			expect_problem(&r, paths[i], 404, "front end is not built");
			it_response_free(&r);
		}
		struct it_response r;
		request(&r, "GET", "/api/v1/provinces", NULL);
		ck_assert_msg(r.status == 200, "the API without a front end: %d", r.status);
		it_response_free(&r);
		stop_ok();
	}
}
END_TEST

int main(void)
{
	if (!make_dirs()) {
		fprintf(stderr, "test_web: cannot build the web directories under %s: %s\n", base, strerror(errno));
		return EXIT_FAILURE;
	}
	Suite *s = suite_create("integration_web");
	TCase *tc = tcase_create("web");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_app_pages);
	tcase_add_test(tc, test_assets);
	tcase_add_test(tc, test_server_paths_stay_the_servers);
	tcase_add_test(tc, test_nothing_outside_is_served);
	tcase_add_test(tc, test_file_over_the_cap_is_refused);
	tcase_add_test(tc, test_front_end_not_built);
	suite_add_tcase(s, tc);
	int rc = check_run(s);
	char command[128];
	snprintf(command, sizeof command, "rm -rf '%s'", base);
	it_shell(command);
	return rc;
}
