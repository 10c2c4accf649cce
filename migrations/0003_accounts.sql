-- Accounts, organisations, bearer tokens, login throttling and the audit log.

CREATE TABLE organizations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 2 AND 300),
    kind text NOT NULL CHECK (kind IN ('enterprise', 'research_institute', 'university',
                                       'startup', 'government', 'intermediary')),
    -- Vietnamese enterprise tax code: 10 digits, or 10 + '-' + 3 for a branch.
    tax_code text UNIQUE CHECK (tax_code ~ '^[0-9]{10}(-[0-9]{3})?$'),
    province text NOT NULL REFERENCES provinces (slug),
    address text CHECK (length(address) <= 500),
    website text CHECK (length(website) <= 300),
    description text CHECK (length(description) <= 5000),
    verified_at timestamptz,
    verified_by uuid,
    verification_note text CHECK (length(verification_note) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK ((verified_at IS NULL) = (verified_by IS NULL))
);
-- Keyset pagination of verified organisations, newest first.
CREATE INDEX organizations_verified_idx ON organizations (created_at DESC, id DESC)
    WHERE verified_at IS NOT NULL;

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
    password_hash text NOT NULL,
    display_name text NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 200),
    role text NOT NULL CHECK (role IN ('member', 'admin')),
    organization_id uuid REFERENCES organizations (id),
    is_owner boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    CONSTRAINT users_email_key UNIQUE (email),
    -- A member belongs to exactly one organisation; an administrator to none.
    CHECK ((role = 'member') = (organization_id IS NOT NULL)),
    CHECK (NOT is_owner OR role = 'member')
);
CREATE INDEX users_organization_idx ON users (organization_id);
ALTER TABLE organizations
    ADD CONSTRAINT organizations_verified_by_fkey FOREIGN KEY (verified_by) REFERENCES users (id);

-- Only the SHA-256 of a token is kept; the token itself is shown once.
CREATE TABLE tokens (
    hash bytea PRIMARY KEY CHECK (length(hash) = 32),
    user_id uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX tokens_user_idx ON tokens (user_id);

-- Failed logins, to refuse a guesser for a while (the server keeps no state).
-- A row is `pending` while its password is being checked.
CREATE TABLE login_failures (
    id bigserial PRIMARY KEY,
    email text NOT NULL,
    client_addr text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    pending boolean NOT NULL DEFAULT true
);
CREATE INDEX login_failures_email_idx ON login_failures (email, at);
CREATE INDEX login_failures_addr_idx ON login_failures (client_addr, at) WHERE NOT pending;

-- A login attempt on an email counts against it from the moment it starts
-- (as a pending row): the advisory lock serialises attempts on one email,
-- so concurrent guesses cannot all read the count before any is recorded.
-- An address counts only attempts that failed, so that many people behind
-- one address can log in at once.  A correct password clears the email's rows.
CREATE FUNCTION login_attempt(p_email text, p_addr text,
        OUT email_failures integer, OUT addr_failures integer, OUT retry_after integer,
        OUT attempt_id bigint, OUT user_id uuid, OUT password_hash text)
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1, hashtext(p_email));
    SELECT count(*) FILTER (WHERE f.email = p_email),
           count(*) FILTER (WHERE f.client_addr = p_addr AND NOT f.pending),
           greatest(1, ceil(extract(epoch FROM min(f.at) + interval '15 minutes' - now())))::integer
      INTO email_failures, addr_failures, retry_after
      FROM login_failures f
     WHERE (f.email = p_email OR (f.client_addr = p_addr AND NOT f.pending))
       AND f.at > now() - interval '15 minutes';
    IF email_failures < 10 AND addr_failures < 10 THEN
        INSERT INTO login_failures (email, client_addr) VALUES (p_email, p_addr)
            RETURNING id INTO attempt_id;
        SELECT u.id, u.password_hash INTO user_id, password_hash FROM users u WHERE u.email = p_email;
    END IF;
END;
$$;

-- Append-only: written in the same transaction as the action it records.
CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor_id uuid REFERENCES users (id),
    action text NOT NULL,
    entity text NOT NULL,
    entity_id text NOT NULL,
    before jsonb,
    after jsonb,
    request_id text
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id DESC);
CREATE INDEX audit_log_at_idx ON audit_log (at, id);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- The public representations, defined once for every statement that returns them.
CREATE FUNCTION organization_json(o organizations) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', o.id, 'name', o.name, 'kind', o.kind, 'tax_code', o.tax_code,
        'province', o.province, 'address', o.address, 'website', o.website,
        'description', o.description, 'verified', o.verified_at IS NOT NULL,
        'verified_at', to_char(o.verified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'created_at', to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'updated_at', to_char(o.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'version', o.version)
$$;

CREATE FUNCTION user_json(u users) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', u.id, 'email', u.email, 'display_name', u.display_name, 'role', u.role,
        'organization_id', u.organization_id, 'is_owner', u.is_owner,
        'created_at', to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
$$;
