/* The application's routes and the statements their handlers prepare. */
#ifndef MARKETPLACE_ROUTES_H
#define MARKETPLACE_ROUTES_H

#include <stddef.h>

#include "db.h"
#include "router.h"

const struct route *routes_table(size_t *count);
const struct db_stmt *const *routes_statements(size_t *count);

#endif
