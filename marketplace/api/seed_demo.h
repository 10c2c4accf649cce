/*
 * `marketplace seed-demo --listings N [--deals M]`: a living exchange for demonstrations
 * and load tests.  Adds N generated Vietnamese listings of the four kinds,
 * in every status, across fields of science and provinces, owned by a
 * handful of demo organisations (created when absent, under fixed ids, so
 * that reruns reuse them).  Set-based SQL on one synchronous connection
 * (command line only, never in the event loop): a million listings take
 * minutes, not hours.  Each run adds listings; references continue from
 * listing_ref_counters, which end above every number used, and the changes
 * feed records every published listing as the API's would.
 */
#ifndef MARKETPLACE_SEED_DEMO_H
#define MARKETPLACE_SEED_DEMO_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Adds `listings` listings, then about `deals` deals on the published ones
 * (and registers the S&T tasks the demo offers name), through `conninfo`
 * (a role that may write organisations, users, listings, deals and the
 * counters: the schema's owner); at least one of the two counts is
 * positive.  Commits in batches and prints a summary line on stdout per
 * kind.  Returns false with a one-line reason in err; batches committed
 * before a failure stay.
 */
bool seed_demo_run(const char *conninfo, int listings, int deals, char *err, size_t errlen);

#endif
