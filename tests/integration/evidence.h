/*
 * Evidence the harness gathers while the integration suites run, for the
 * checks that only make sense over the whole suite (tests/check_evidence.sh,
 * ctest's last test):
 *
 *   - every secret the suite used: each password sent in a JSON body
 *     ("...password": "<at least 10 characters>"), each bearer token sent,
 *     and each token a response handed out ("token": "...");
 *   - every server's log (servers started by it_server_launch), at debug
 *     level unless the test chose a level, so that the check sees every
 *     line a server can write, and the output of every command a test
 *     runs (it_proc_start: the CLI, servers of their own, shells around them);
 *   - every response body that shows the server's insides: SQL or
 *     PostgreSQL's error text, a sanitizer report, a stack trace or a
 *     source location; SQL words in a problem document.
 *
 * All of it goes to files in $MARKETPLACE_TEST_EVIDENCE_DIR (tests/CMakeLists.txt
 * sets it to <build>/evidence and empties it before the suites):
 *   secrets      "<kind>\t<secret>" lines
 *   server.log   the servers' stderr, every line
 *   leaks        "<test program> <status> <what>: <start of the body>" lines
 *   bodies       one byte per body examined (its size is the count)
 * Writes are single O_APPEND write()s, so the forked tests and their
 * servers can share the files.  Without the variable nothing is recorded
 * and servers log to the test's stderr as before.
 */
#ifndef MARKETPLACE_IT_EVIDENCE_H
#define MARKETPLACE_IT_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>

/* Is evidence being gathered (the variable is set)? */
bool evidence_on(void);

/* Bytes a test sends to a server: records the passwords and bearer tokens in them. */
void evidence_sent(const void *data, size_t len);

/*
 * A response a test received: records the tokens it hands out, and a leak
 * when the body shows the server's insides.  problem: the body is an
 * application/problem+json document (SQL words are looked for there only,
 * since other bodies echo what tests wrote, SQL-like titles included).
 */
void evidence_received(int status, bool problem, const char *body, size_t len);

/* Appends text (a command's captured output) to server.log; nothing when evidence is off. */
void evidence_log(const char *text);

/*
 * For a server about to start: a file descriptor to become its stderr,
 * read by a forwarding process that appends every line to server.log and
 * passes the warn and error lines on to this process's stderr; -1 when
 * evidence is off or the forwarder cannot start (the server then keeps
 * this process's stderr).  The caller closes it once the server has it.
 * The forwarder ends when the last writer closes the pipe.
 */
int evidence_server_stderr(void);

#endif
