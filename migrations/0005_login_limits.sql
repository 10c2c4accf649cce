-- Login limits that slow a guesser without locking the account's owner out
-- (issue 7, DESIGN.md section 3).  Migration 0003 counted only finished
-- failures per address, so parallel guesses from one address were all
-- checked, and it refused an email to everyone after 10 failures, so anyone
-- could lock any account, the administrator's included.

-- A row of login_failures is now an attempt that failed (pending = false,
-- `at` = when it failed) or is in flight (pending, `at` = when it started);
-- a successful login deletes its address's rows for its email.  The
-- address's count includes attempts in flight, so its index does too.
DROP INDEX login_failures_addr_idx;
CREATE INDEX login_failures_addr_idx ON login_failures (client_addr, at);

-- The rule, over the last 15 minutes (api-spec/openapi.yaml, login):
--  1. an address with 10 attempts failed or in flight, on any emails, waits
--     until the oldest failure is 15 minutes old (1 s while some are still
--     in flight);
--  2. an address with 3 attempts on the email waits 2 s after the latest of
--     them, with 4 waits 4 s, and so on, doubling;
--  3. once the email has 100 attempts from all addresses together, an
--     address with any of them waits until its latest is 15 minutes old.
-- An address with no attempt on the email is never refused for other
-- addresses' attempts, so the owner can always log in from elsewhere.
-- Locks, always address then email, serialise the attempts that read a
-- count, so that parallel attempts cannot all read it before any is recorded.
-- The signature is 0003's, so that this replaces the function in place;
-- retry_after is NULL, and attempt_id set, when the attempt may go on.
CREATE OR REPLACE FUNCTION login_attempt(p_email text, p_addr text,
        OUT email_failures integer, OUT addr_failures integer, OUT retry_after integer,
        OUT attempt_id bigint, OUT user_id uuid, OUT password_hash text)
    LANGUAGE plpgsql AS $$
DECLARE
    since constant timestamptz := now() - interval '15 minutes';
    addr_failed integer;          -- of addr_failures, those that have failed
    addr_oldest_failed timestamptz;
    pair integer;                 -- attempts on this email from this address
    pair_latest timestamptz;
    wait_until timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(2, hashtext(p_addr));
    PERFORM pg_advisory_xact_lock(1, hashtext(p_email));
    SELECT count(*), count(*) FILTER (WHERE NOT f.pending), min(f.at) FILTER (WHERE NOT f.pending),
           count(*) FILTER (WHERE f.email = p_email), max(f.at) FILTER (WHERE f.email = p_email)
      INTO addr_failures, addr_failed, addr_oldest_failed, pair, pair_latest
      FROM login_failures f
     WHERE f.client_addr = p_addr AND f.at > since;
    SELECT count(*) INTO email_failures
      FROM login_failures f
     WHERE f.email = p_email AND f.at > since;

    IF addr_failures >= 10 THEN
        wait_until := CASE WHEN addr_failed >= 10 THEN addr_oldest_failed + interval '15 minutes' ELSE now() END;
    ELSIF pair > 0 AND email_failures >= 100 THEN
        wait_until := pair_latest + interval '15 minutes';
    ELSIF pair >= 3 AND pair_latest + make_interval(secs => 2 ^ (pair - 2)) > now() THEN
        wait_until := pair_latest + make_interval(secs => 2 ^ (pair - 2));
    ELSE
        INSERT INTO login_failures (email, client_addr) VALUES (p_email, p_addr)
            RETURNING id INTO attempt_id;
        SELECT u.id, u.password_hash INTO user_id, password_hash FROM users u WHERE u.email = p_email;
        RETURN;
    END IF;
    retry_after := greatest(1, ceil(extract(epoch FROM wait_until - now())))::integer;
END;
$$;
