/* The application the HTTP layer serves: its routes and statements. */
#ifndef MARKETPLACE_ROUTES_H
#define MARKETPLACE_ROUTES_H

#include "http_server.h"

const struct http_app *routes_app(void);

#endif
