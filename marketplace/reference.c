/*
 * Reference data seeded by migration.  The lists are small and complete (a
 * client fills its pickers from one call), so they are not paginated; the
 * database renders the JSON document and the handler passes it through.
 */
#include "reference.h"

#include "request.h"
#include "respond.h"

const struct db_stmt reference_provinces_stmt = {
	"reference_provinces",
	"SELECT json_build_object('items', coalesce(json_agg(json_build_object("
	" 'slug', slug, 'name_vi', name_vi, 'name_en', name_en, 'type', type,"
	" 'formed_from', formed_from) ORDER BY sort_order), '[]'), 'next_cursor', NULL)::text"
	" FROM provinces",
	0};

const struct db_stmt reference_sectors_stmt = {
	"reference_sectors",
	"SELECT json_build_object('items', coalesce(json_agg(json_build_object("
	" 'code', code, 'parent', parent_code, 'name_en', name_en, 'name_vi', name_vi)"
	" ORDER BY sort_key), '[]'), 'next_cursor', NULL)::text"
	" FROM sectors",
	0};

const struct db_stmt reference_plan_tasks_stmt = {
	"reference_plan_tasks",
	"SELECT json_build_object('items', coalesce(json_agg(json_build_object("
	" 'no', no, 'plan_section', plan_section, 'title_vi', title_vi, 'title_en', title_en,"
	" 'units', units, 'period', period) ORDER BY no), '[]'), 'next_cursor', NULL)::text"
	" FROM plan_task_groups",
	0};

static void reply_reference(struct request *r, const struct db_stmt *stmt)
{
	/* Changes only with a migration, so caches may keep it a while. */
	request_add_header(r, "Cache-Control", "public, max-age=300");
	db_query(request_db_read(r), stmt, NULL, respond_json_row, r);
}

void reference_provinces(struct request *r) { reply_reference(r, &reference_provinces_stmt); }

void reference_sectors(struct request *r) { reply_reference(r, &reference_sectors_stmt); }

void reference_plan_tasks(struct request *r) { reply_reference(r, &reference_plan_tasks_stmt); }
