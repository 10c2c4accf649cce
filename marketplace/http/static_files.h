/*
 * The web front end's files (DESIGN.md section 3: paths outside /api/,
 * /healthz, /readyz and /metrics), served from memory.
 *
 * static_files_load reads the built front end (web/dist: index.html,
 * assets/<name>-<hash>.js|css, ...) once at start, before the workers run,
 * into one immutable snapshot that every worker reads without a lock; no
 * request ever touches the disk, and no request path ever becomes a
 * filesystem path: a request is answered by looking its path up among the
 * snapshot's keys, which come from the directory walk alone.
 *
 * Loading: regular files under the directory, recursively; dotfiles and
 * dot-directories are skipped, symbolic links inside it are never followed
 * (the directory itself is opened as named), and a file over
 * STATIC_FILE_MAX_BYTES, or one that would take the snapshot over
 * STATIC_TOTAL_MAX_BYTES, is refused with a log line.  A file "x.gz" next
 * to "x" is x's gzip variant, sent to clients that accept gzip; no .gz file
 * is served under its own name.  A missing or unreadable directory is
 * logged once and leaves the snapshot empty: the server runs, its non-API
 * paths answer 404 saying the front end is not built.
 */
#ifndef MARKETPLACE_STATIC_FILES_H
#define MARKETPLACE_STATIC_FILES_H

#include <stddef.h>

#define STATIC_FILE_MAX_BYTES ((size_t)8 << 20)
#define STATIC_TOTAL_MAX_BYTES ((size_t)64 << 20)

struct request;
struct static_files;

/*
 * The snapshot of dir (NULL or "": no front end, empty snapshot, no
 * warning).  NULL only when out of memory.  The caller owns it and frees it
 * with static_files_free once no worker can use it any more: replies
 * reference its bytes until they are written.
 */
struct static_files *static_files_load(const char *dir);
void static_files_free(struct static_files *s);

/*
 * Answers r, whose path is outside the API, from s: GET and HEAD only (405
 * with Allow: GET, HEAD otherwise); "/" is "/index.html"; an unknown path
 * gets index.html (the app routes it), except under /assets/ (404 problem:
 * a stale hashed asset must not get HTML).  Sets the caching, security and
 * encoding headers, answers If-None-Match with 304.  Frees r.
 */
void static_files_serve(const struct static_files *s, struct request *r);

#endif
