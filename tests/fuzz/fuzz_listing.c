/*
 * Listing bodies: POST /listings (create) and PATCH /listings/{id} (patch)
 * through listing_validate (api/listings.h), the check both handlers run:
 * listing_fields' rules (the equipment object's nested ones included),
 * then the rules across fields and the reference codes, against the fixed
 * reference data of support.c (installed with reference_install, as the
 * server loads it).  The input is the body, read as input.c reads it; the
 * same object goes through both modes.
 *
 * Beyond "no crash": every field judged by support.c's oracle of the
 * rules (a refused value has its error and is not kept, an accepted one is
 * kept as sent, a missing required one or a forbidden removal has its
 * error, one "unknown field" per unknown member); the rules across fields
 * predicted here (an unknown sector, province or indicator code, a
 * minimum price above the maximum; on create a technology offer without a
 * TRL, equipment on the wrong kind, sale or lease for a technology; on a
 * patch any kind); the 422 serialises as a valid problem; and what is
 * accepted has the shape the database is promised (required members
 * there, codes known) and serialises as the handlers send it.
 */
#include <stdlib.h>
#include <string.h>

#include "listings.h"
#include "support.h"

/* The cross-field errors listing_validate must add, given what validate_fields kept. */
static void check_across(const struct validation *v, json_t *body, json_t *values, enum field_mode mode)
{
	const char *sector = json_string_value(json_object_get(values, "sector"));
	const char *province = json_string_value(json_object_get(values, "province"));
	if (sector != NULL && !fuzz_sector_known(sector))
		FUZZ_CHECK(fuzz_has_error(v, "sector"));
	if (province != NULL && !fuzz_province_known(province))
		FUZZ_CHECK(fuzz_has_error(v, "province"));
	size_t i;
	json_t *item;
	json_array_foreach(json_object_get(values, "indicators"), i, item)
		if (!fuzz_indicator_known(json_string_value(item)))
			FUZZ_CHECK(fuzz_has_error(v, "indicators"));
	json_t *min = json_object_get(values, "price_min_vnd"), *max = json_object_get(values, "price_max_vnd");
	if (json_is_integer(min) && json_is_integer(max) && json_integer_value(min) > json_integer_value(max))
		FUZZ_CHECK(fuzz_has_error(v, "price_min_vnd"));
	if (mode == FIELDS_UPDATE) {
		if (json_object_get(body, "kind") != NULL)
			FUZZ_CHECK(fuzz_has_error(v, "kind"));
		return;
	}
	const char *kind = json_string_value(json_object_get(values, "kind"));
	if (kind == NULL)
		return;
	bool equipment_kind = strcmp(kind, "equipment_offer") == 0 || strcmp(kind, "equipment_demand") == 0;
	json_t *trl = json_object_get(body, "trl"), *equipment = json_object_get(body, "equipment");
	bool has_equipment = equipment != NULL && !json_is_null(equipment);
	if (strcmp(kind, "technology_offer") == 0 && (trl == NULL || json_is_null(trl)))
		FUZZ_CHECK(fuzz_has_error(v, "trl"));
	if (equipment_kind != has_equipment)
		FUZZ_CHECK(fuzz_has_error(v, "equipment"));
	json_array_foreach(json_object_get(values, "transfer_modes"), i, item) {
		const char *m = json_string_value(item);
		if (!equipment_kind && (strcmp(m, "sale") == 0 || strcmp(m, "lease") == 0))
			FUZZ_CHECK(fuzz_has_error(v, "transfer_modes"));
	}
}

/* What an accepted body hands the database. */
static void check_accepted(json_t *body, json_t *values, enum field_mode mode)
{
	fuzz_check_serialises(values);
	FUZZ_CHECK(json_object_size(values) <= json_object_size(body));
	const char *sector = json_string_value(json_object_get(values, "sector"));
	const char *province = json_string_value(json_object_get(values, "province"));
	FUZZ_CHECK(sector == NULL || fuzz_sector_known(sector));
	FUZZ_CHECK(province == NULL || fuzz_province_known(province));
	json_t *min = json_object_get(values, "price_min_vnd"), *max = json_object_get(values, "price_max_vnd");
	FUZZ_CHECK(!json_is_integer(min) || !json_is_integer(max) || json_integer_value(min) <= json_integer_value(max));
	if (mode == FIELDS_UPDATE) {
		FUZZ_CHECK(json_object_get(values, "kind") == NULL);
		return;
	}
	static const char *const required[] = {"kind", "title", "sector", "province", NULL};
	for (const char *const *name = required; *name != NULL; name++)
		FUZZ_CHECK(json_is_string(json_object_get(values, *name)));
	const char *kind = json_string_value(json_object_get(values, "kind"));
	bool equipment_kind = strncmp(kind, "equipment", 9) == 0;
	FUZZ_CHECK(equipment_kind == json_is_object(json_object_get(values, "equipment")));
	if (strcmp(kind, "technology_offer") == 0)
		FUZZ_CHECK(json_is_integer(json_object_get(values, "trl")));
}

static void check_mode(json_t *body, enum field_mode mode)
{
	struct validation v;
	validate_init(&v);
	json_t *values = listing_validate(&v, body, mode);
	FUZZ_CHECK(values != NULL);
	size_t unknown = fuzz_check_fields(&v, body, values, listing_fields, mode, "");
	fuzz_check_unknown(&v, unknown);
	check_across(&v, body, values, mode);
	fuzz_check_refusal(&v);
	if (validate_ok(&v))
		check_accepted(body, values, mode);
	json_decref(values);
	validate_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_install_reference();
	json_t *body = fuzz_body_json(data, size);
	if (body == NULL)
		return 0;
	check_mode(body, FIELDS_CREATE);
	check_mode(body, FIELDS_UPDATE);
	json_decref(body);
	return 0;
}
