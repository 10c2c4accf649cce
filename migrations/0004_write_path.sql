-- The write path (marketplace/http/write.c): Idempotency-Key storage, and a
-- province check that writes evaluate before anything that can conflict.

-- One row per (caller, route, key): the first successful response to a
-- create, replayed to a repeat with the same body for 24 hours.  Rows are
-- written in the transaction of the write they record.
CREATE TABLE idempotency_keys (
    scope text NOT NULL,           -- 'user:<uuid>' or 'address:<client address>'
    route text NOT NULL,           -- the route's pattern, '/api/v1/auth/register'
    key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash bytea NOT NULL,   -- SHA-256 of the request body
    status int NOT NULL DEFAULT 0, -- 0 while the claiming transaction runs
    body text,
    etag text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, route, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- Returns slug when it names a province (or is NULL); else raises
-- foreign_key_violation on the organisations' province constraint, which
-- the server answers as a 422 on that field.  Writes call it where it runs
-- before any unique index is checked, so a request with a bad province gets
-- its field error even when it would also conflict (DESIGN.md section 3).
CREATE FUNCTION ref_province(slug text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF slug IS NOT NULL AND NOT EXISTS (SELECT 1 FROM provinces p WHERE p.slug = ref_province.slug) THEN
        RAISE EXCEPTION 'unknown province %', slug
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'organizations_province_fkey';
    END IF;
    RETURN slug;
END
$$;
