-- 0001_extensions.sql
-- Extensions used for accent-insensitive and fuzzy search over Vietnamese text.
-- The migrator runs this file inside a transaction; no BEGIN/COMMIT here.

CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- unaccent(text) is only STABLE (it depends on search_path to find its
-- dictionary), so it cannot be used in index expressions. This wrapper names
-- the dictionary explicitly by schema and is therefore safe to mark IMMUTABLE,
-- e.g. CREATE INDEX ... USING gin (public.f_unaccent(lower(title)) gin_trgm_ops).
CREATE OR REPLACE FUNCTION public.f_unaccent(text)
    RETURNS text
    LANGUAGE sql
    IMMUTABLE PARALLEL SAFE STRICT
RETURN public.unaccent('public.unaccent'::regdictionary, $1);

COMMENT ON FUNCTION public.f_unaccent(text) IS
    'IMMUTABLE wrapper around public.unaccent with a fixed dictionary, for use in indexes';
