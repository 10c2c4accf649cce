-- The server serves as a role that may do what the API does and nothing
-- more: write audit rows but never update, delete or truncate them, and
-- change no schema, so that it cannot switch off the triggers that keep
-- audit_log append-only (0003) or drop the table.  Migrations connect as
-- the role that owns the schema (MARKETPLACE_MIGRATE_DATABASE_URL); the
-- server connects (MARKETPLACE_DATABASE_URL) as a login role that is a
-- member of marketplace_serving, the group that holds the grants below.
-- scripts/roles.sql creates both roles for the README's commands and for
-- docker compose; a deployment names its own login role and grants it
-- marketplace_serving.  With one role for both URLs these grants are
-- harmless, and the owner keeps every privilege.
--
-- Roles belong to the cluster, not the database: the group may exist
-- already (made by the scripts, or by this migration in another database).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'marketplace_serving') THEN
        CREATE ROLE marketplace_serving NOLOGIN;
    END IF;
EXCEPTION
    -- Created meanwhile by the migration of another database of the cluster.
    WHEN duplicate_object OR unique_violation THEN NULL;
    WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'role marketplace_serving does not exist, and % may not create it', current_user
            USING HINT = 'Create it once as a superuser: CREATE ROLE marketplace_serving NOLOGIN',
                  ERRCODE = 'insufficient_privilege';
END
$$;

-- No DDL for anyone but the owners: PostgreSQL 15 no longer lets PUBLIC
-- create in schema public, but a database upgraded from an older one still
-- does.  Temporary tables are taken away too: one named audit_log would come
-- first in the search path of the session that made it, and swallow that
-- session's audit rows.  (Only the database's owner may revoke these; for
-- anyone else PostgreSQL warns and changes nothing.)
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$;
GRANT USAGE ON SCHEMA public TO marketplace_serving;

-- Every table, sequence and function there is now, whichever migration made it...
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO marketplace_serving;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO marketplace_serving;
-- (Only the functions of this role: those of the extensions belong to the
-- superuser, and PUBLIC may execute all of them anyway.)
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid FROM pg_proc p
              WHERE p.pronamespace = 'public'::regnamespace AND p.proowner = current_user::regrole
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO marketplace_serving', f);
    END LOOP;
END
$$;

-- ...and every one that later migrations create as this role.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO marketplace_serving;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO marketplace_serving;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO marketplace_serving;

-- The exceptions: the audit log is appended to and read, never changed;
-- the reference data (0002) and the record of migrations are the
-- migrations' alone.
REVOKE UPDATE, DELETE ON audit_log FROM marketplace_serving;
REVOKE INSERT, UPDATE, DELETE ON provinces, sectors, plan_indicators, plan_task_groups FROM marketplace_serving;
REVOKE ALL ON schema_migrations FROM marketplace_serving;
