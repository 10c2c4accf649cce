-- listing_matches() returns at most its limit (50), but PostgreSQL plans a
-- set-returning function for 1,000 rows: on an exchange of a few thousand
-- listings that made joining its result to listings a hash join over the
-- whole table on every GET /listings/{id}/matches (7 of 12.7 ms at 2,000
-- listings), where a lookup by primary key per match is what is wanted.
ALTER FUNCTION listing_matches(listings, integer) ROWS 50;
