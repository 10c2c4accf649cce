/* The web front end's files: loaded once into memory at start, served from there by every worker. */
#include "static_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "log.h"
#include "problem.h"
#include "request.h"
#include "respond.h"

#define MAX_DEPTH 16     /* directories below the root that are walked */
#define MAX_URL_PATH 1024

/* Every HTML page's policy: this origin's scripts, styles, images, fonts and API only; no plugins, no framing. */
static const char CSP[] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
			  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
			  "form-action 'self'; frame-ancestors 'none'";

struct static_file {
	char *path;               /* the URL path, "/assets/app-0123abcd.js" (owned) */
	const char *content_type; /* static storage */
	unsigned char *data;      /* owned */
	size_t len;
	char etag[24];            /* "\"<16 hex of SHA-256>\"" */
	unsigned char *gz;        /* the .gz sibling's bytes (owned), or NULL */
	size_t gz_len;
	char gz_etag[28];         /* the same tag with "-gz": another representation */
};

/* Immutable once static_files_load returns; files sorted by path. */
struct static_files {
	struct static_file *files;
	size_t count;
	const struct static_file *index; /* "/index.html", or NULL: the front end is not built */
};

/* ------------------------------------------------------------ loading */

struct loader {
	struct static_files *s;
	size_t cap;
	size_t total;       /* bytes loaded so far, .gz files included */
	const char *root;   /* for log lines */
	bool out_of_memory;
};

static const struct {
	const char *ext;
	const char *type;
} content_types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".json", "application/json"},
	{".map", "application/json"},
	{".webmanifest", "application/manifest+json"},
	{".woff2", "font/woff2"},
	{".txt", "text/plain; charset=utf-8"},
};

static const char *content_type_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot != NULL && i < sizeof content_types / sizeof content_types[0]; i++)
		if (strcasecmp(dot, content_types[i].ext) == 0)
			return content_types[i].type;
	return "application/octet-stream";
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Reads the whole of fd, whose size is size, into a new buffer (1 byte for an empty file); NULL on error. */
static unsigned char *read_all(int fd, size_t size)
{
	unsigned char *buf = malloc(size > 0 ? size : 1);
	size_t got = 0;
	while (buf != NULL && got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) { /* an error, or the file shrank while read */
			free(buf);
			return NULL;
		}
		got += (size_t)n;
	}
	return buf;
}

/* Loads regular file `name` of directory dirfd as URL path `path`; refusals are logged. */
static void load_file(struct loader *l, int dirfd, const char *name, const char *path)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_msg(LOG_WARN, NULL, "web front end: %s%s not served: %s", l->root, path,
			fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return;
	}
	size_t size = (size_t)st.st_size;
	if (size > STATIC_FILE_MAX_BYTES || l->total + size > STATIC_TOTAL_MAX_BYTES) {
		log_msg(LOG_WARN, NULL, "web front end: %s%s (%zu bytes) not served: over the cap of %zu MiB %s",
			l->root, path, size,
			(size > STATIC_FILE_MAX_BYTES ? STATIC_FILE_MAX_BYTES : STATIC_TOTAL_MAX_BYTES) >> 20,
			size > STATIC_FILE_MAX_BYTES ? "per file" : "for all the files together");
		close(fd);
		return;
	}
	if (l->s->count == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct static_file *grown = realloc(l->s->files, cap * sizeof *grown);
		if (grown == NULL) {
			l->out_of_memory = true;
			close(fd);
			return;
		}
		l->s->files = grown;
		l->cap = cap;
	}
	struct static_file *f = &l->s->files[l->s->count];
	*f = (struct static_file){.path = strdup(path), .content_type = content_type_of(path), .len = size};
	f->data = f->path != NULL ? read_all(fd, size) : NULL;
	close(fd);
	char hex[17];
	if (f->data == NULL || !sha256_hex(f->data, size, hex, 16)) {
		log_msg(LOG_WARN, NULL, "web front end: %s%s not served: cannot read it", l->root, path);
		free(f->path);
		free(f->data);
		return;
	}
	snprintf(f->etag, sizeof f->etag, "\"%s\"", hex);
	snprintf(f->gz_etag, sizeof f->gz_etag, "\"%s-gz\"", hex);
	l->s->count++;
	l->total += size;
}

/* Loads what directory dirfd (taken over) holds, as URL paths below `prefix` (of prefix_len bytes). */
static void walk(struct loader *l, int dirfd, char *prefix, size_t prefix_len, int depth)
{
	DIR *d = fdopendir(dirfd);
	if (d == NULL) {
		log_msg(LOG_WARN, NULL, "web front end: cannot list %s%s/: %s", l->root, prefix, strerror(errno));
		close(dirfd);
		return;
	}
	struct dirent *e;
	while (!l->out_of_memory && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') /* ".", "..", and dotfiles such as .env or .git */
			continue;
		size_t name_len = strlen(e->d_name);
		if (prefix_len + 1 + name_len >= MAX_URL_PATH) {
			log_msg(LOG_WARN, NULL, "web front end: a name in %s%s/ is too long; not served", l->root,
				prefix);
			continue;
		}
		prefix[prefix_len] = '/';
		memcpy(prefix + prefix_len + 1, e->d_name, name_len + 1);
		struct stat st;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			log_msg(LOG_WARN, NULL, "web front end: %s%s not served: %s", l->root, prefix, strerror(errno));
		} else if (S_ISREG(st.st_mode)) {
			load_file(l, dirfd, e->d_name, prefix);
		} else if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH) {
			int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				walk(l, sub, prefix, prefix_len + 1 + name_len, depth + 1);
			else
				log_msg(LOG_WARN, NULL, "web front end: cannot open %s%s: %s", l->root, prefix,
					strerror(errno));
		} else {
			log_msg(LOG_WARN, NULL, "web front end: %s%s not served: %s", l->root, prefix,
				S_ISLNK(st.st_mode) ? "a symbolic link (links are not followed)"
				: S_ISDIR(st.st_mode) ? "nested too deep" : "not a regular file");
		}
	}
	prefix[prefix_len] = '\0';
	closedir(d);
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct static_file *)a)->path, ((const struct static_file *)b)->path);
}

static struct static_file *find(const struct static_files *s, const char *path)
{
	struct static_file key = {.path = (char *)path};
	return s->count > 0 ? bsearch(&key, s->files, s->count, sizeof *s->files, by_path) : NULL;
}

/* Moves every "x.gz" onto x as its gzip variant, and drops all .gz files from what is served. */
static void pair_gzip_siblings(struct static_files *s)
{
	for (size_t i = 0; i < s->count; i++) {
		struct static_file *gz = &s->files[i];
		if (!ends_with(gz->path, ".gz"))
			continue;
		char base_path[MAX_URL_PATH];
		snprintf(base_path, sizeof base_path, "%.*s", (int)(strlen(gz->path) - 3), gz->path);
		struct static_file *base = find(s, base_path);
		if (base != NULL && !ends_with(base_path, ".gz")) {
			base->gz = gz->data;
			base->gz_len = gz->len;
			gz->data = NULL;
		}
	}
	size_t kept = 0;
	for (size_t i = 0; i < s->count; i++) {
		if (ends_with(s->files[i].path, ".gz")) {
			free(s->files[i].path);
			free(s->files[i].data);
		} else {
			s->files[kept++] = s->files[i];
		}
	}
	s->count = kept;
}

struct static_files *static_files_load(const char *dir)
{
	struct static_files *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	if (dir == NULL || dir[0] == '\0') {
		log_msg(LOG_INFO, NULL, "no web front end is served (MARKETPLACE_WEB_DIR is empty)");
		return s;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		log_msg(LOG_WARN, NULL, "the web front end is not built (%s: %s): paths outside /api/ answer 404",
			dir, strerror(errno));
		return s;
	}
	struct loader l = {.s = s, .root = dir};
	char prefix[MAX_URL_PATH] = "";
	walk(&l, fd, prefix, 0, 0);
	if (l.out_of_memory) {
		log_msg(LOG_ERROR, NULL, "out of memory loading the web front end from %s", dir);
		static_files_free(s);
		return NULL;
	}
	qsort(s->files, s->count, sizeof *s->files, by_path);
	pair_gzip_siblings(s);
	s->index = find(s, "/index.html");
	if (s->index == NULL)
		log_msg(LOG_WARN, NULL, "the web front end is not built (%s has no index.html): paths outside "
			"/api/ answer 404", dir);
	else
		log_msg(LOG_INFO, NULL, "serving the web front end from %s: %zu files, %zu bytes with their "
			"gzip variants", dir, s->count, l.total);
	return s;
}

void static_files_free(struct static_files *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->count; i++) {
		free(s->files[i].path);
		free(s->files[i].data);
		free(s->files[i].gz);
	}
	free(s->files);
	free(s);
}

/* ------------------------------------------------------------ serving */

/* Whether Accept-Encoding (RFC 9110 12.5.3) accepts gzip: listed (or "*") with q above 0. */
static bool accepts_gzip(const char *header)
{
	double gzip_q = -1, any_q = -1;
	for (const char *p = header; p != NULL && *p != '\0';) {
		p += strspn(p, " \t,");
		size_t name_len = strcspn(p, " \t;,");
		double q = 1;
		const char *params = p + name_len, *end = params + strcspn(params, ",");
		const char *qp = params;
		while ((qp = memchr(qp, ';', (size_t)(end - qp))) != NULL) {
			qp += 1 + strspn(qp + 1, " \t");
			if ((*qp == 'q' || *qp == 'Q') && qp[1] == '=')
				q = strtod(qp + 2, NULL);
		}
		if ((name_len == 4 && strncasecmp(p, "gzip", 4) == 0) ||
		    (name_len == 6 && strncasecmp(p, "x-gzip", 6) == 0))
			gzip_q = q;
		else if (name_len == 1 && *p == '*')
			any_q = q;
		p = end;
	}
	return gzip_q > 0 || (gzip_q < 0 && any_q > 0);
}

static bool under_assets(const char *path) { return strncmp(path, "/assets/", 8) == 0; }

void static_files_serve(const struct static_files *s, struct request *r)
{
	const char *method = request_method_name(r);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		request_add_header(r, "Allow", "GET, HEAD");
		problem_reply(r, 405, "The web front end's files are only read, with GET or HEAD.");
		return;
	}
	if (s->index == NULL) {
		problem_reply(r, 404, "The web front end is not built on this server; the API is under /api/v1/.");
		return;
	}
	const char *path = request_path(r);
	const struct static_file *f = find(s, strcmp(path, "/") == 0 ? "/index.html" : path);
	if (f == NULL && under_assets(path)) {
		problem_reply(r, 404, "No file of the web front end lives at this path; it may be of an older build.");
		return;
	}
	if (f == NULL) /* a route of the app itself, which index.html's script draws */
		f = s->index;
	bool gzip = f->gz != NULL && accepts_gzip(request_header(r, "Accept-Encoding"));
	const char *etag = gzip ? f->gz_etag : f->etag;
	/* Hashed names change with their content; anything else is revalidated on every use. */
	request_add_header(r, "Cache-Control", under_assets(f->path) ? "public, max-age=31536000, immutable"
								       : "no-cache");
	if (f->gz != NULL)
		request_add_header(r, "Vary", "Accept-Encoding");
	if (strncmp(f->content_type, "text/html", 9) == 0) {
		request_add_header(r, "Content-Security-Policy", CSP);
		request_add_header(r, "Referrer-Policy", "same-origin");
	}
	if (respond_unchanged(r, etag))
		return;
	request_add_header(r, "ETag", etag);
	if (gzip)
		request_add_header(r, "Content-Encoding", "gzip");
	request_reply_static(r, 200, f->content_type, gzip ? f->gz : f->data, gzip ? f->gz_len : f->len);
}
