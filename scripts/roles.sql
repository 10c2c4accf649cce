-- The server's login role, for the README's commands (scripts/common.sh's
-- pg_start) and for docker compose, run by a superuser; idempotent.
--   psql -v serve_role=marketplace_app [-v serve_password=...] -f scripts/roles.sql
-- serve_role logs in for `marketplace serve` (MARKETPLACE_DATABASE_URL) and
-- is a member of marketplace_serving, the group to which
-- migrations/0006_serving_role.sql grants what the server needs (the
-- migration creates the group too, when the role that migrates may).
-- serve_password: set (or changed) when given and not empty; a local
-- cluster with trust authentication needs none.
SET client_min_messages = warning;
\if :{?serve_password}
\else
\set serve_password ''
\endif

SELECT 'CREATE ROLE marketplace_serving NOLOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'marketplace_serving') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'serve_role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'serve_role') \gexec
SELECT format('GRANT marketplace_serving TO %I', :'serve_role') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'serve_role', :'serve_password')
 WHERE :'serve_password' <> '' \gexec
