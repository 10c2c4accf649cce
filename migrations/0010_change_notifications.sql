-- The database announces the changes the server keeps copies of in
-- memory, on channel marketplace_changes, whoever makes them (the server,
-- another instance, a migration, an operator at psql):
--   'identity'  a token revoked, expired early or deleted; a user's role,
--               organisation or ownership changed, or a user deleted: the
--               servers' identity caches drop what they hold;
--   'reference' sectors, provinces or the plan's indicators changed: the
--               servers reload the lists they serve from memory.
-- Statement-level triggers: one notification per statement (PostgreSQL
-- folds equal ones of a transaction into one), sent only if it commits.

CREATE FUNCTION announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('marketplace_changes', TG_ARGV[0]);
    RETURN NULL;
END
$$;

CREATE TRIGGER tokens_announce AFTER UPDATE OF revoked_at, expires_at, user_id, hash OR DELETE OR TRUNCATE
    ON tokens FOR EACH STATEMENT EXECUTE FUNCTION announce_change('identity');
CREATE TRIGGER users_announce AFTER UPDATE OF role, organization_id, is_owner OR DELETE OR TRUNCATE
    ON users FOR EACH STATEMENT EXECUTE FUNCTION announce_change('identity');

CREATE TRIGGER sectors_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON sectors FOR EACH STATEMENT EXECUTE FUNCTION announce_change('reference');
CREATE TRIGGER provinces_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON provinces FOR EACH STATEMENT EXECUTE FUNCTION announce_change('reference');
CREATE TRIGGER plan_indicators_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON plan_indicators FOR EACH STATEMENT EXECUTE FUNCTION announce_change('reference');
