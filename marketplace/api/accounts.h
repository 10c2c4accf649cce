/* Registration, login, logout and the caller's own account; administrators' creation. */
#ifndef MARKETPLACE_ACCOUNTS_H
#define MARKETPLACE_ACCOUNTS_H

#include <stdbool.h>

#include "db.h"

struct request;

void accounts_register(struct request *r);
void accounts_login(struct request *r);
void accounts_logout(struct request *r);
void accounts_me(struct request *r);

/*
 * Creates administrator `email` with `password`, hashing on the calling
 * thread (command line and start-up only, before any event loop).  When the
 * email exists: an error, unless `if_absent`, which leaves it untouched.
 * Returns false with a one-line reason in err.
 */
bool accounts_create_admin(const char *conninfo, const char *email, const char *password,
			   bool if_absent, char *err, size_t errlen);

/* Statements, by index; the set ends with an entry without a name. */
enum {
	ACCOUNTS_REGISTER, ACCOUNTS_LOGIN_LOOKUP, ACCOUNTS_LOGIN_FAILED, ACCOUNTS_LOGIN_DROPPED,
	ACCOUNTS_LOGIN_OK, ACCOUNTS_LOGOUT, ACCOUNTS_ME,
};
extern const struct db_stmt accounts_statements[];

#endif
