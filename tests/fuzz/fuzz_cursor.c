/*
 * Cursors: cursor_encode and cursor_decode (http/query.h), signed with a
 * fixed key as the server signs them with the database's, and the
 * per-resource splitting of a decoded cursor: cursor_time_id (what
 * query_time_id_cursor runs for deals, messages and saved searches),
 * listing_cursor_keys (GET /listings, for each sort's letter) and
 * listing_changes_position (the changes feed's since=).  The input's first
 * two bytes pick a position and a bit pattern to alter; the rest is used
 * twice: as a cursor a client sends (decoded, then split as each resource
 * splits it), and as the keys a page statement writes (encoded, then
 * decoded back and split).
 *
 * Beyond "no crash": decode(encode(x)) == x for any text that fits the
 * 160 bytes of struct query's cursor, and the same cursor with any one
 * byte altered is refused; a cursor the feed's 24 bytes cannot hold is
 * refused, not cut; each split accepts exactly the shape an oracle written
 * here describes ("<time>|<uuid>"; "<letter>|<key>|<uuid>" with the sort's
 * letter in either case; digits only), gives back parts that join to the
 * text, and leaves what it refuses untouched.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "listings.h"
#include "query.h"
#include "support.h"

#define CURSOR_TEXT 160 /* sizeof ((struct query *)0)->cursor */

static bool uuid_shaped(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static void check_time_id(const char *text)
{
	char *copy = strdup(text);
	FUZZ_CHECK(copy != NULL);
	const char *time = NULL, *id = NULL;
	const char *bar = strchr(text, '|');
	bool expected = bar != NULL && uuid_shaped(bar + 1);
	FUZZ_CHECK(cursor_time_id(copy, &time, &id) == expected);
	if (expected) {
		FUZZ_CHECK(time == copy && strlen(time) == (size_t)(bar - text) && strncmp(time, text, strlen(time)) == 0);
		FUZZ_CHECK(strcmp(id, bar + 1) == 0);
	} else {
		FUZZ_CHECK(strcmp(copy, text) == 0 && time == NULL && id == NULL);
	}
	free(copy);
}

static void check_listing_keys(const char *text, char letter)
{
	char *copy = strdup(text);
	FUZZ_CHECK(copy != NULL);
	char *key = NULL, *last_id = NULL;
	bool fuzzy = false;
	const char *second = text[0] != '\0' && text[1] == '|' ? strchr(text + 2, '|') : NULL;
	bool upper = text[0] == toupper((unsigned char)letter);
	bool expected = (text[0] == letter || upper) && second != NULL && uuid_shaped(second + 1);
	FUZZ_CHECK(listing_cursor_keys(copy, letter, &key, &last_id, &fuzzy) == expected);
	if (expected) {
		FUZZ_CHECK(fuzzy == upper && key == copy + 2);
		FUZZ_CHECK(strlen(key) == (size_t)(second - text - 2) && strncmp(key, text + 2, strlen(key)) == 0);
		FUZZ_CHECK(strcmp(last_id, second + 1) == 0 && strchr(key, '|') == NULL);
	} else {
		FUZZ_CHECK(strcmp(copy, text) == 0 && key == NULL && last_id == NULL);
	}
	free(copy);
}

/* Every resource's split of a decoded cursor. */
static void check_splits(const char *text)
{
	check_time_id(text);
	check_listing_keys(text, 'n');
	check_listing_keys(text, 'p');
	check_listing_keys(text, 'r');
}

/* The feed's position of an encoded cursor: its text when that is digits and fits, else refused. */
static void check_changes(const char *encoded, const char *text)
{
	char seq[LISTING_POSITION_SIZE];
	size_t n = text != NULL ? strlen(text) : 0;
	bool expected = text != NULL && n > 0 && n < sizeof seq && strspn(text, "0123456789") == n;
	FUZZ_CHECK(listing_changes_position(encoded, seq) == expected);
	FUZZ_CHECK(!expected || strcmp(seq, text) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char key[] = "fuzz cursor key: 32 bytes long..";
	query_set_cursor_key(key, sizeof key - 1);
	if (size < 2)
		return 0;
	char *text = fuzz_cstring(data + 2, size - 2);

	/* As a client's cursor. */
	char decoded[CURSOR_TEXT];
	if (cursor_decode(text, decoded, sizeof decoded)) {
		check_splits(decoded);
		check_changes(text, decoded);
	} else {
		FUZZ_CHECK(decoded[0] == '\0');
		check_changes(text, NULL);
	}

	/* As keys a statement writes: encoded, decoded back, altered. */
	size_t len = strlen(text);
	if (len > 0 && len < CURSOR_TEXT) {
		char encoded[CURSOR_TEXT * 2], back[CURSOR_TEXT];
		FUZZ_CHECK(cursor_encode(text, encoded, sizeof encoded));
		FUZZ_CHECK(cursor_decode(encoded, back, sizeof back) && strcmp(back, text) == 0);
		check_splits(back);
		check_changes(encoded, text);
		size_t at = data[0] % strlen(encoded);
		unsigned char flip = data[1] != 0 ? data[1] : 1;
		encoded[at] = (char)((unsigned char)encoded[at] ^ flip);
		FUZZ_CHECK(!cursor_decode(encoded, back, sizeof back));
	}
	free(text);
	return 0;
}
