/* Operational endpoints: liveness, readiness, metrics and the API description. */
#ifndef MARKETPLACE_OPS_H
#define MARKETPLACE_OPS_H

#include "db.h"

struct request;

void ops_healthz(struct request *r);
void ops_readyz(struct request *r);
void ops_metrics(struct request *r);
void ops_openapi(struct request *r);

/* Statements, by index; the set ends with an entry without a name. */
enum { OPS_PING };
extern const struct db_stmt ops_statements[];

#endif
