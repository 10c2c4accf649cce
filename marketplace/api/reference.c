/*
 * Reference data seeded by migration.  The lists are small and complete (a
 * client fills its pickers from one call), so they are not paginated.
 */
#include "reference.h"

#include "request.h"
#include "respond.h"

const struct db_stmt reference_statements[] = {
	[REFERENCE_PROVINCES] = {"reference_provinces",
				 "SELECT slug, name_vi, name_en, type, to_json(formed_from) FROM provinces"
				 " ORDER BY sort_order",
				 0},
	[REFERENCE_SECTORS] = {"reference_sectors",
			       "SELECT code, parent_code, name_en, name_vi FROM sectors ORDER BY sort_key", 0},
	[REFERENCE_PLAN_TASKS] = {"reference_plan_tasks",
				  "SELECT no, plan_section, title_vi, title_en, to_json(units), period"
				  " FROM plan_task_groups ORDER BY no",
				  0},
	{0},
};

static const struct item_field province_fields[] = {
	ITEM_FIELD("slug", ITEM_STRING), ITEM_FIELD("name_vi", ITEM_STRING), ITEM_FIELD("name_en", ITEM_STRING),
	ITEM_FIELD("type", ITEM_STRING), ITEM_FIELD("formed_from", ITEM_JSON),
};

static const struct item_field sector_fields[] = {
	ITEM_FIELD("code", ITEM_STRING), ITEM_FIELD("parent", ITEM_STRING), ITEM_FIELD("name_en", ITEM_STRING), ITEM_FIELD("name_vi", ITEM_STRING),
};

static const struct item_field plan_task_fields[] = {
	ITEM_FIELD("no", ITEM_NUMBER),       ITEM_FIELD("plan_section", ITEM_STRING), ITEM_FIELD("title_vi", ITEM_STRING),
	ITEM_FIELD("title_en", ITEM_STRING), ITEM_FIELD("units", ITEM_JSON),          ITEM_FIELD("period", ITEM_STRING),
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void on_provinces(const struct db_result *result, void *arg)
{
	respond_items(arg, result, province_fields, COUNT(province_fields));
}

static void on_sectors(const struct db_result *result, void *arg)
{
	respond_items(arg, result, sector_fields, COUNT(sector_fields));
}

static void on_plan_tasks(const struct db_result *result, void *arg)
{
	respond_items(arg, result, plan_task_fields, COUNT(plan_task_fields));
}

static void reply_reference(struct request *r, int stmt, db_callback cb)
{
	/* Changes only with a migration, so caches may keep it a while. */
	request_add_header(r, "Cache-Control", "public, max-age=300");
	db_query(request_db_read(r), &reference_statements[stmt], NULL, cb, r);
}

void reference_provinces(struct request *r) { reply_reference(r, REFERENCE_PROVINCES, on_provinces); }

void reference_sectors(struct request *r) { reply_reference(r, REFERENCE_SECTORS, on_sectors); }

void reference_plan_tasks(struct request *r) { reply_reference(r, REFERENCE_PLAN_TASKS, on_plan_tasks); }
