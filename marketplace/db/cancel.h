/*
 * Asking PostgreSQL to cancel a backend's running statement without
 * blocking an event loop.
 *
 * PQcancel opens a connection of its own to the server and waits for the
 * server to close it, which takes as long as the network does (a host that
 * drops packets holds it for minutes).  Each cancel therefore runs on a
 * short-lived detached thread of its own: a cancel stuck on an unreachable
 * server holds up no loop and no other cancel.  At most CANCEL_MAX_RUNNING
 * run at once in the process; past that, or when a thread cannot start, the
 * caller learns it at once and resets its connection instead.
 *
 * The cancel is a request: the statement may finish before it lands, and
 * PostgreSQL then interrupts whatever that backend runs next, if anything.
 */
#ifndef MARKETPLACE_CANCEL_H
#define MARKETPLACE_CANCEL_H

#include <libpq-fe.h>
#include <stdbool.h>

#define CANCEL_MAX_RUNNING 16

/*
 * Starts cancelling what pg's backend runs now; pg stays the caller's and
 * may be closed at once (the cancel keeps its own copy of the address and
 * key).  False when nothing was started.
 */
bool cancel_start(PGconn *pg);

#endif
