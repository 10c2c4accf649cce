-- Listings: the exchange's technology and equipment offers and demands,
-- their lifecycle (one transition table, enforced here and read by every
-- handler), full-text search, the public changes feed, notifications and
-- saved searches.

-- ------------------------------------------------------------ lifecycle

-- Every change of a listing's status is one row here: the action that
-- makes it, who may take it (the owning organisation's members, an
-- administrator, either, or the server's own timer) and whether it needs
-- a reason.  `edit` is a content change through PATCH; `delete` removes
-- the row (drafts only), so its `to` is never stored.
CREATE TABLE listing_transitions (
    action text NOT NULL CHECK (action IN ('submit', 'approve', 'reject', 'close', 'expire',
                                           'renew', 'suspend', 'reinstate', 'edit', 'delete')),
    from_status text NOT NULL,
    to_status text NOT NULL,
    actor text NOT NULL CHECK (actor IN ('owner', 'admin', 'owner_or_admin', 'system')),
    reason_required boolean NOT NULL DEFAULT false,
    PRIMARY KEY (action, from_status)
);

INSERT INTO listing_transitions (action, from_status, to_status, actor, reason_required) VALUES
    ('submit',    'draft',          'pending_review', 'owner',          false),
    ('submit',    'rejected',       'pending_review', 'owner',          false),
    ('approve',   'pending_review', 'published',      'admin',          false),
    ('reject',    'pending_review', 'rejected',       'admin',          true),
    ('close',     'published',      'closed',         'owner_or_admin', false),
    ('expire',    'published',      'expired',        'system',         false),
    ('renew',     'expired',        'pending_review', 'owner',          false),
    ('suspend',   'published',      'suspended',      'admin',          true),
    ('reinstate', 'suspended',      'published',      'admin',          false),
    ('edit',      'draft',          'draft',          'owner',          false),
    ('edit',      'pending_review', 'pending_review', 'owner',          false),
    ('edit',      'rejected',       'rejected',       'owner',          false),
    ('edit',      'published',      'pending_review', 'owner',          false),
    ('delete',    'draft',          'draft',          'owner',          false);

-- Listing references: QT-<K>-<YYYY>-<NNNNNN>, numbered per kind and year.
CREATE TABLE listing_ref_counters (
    kind_code text NOT NULL CHECK (kind_code IN ('TO', 'TD', 'EO', 'ED')),
    year integer NOT NULL,
    last integer NOT NULL,
    PRIMARY KEY (kind_code, year)
);

CREATE FUNCTION listing_kind_code(kind text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE kind WHEN 'technology_offer' THEN 'TO' WHEN 'technology_demand' THEN 'TD'
                     WHEN 'equipment_offer' THEN 'EO' WHEN 'equipment_demand' THEN 'ED' END
$$;

CREATE FUNCTION rfc3339(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

-- What search reads: title and keywords weigh most, then the summary,
-- then the description; accents and case removed so that `cong nghe say`
-- finds `công nghệ sấy`.  Never the confidential text.
CREATE FUNCTION listing_search_vector(title text, summary text, description text, keywords text[])
    RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('simple'::regconfig, public.f_unaccent(lower(title))), 'A')
        || setweight(to_tsvector('simple'::regconfig,
                                 public.f_unaccent(lower(array_to_string(keywords, ' ')))), 'A')
        || setweight(to_tsvector('simple'::regconfig, public.f_unaccent(lower(coalesce(summary, '')))), 'B')
        || setweight(to_tsvector('simple'::regconfig, public.f_unaccent(lower(coalesce(description, '')))), 'C')
$$;

CREATE FUNCTION search_text(q text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT public.f_unaccent(lower(q))
$$;

CREATE TABLE listings (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ref text NOT NULL UNIQUE CHECK (ref ~ '^QT-(TO|TD|EO|ED)-[0-9]{4}-[0-9]{6,}$'),
    kind text NOT NULL CHECK (kind IN ('technology_offer', 'technology_demand',
                                       'equipment_offer', 'equipment_demand')),
    status text NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'pending_review', 'published', 'rejected', 'closed',
                          'expired', 'suspended')),
    organization_id uuid NOT NULL REFERENCES organizations (id),
    created_by uuid REFERENCES users (id),
    title text NOT NULL CHECK (char_length(title) BETWEEN 3 AND 200),
    summary text CHECK (char_length(summary) <= 500),
    description text CHECK (char_length(description) <= 20000),
    sector text NOT NULL REFERENCES sectors (code),
    keywords text[] NOT NULL DEFAULT '{}'
        CONSTRAINT listings_keywords_check CHECK (cardinality(keywords) <= 20),
    trl smallint CHECK (trl BETWEEN 1 AND 9),
    ip_status text CHECK (ip_status IN ('none', 'patent_pending', 'patent', 'utility_solution',
                                        'industrial_design', 'plant_variety', 'trade_secret',
                                        'copyright')),
    transfer_modes text[] NOT NULL DEFAULT '{}'
        CONSTRAINT listings_transfer_modes_check
        CHECK (transfer_modes <@ ARRAY['licensing', 'assignment', 'joint_development', 'consulting',
                                       'training', 'turnkey', 'sale', 'lease']),
    price_min_vnd bigint CHECK (price_min_vnd >= 0),
    price_max_vnd bigint CHECK (price_max_vnd >= 0),
    province text NOT NULL REFERENCES provinces (slug),
    expires_at timestamptz,
    indicators text[] NOT NULL DEFAULT '{}',
    st_task text CHECK (char_length(st_task) BETWEEN 1 AND 64),
    equipment jsonb,
    confidential text CHECK (char_length(confidential) <= 20000),
    anonymous boolean NOT NULL DEFAULT false,
    status_reason text CHECK (char_length(status_reason) <= 2000),
    -- When the listing entered its status: the moderation queue's order.
    status_at timestamptz NOT NULL DEFAULT now(),
    -- When the organisation was told that its publication ends within a week.
    expiry_warned_at timestamptz,
    published_at timestamptz,
    -- The time "newest" sorts by: the last publication, else the creation.
    listed_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    search tsvector GENERATED ALWAYS AS (listing_search_vector(title, summary, description, keywords)) STORED,
    -- Title and keywords only: relevance puts the listings they match
    -- first.  Small, so it stays in the row uncompressed.
    search_head tsvector GENERATED ALWAYS AS (listing_search_vector(title, NULL, NULL, keywords)) STORED,
    title_search text GENERATED ALWAYS AS (search_text(title)) STORED,
    sector_field text GENERATED ALWAYS AS (split_part(sector, '.', 1)) STORED,
    CONSTRAINT listings_price_range CHECK (price_min_vnd IS NULL OR price_max_vnd IS NULL
                                           OR price_min_vnd <= price_max_vnd),
    CONSTRAINT listings_trl_required CHECK (kind <> 'technology_offer' OR trl IS NOT NULL),
    CONSTRAINT listings_equipment_kind CHECK ((equipment IS NOT NULL) = (kind LIKE 'equipment%')),
    CONSTRAINT listings_sale_lease_equipment CHECK (kind LIKE 'equipment%'
                                                    OR NOT transfer_modes && ARRAY['sale', 'lease'])
);

CREATE INDEX listings_published_newest_idx ON listings (listed_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX listings_published_price_idx ON listings ((coalesce(price_min_vnd, 9223372036854775807)), id)
    WHERE status = 'published';
CREATE INDEX listings_status_newest_idx ON listings (status, listed_at DESC, id DESC);
CREATE INDEX listings_organization_idx ON listings (organization_id, listed_at DESC, id DESC);
CREATE INDEX listings_kind_idx ON listings (kind, listed_at DESC) WHERE status = 'published';
CREATE INDEX listings_sector_idx ON listings (sector_field, sector) WHERE status = 'published';
CREATE INDEX listings_province_idx ON listings (province, kind) WHERE status = 'published';
CREATE INDEX listings_trl_idx ON listings (trl) WHERE status = 'published';
CREATE INDEX listings_ip_status_idx ON listings (ip_status) WHERE status = 'published';
CREATE INDEX listings_arrays_idx ON listings USING gin (transfer_modes, indicators) WHERE status = 'published';
CREATE INDEX listings_search_idx ON listings USING gin (search);
CREATE INDEX listings_title_trgm_idx ON listings USING gin (title_search gin_trgm_ops);
CREATE INDEX listings_expiry_idx ON listings (expires_at) WHERE status = 'published';
CREATE INDEX listings_pending_idx ON listings (status_at, id) WHERE status = 'pending_review';

-- The database refuses any status change the transition table does not name.
CREATE FUNCTION listings_guard_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
        SELECT 1 FROM listing_transitions t WHERE t.from_status = OLD.status AND t.to_status = NEW.status)
    THEN
        RAISE EXCEPTION 'listing status cannot change from % to %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'listings_status_transition';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER listings_guard_status BEFORE UPDATE OF status ON listings
    FOR EACH ROW EXECUTE FUNCTION listings_guard_status();

-- Indicator codes must name seeded indicators (an array cannot carry a foreign key).
CREATE FUNCTION listings_check_indicators() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(NEW.indicators) c
                WHERE NOT EXISTS (SELECT 1 FROM plan_indicators p WHERE p.code = c)) THEN
        RAISE EXCEPTION 'unknown indicator code'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'listings_indicators_fkey';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER listings_check_indicators BEFORE INSERT OR UPDATE OF indicators ON listings
    FOR EACH ROW EXECUTE FUNCTION listings_check_indicators();

-- ------------------------------------------------------------ rendering

-- Who may read a listing's confidential text and an anonymous owner's
-- name: its organisation and administrators (the deals issue adds the
-- counter-party of a deal in negotiation).  The one place that decides.
CREATE FUNCTION listing_entitled(l listings, viewer_org uuid, viewer_admin boolean)
    RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(viewer_admin, false) OR l.organization_id = viewer_org
$$;

-- A listing as a caller may see it: the one function every route renders
-- with.  PL/pgSQL, so that its plan is cached in the session: as an SQL
-- function with a FROM it cannot be inlined and was planned anew in every
-- statement, which took most of a read by id (6,500 against 14,600 reads
-- a second in pgbench on 100,000 listings).
CREATE FUNCTION listing_json(l listings, viewer_org uuid, viewer_admin boolean)
    RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    o organizations;
    entitled boolean := listing_entitled(l, viewer_org, viewer_admin);
BEGIN
    SELECT * INTO o FROM organizations x WHERE x.id = l.organization_id;
    RETURN jsonb_build_object(
        'id', l.id, 'ref', l.ref, 'kind', l.kind, 'status', l.status,
        'title', l.title, 'summary', l.summary, 'description', l.description,
        'sector', l.sector, 'keywords', to_jsonb(l.keywords), 'trl', l.trl,
        'ip_status', l.ip_status, 'transfer_modes', to_jsonb(l.transfer_modes),
        'price_min_vnd', l.price_min_vnd, 'price_max_vnd', l.price_max_vnd,
        'province', l.province, 'expires_at', rfc3339(l.expires_at),
        'indicators', to_jsonb(l.indicators), 'st_task', l.st_task, 'equipment', l.equipment,
        'anonymous', l.anonymous,
        'organization', CASE WHEN entitled OR NOT l.anonymous
            THEN jsonb_build_object('id', o.id, 'name', o.name, 'kind', o.kind,
                                    'province', o.province, 'verified', o.verified_at IS NOT NULL)
            ELSE jsonb_build_object('kind', o.kind, 'province', o.province) END,
        'status_reason', CASE WHEN entitled THEN l.status_reason END,
        'published_at', rfc3339(l.published_at), 'created_at', rfc3339(l.created_at),
        'updated_at', rfc3339(l.updated_at), 'version', l.version)
        || CASE WHEN entitled THEN jsonb_build_object('confidential', l.confidential) ELSE '{}'::jsonb END;
END
$$;

-- ------------------------------------------------------------ notifications

CREATE TABLE notifications (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN (
        'listing_approved', 'listing_rejected', 'listing_suspended', 'listing_reinstated',
        'listing_expiring', 'listing_expired', 'organization_verified', 'saved_search_match')),
    message text NOT NULL,
    listing_id uuid REFERENCES listings (id) ON DELETE CASCADE,
    data jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id, created_at DESC, id DESC)
    WHERE read_at IS NULL;

CREATE FUNCTION notification_json(n notifications) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', n.id, 'kind', n.kind, 'message', n.message, 'listing_id', n.listing_id,
        'data', n.data, 'read', n.read_at IS NOT NULL, 'read_at', rfc3339(n.read_at),
        'created_at', rfc3339(n.created_at))
$$;

-- Every member of an organisation is told, in the transaction of the event.
CREATE FUNCTION notify_organization(org uuid, kind text, message text, listing uuid, data jsonb)
    RETURNS void LANGUAGE sql AS $$
    INSERT INTO notifications (user_id, kind, message, listing_id, data)
    SELECT u.id, kind, message, listing, coalesce(data, '{}') FROM users u WHERE u.organization_id = org
$$;

-- ------------------------------------------------------------ saved searches

-- filters: the query of GET /listings, as validated by the server.
CREATE TABLE saved_searches (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    filters jsonb NOT NULL CHECK (jsonb_typeof(filters) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX saved_searches_user_idx ON saved_searches (user_id, created_at DESC, id DESC);

-- Whether listing l meets the filters of GET /listings (f: the validated
-- query, every value a string): the one definition of what each filter
-- means, used by the listing search and by saved searches.  An inlinable
-- SQL expression, so that with the filters known the planner keeps only
-- the clauses given and serves them from the indexes.  `q` is full text;
-- with "fuzzy": "true" (the server's second try for a one-word query that
-- found nothing) it matches titles by trigram word similarity instead,
-- which forgives a typo.  Filtering by organisation never reveals an
-- anonymous owner.
CREATE FUNCTION listing_meets(l listings, f jsonb) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT (f->>'kind' IS NULL OR l.kind = f->>'kind')
       AND (f->>'sector' IS NULL OR l.sector = f->>'sector' OR l.sector_field = f->>'sector')
       AND (f->>'province' IS NULL OR l.province = f->>'province')
       AND (f->>'trl_min' IS NULL OR l.trl >= (f->>'trl_min')::smallint)
       AND (f->>'trl_max' IS NULL OR l.trl <= (f->>'trl_max')::smallint)
       AND (f->>'ip_status' IS NULL OR l.ip_status = f->>'ip_status')
       AND (f->>'transfer_mode' IS NULL OR l.transfer_modes @> ARRAY[f->>'transfer_mode'])
       AND (f->>'price_max_vnd' IS NULL OR l.price_min_vnd <= (f->>'price_max_vnd')::bigint)
       AND (f->>'organization' IS NULL OR (l.organization_id = (f->>'organization')::uuid AND NOT l.anonymous))
       AND (f->>'indicator' IS NULL OR l.indicators @> ARRAY[f->>'indicator'])
       AND (f->>'q' IS NULL
            OR CASE WHEN coalesce(f->>'fuzzy' = 'true', false)
                    THEN l.title_search %> search_text(f->>'q')
                    ELSE l.search @@ websearch_to_tsquery('simple', search_text(f->>'q')) END)
$$;

-- ------------------------------------------------------------ changes feed

-- What the public sees change, in commit order: an upsert when a listing
-- is published or changes while published, a tombstone when it leaves.
-- Writers take one advisory lock before numbering, held to their commit,
-- so numbers are handed out in commit order and a consumer resuming after
-- number N never misses a change committed later with a smaller one.
CREATE TABLE listing_changes (
    seq bigint PRIMARY KEY,
    listing_id uuid NOT NULL,
    ref text NOT NULL,
    change text NOT NULL CHECK (change IN ('upsert', 'tombstone')),
    listing jsonb,
    changed_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((change = 'upsert') = (listing IS NOT NULL))
);
CREATE SEQUENCE listing_changes_seq;

CREATE FUNCTION listings_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_public boolean := TG_OP = 'UPDATE' AND OLD.status = 'published';
    is_public boolean := NEW.status = 'published';
BEGIN
    IF is_public OR was_public THEN
        PERFORM pg_advisory_xact_lock(7, 1);
        INSERT INTO listing_changes (seq, listing_id, ref, change, listing)
        VALUES (nextval('listing_changes_seq'), NEW.id, NEW.ref,
                CASE WHEN is_public THEN 'upsert' ELSE 'tombstone' END,
                CASE WHEN is_public THEN listing_json(NEW, NULL, false) END);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER listings_record_change AFTER INSERT ON listings
    FOR EACH ROW EXECUTE FUNCTION listings_record_change();
-- Every change of what a listing says or where it stands bumps its version;
-- bookkeeping (the expiry warning) does not, and is no change to publish.
CREATE TRIGGER listings_record_update AFTER UPDATE ON listings
    FOR EACH ROW WHEN (OLD.version IS DISTINCT FROM NEW.version)
    EXECUTE FUNCTION listings_record_change();

-- ------------------------------------------------------------ writes

-- A listing named by id or by ref, as the caller may see it: published
-- ones for everyone, the others for their organisation and administrators.
CREATE FUNCTION listing_visible(l listings, viewer_org uuid, viewer_admin boolean)
    RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT l.status = 'published' OR listing_entitled(l, viewer_org, viewer_admin)
$$;

CREATE FUNCTION listing_fail(name text, message text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', message USING ERRCODE = 'raise_exception', CONSTRAINT = name;
END
$$;

-- Locks the listing for a write and checks, in the order of the HTTP
-- conventions, that the caller may take `action` on it now: not visible
-- -> no row (404); not the action's actor -> listing_actor (403); a stale
-- If-Match -> listing_stale (412); a state the action does not start
-- from -> listing_state (409).  Returns the row and the transition.
CREATE FUNCTION listing_lock_for(p_id uuid, p_ref text, p_action text, p_org uuid, p_admin boolean,
                                 p_version integer, OUT l listings, OUT t listing_transitions)
    LANGUAGE plpgsql AS $$
DECLARE
    v_actor text;
    v_allowed boolean;
BEGIN
    SELECT * INTO l FROM listings x WHERE (p_id IS NOT NULL AND x.id = p_id) OR (p_ref IS NOT NULL AND x.ref = p_ref)
       FOR UPDATE;
    IF l.id IS NULL OR NOT listing_visible(l, p_org, p_admin) THEN
        l := NULL;
        RETURN;
    END IF;
    SELECT DISTINCT x.actor INTO v_actor FROM listing_transitions x WHERE x.action = p_action;
    v_allowed := CASE v_actor WHEN 'owner' THEN l.organization_id = p_org
                              WHEN 'admin' THEN p_admin
                              WHEN 'owner_or_admin' THEN p_admin OR l.organization_id = p_org
                              ELSE false END;
    IF NOT coalesce(v_allowed, false) THEN
        PERFORM listing_fail('listing_actor', 'not allowed');
    END IF;
    IF p_version IS NOT NULL AND p_version <> l.version THEN
        PERFORM listing_fail('listing_stale', 'stale');
    END IF;
    SELECT * INTO t FROM listing_transitions x WHERE x.action = p_action AND x.from_status = l.status;
    IF t.action IS NULL THEN
        PERFORM listing_fail('listing_state', format('a %s listing cannot be %s', l.status, p_action));
    END IF;
END
$$;

-- Messages the owning organisation receives, in Vietnamese.
CREATE FUNCTION listing_notice(kind text, l listings, reason text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE kind
        WHEN 'listing_approved' THEN format('Tin %s "%s" đã được duyệt và công bố trên sàn.', l.ref, l.title)
        WHEN 'listing_rejected' THEN format('Tin %s "%s" bị từ chối: %s', l.ref, l.title, reason)
        WHEN 'listing_suspended' THEN format('Tin %s "%s" bị tạm ngừng: %s', l.ref, l.title, reason)
        WHEN 'listing_reinstated' THEN format('Tin %s "%s" đã được công bố lại.', l.ref, l.title)
        WHEN 'listing_expiring' THEN format('Tin %s "%s" sẽ hết hạn vào %s; gia hạn khi hết hạn để công bố lại.',
                                            l.ref, l.title,
                                            to_char(l.expires_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'))
        WHEN 'listing_expired' THEN format('Tin %s "%s" đã hết hạn; gia hạn để công bố lại.', l.ref, l.title)
        WHEN 'saved_search_match' THEN format('Tin mới %s "%s" phù hợp với tìm kiếm đã lưu.', l.ref, l.title)
    END
$$;

-- Everything that follows a status change, in its transaction: the audit
-- row, the owner's notification, and for a new publication the saved
-- searches it meets.
CREATE FUNCTION listing_after_transition(p_old listings, p_new listings, p_action text, p_actor uuid,
                                         p_reason text, p_request text)
    RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    notice text := CASE p_action WHEN 'approve' THEN 'listing_approved' WHEN 'reject' THEN 'listing_rejected'
                                 WHEN 'suspend' THEN 'listing_suspended' WHEN 'reinstate' THEN 'listing_reinstated'
                                 WHEN 'expire' THEN 'listing_expired' END;
BEGIN
    INSERT INTO audit_log (actor_id, action, entity, entity_id, before, after, request_id)
    VALUES (p_actor, 'listing.' || p_action, 'listing', p_new.id::text,
            CASE WHEN p_old.id IS NOT NULL THEN listing_json(p_old, NULL, true) END,
            listing_json(p_new, NULL, true) || jsonb_build_object('reason', p_reason), p_request);
    IF notice IS NOT NULL THEN
        PERFORM notify_organization(p_new.organization_id, notice, listing_notice(notice, p_new, p_reason), p_new.id,
                                    jsonb_build_object('ref', p_new.ref, 'status', p_new.status, 'reason', p_reason));
    END IF;
    IF p_action = 'approve' THEN
        INSERT INTO notifications (user_id, kind, message, listing_id, data)
        SELECT s.user_id, 'saved_search_match', listing_notice('saved_search_match', p_new, NULL), p_new.id,
               jsonb_build_object('ref', p_new.ref, 'saved_search_id', s.id, 'saved_search', s.name)
          FROM saved_searches s JOIN users u ON u.id = s.user_id
         WHERE u.organization_id IS DISTINCT FROM p_new.organization_id AND listing_meets(p_new, s.filters);
    END IF;
END
$$;

-- POST /listings/{id}/<action>: one transition of the table.
CREATE FUNCTION listing_transition(p_id uuid, p_ref text, p_action text, p_user uuid, p_org uuid,
                                   p_admin boolean, p_reason text, p_version integer, p_request text,
                                   OUT doc text, OUT version integer, OUT prev_version integer)
    LANGUAGE plpgsql AS $$
DECLARE
    lk record;
    l listings;
    t listing_transitions;
    n listings;
BEGIN
    SELECT * INTO lk FROM listing_lock_for(p_id, p_ref, p_action, p_org, p_admin, p_version);
    l := lk.l;
    t := lk.t;
    IF l.id IS NULL THEN
        RETURN;
    END IF;
    IF t.reason_required AND p_reason IS NULL THEN
        PERFORM listing_fail('listing_reason', 'reason required');
    END IF;
    IF t.to_status = 'published' AND NOT EXISTS (
        SELECT 1 FROM organizations o WHERE o.id = l.organization_id AND o.verified_at IS NOT NULL) THEN
        PERFORM listing_fail('listing_unverified', 'organisation not verified');
    END IF;
    UPDATE listings x SET
        status = t.to_status, status_at = now(),
        status_reason = CASE WHEN t.reason_required THEN p_reason
                             WHEN t.to_status IN ('rejected', 'suspended') THEN x.status_reason END,
        published_at = CASE WHEN p_action = 'approve' THEN now() ELSE x.published_at END,
        listed_at = CASE WHEN p_action = 'approve' THEN now() ELSE x.listed_at END,
        expires_at = CASE WHEN p_action = 'approve' AND (x.expires_at IS NULL OR x.expires_at <= now())
                          THEN now() + interval '180 days' ELSE x.expires_at END,
        expiry_warned_at = CASE WHEN p_action = 'approve' THEN NULL ELSE x.expiry_warned_at END,
        version = x.version + 1, updated_at = now()
     WHERE x.id = l.id RETURNING * INTO n;
    PERFORM listing_after_transition(l, n, p_action, p_user, p_reason, p_request);
    doc := listing_json(n, p_org, p_admin)::text;
    version := n.version;
    prev_version := l.version;
END
$$;

-- The listing's content as stored from a validated document (create) or
-- patch (edit): members absent from p keep the value of `base`.
CREATE FUNCTION listing_apply(base listings, p jsonb) RETURNS listings LANGUAGE plpgsql AS $$
DECLARE
    r listings := base;
BEGIN
    IF p ? 'title' THEN r.title := p->>'title'; END IF;
    IF p ? 'summary' THEN r.summary := p->>'summary'; END IF;
    IF p ? 'description' THEN r.description := p->>'description'; END IF;
    IF p ? 'sector' THEN r.sector := p->>'sector'; END IF;
    IF p ? 'keywords' THEN
        r.keywords := coalesce(ARRAY(SELECT jsonb_array_elements_text(nullif(p->'keywords', 'null'))), '{}');
    END IF;
    IF p ? 'trl' THEN r.trl := (p->>'trl')::smallint; END IF;
    IF p ? 'ip_status' THEN r.ip_status := p->>'ip_status'; END IF;
    IF p ? 'transfer_modes' THEN
        r.transfer_modes := coalesce(ARRAY(SELECT jsonb_array_elements_text(nullif(p->'transfer_modes', 'null'))), '{}');
    END IF;
    IF p ? 'price_min_vnd' THEN r.price_min_vnd := (p->>'price_min_vnd')::bigint; END IF;
    IF p ? 'price_max_vnd' THEN r.price_max_vnd := (p->>'price_max_vnd')::bigint; END IF;
    IF p ? 'province' THEN r.province := p->>'province'; END IF;
    IF p ? 'expires_at' THEN r.expires_at := (p->>'expires_at')::timestamptz; END IF;
    IF p ? 'indicators' THEN
        r.indicators := coalesce(ARRAY(SELECT jsonb_array_elements_text(nullif(p->'indicators', 'null'))), '{}');
    END IF;
    IF p ? 'st_task' THEN r.st_task := p->>'st_task'; END IF;
    IF p ? 'equipment' THEN r.equipment := nullif(p->'equipment', 'null'); END IF;
    IF p ? 'confidential' THEN r.confidential := p->>'confidential'; END IF;
    IF p ? 'anonymous' THEN r.anonymous := coalesce((p->>'anonymous')::boolean, false); END IF;
    RETURN r;
END
$$;

-- POST /listings: a draft of the caller's organisation, with its reference.
CREATE FUNCTION listing_create(p jsonb, p_user uuid, p_org uuid, p_request text,
                               OUT doc text, OUT version integer, OUT prev_version integer)
    LANGUAGE plpgsql AS $$
DECLARE
    r listings;
    v_code text := listing_kind_code(p->>'kind');
    v_year integer := extract(year FROM now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::integer;
    v_number integer;
BEGIN
    INSERT INTO listing_ref_counters AS c (kind_code, year, last) VALUES (v_code, v_year, 1)
        ON CONFLICT (kind_code, year) DO UPDATE SET last = c.last + 1
        RETURNING c.last INTO v_number;
    r.id := gen_random_uuid();
    r.kind := p->>'kind';
    r.organization_id := p_org;
    r.created_by := p_user;
    r := listing_apply(r, p);
    INSERT INTO listings (id, ref, kind, organization_id, created_by, title, summary, description, sector,
                          keywords, trl, ip_status, transfer_modes, price_min_vnd, price_max_vnd, province,
                          expires_at, indicators, st_task, equipment, confidential, anonymous)
    VALUES (r.id, format('QT-%s-%s-%s', v_code, v_year, lpad(v_number::text, greatest(6, length(v_number::text)), '0')),
            r.kind, p_org, p_user, r.title, r.summary, r.description, r.sector,
            coalesce(r.keywords, '{}'), r.trl, r.ip_status, coalesce(r.transfer_modes, '{}'), r.price_min_vnd,
            r.price_max_vnd, r.province, r.expires_at, coalesce(r.indicators, '{}'), r.st_task, r.equipment,
            r.confidential, coalesce(r.anonymous, false))
    RETURNING * INTO r;
    INSERT INTO audit_log (actor_id, action, entity, entity_id, after, request_id)
    VALUES (p_user, 'listing.create', 'listing', r.id::text, listing_json(r, NULL, true), p_request);
    doc := listing_json(r, p_org, false)::text;
    version := r.version;
END
$$;

-- PATCH /listings/{id}: an edit by the owning organisation; the `edit`
-- transitions say where it leaves the listing (a published one goes back
-- to review).
CREATE FUNCTION listing_edit(p_id uuid, p_ref text, p jsonb, p_user uuid, p_org uuid, p_admin boolean,
                             p_version integer, p_request text,
                             OUT doc text, OUT version integer, OUT prev_version integer)
    LANGUAGE plpgsql AS $$
DECLARE
    lk record;
    l listings;
    t listing_transitions;
    r listings;
BEGIN
    SELECT * INTO lk FROM listing_lock_for(p_id, p_ref, 'edit', p_org, p_admin, p_version);
    l := lk.l;
    t := lk.t;
    IF l.id IS NULL THEN
        RETURN;
    END IF;
    r := listing_apply(l, p);
    UPDATE listings x SET
        title = r.title, summary = r.summary, description = r.description, sector = r.sector,
        keywords = r.keywords, trl = r.trl, ip_status = r.ip_status, transfer_modes = r.transfer_modes,
        price_min_vnd = r.price_min_vnd, price_max_vnd = r.price_max_vnd, province = r.province,
        expires_at = r.expires_at, indicators = r.indicators, st_task = r.st_task, equipment = r.equipment,
        confidential = r.confidential, anonymous = r.anonymous,
        status = t.to_status, version = x.version + 1, updated_at = now(),
        status_at = CASE WHEN t.to_status <> t.from_status THEN now() ELSE x.status_at END
     WHERE x.id = l.id RETURNING * INTO r;
    IF t.to_status <> t.from_status THEN
        PERFORM listing_after_transition(l, r, 'edit', p_user, NULL, p_request);
    END IF;
    doc := listing_json(r, p_org, p_admin)::text;
    version := r.version;
    prev_version := l.version;
END
$$;

-- DELETE /listings/{id}: drafts only, by the `delete` row of the transition table.
CREATE FUNCTION listing_delete(p_id uuid, p_ref text, p_org uuid, p_admin boolean, p_version integer,
                               p_user uuid, p_request text,
                               OUT doc text, OUT version integer, OUT prev_version integer)
    LANGUAGE plpgsql AS $$
DECLARE
    lk record;
    l listings;
BEGIN
    SELECT * INTO lk FROM listing_lock_for(p_id, p_ref, 'delete', p_org, p_admin, p_version);
    l := lk.l;
    IF l.id IS NULL THEN
        RETURN;
    END IF;
    DELETE FROM listings x WHERE x.id = l.id;
    INSERT INTO audit_log (actor_id, action, entity, entity_id, before, request_id)
    VALUES (p_user, 'listing.delete', 'listing', l.id::text, listing_json(l, NULL, true), p_request);
    doc := '{}';
    version := l.version;
    prev_version := l.version;
END
$$;

-- The expiry timer: idempotent, and safe when several instances run it at
-- once (a listing another instance holds is left to it).
CREATE FUNCTION listings_expire(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    l listings;
    n listings;
    done integer := 0;
BEGIN
    FOR l IN SELECT * FROM listings x WHERE x.status = 'published' AND x.expires_at <= now()
              ORDER BY x.expires_at LIMIT batch FOR UPDATE SKIP LOCKED
    LOOP
        UPDATE listings x SET status = 'expired', status_at = now(), version = x.version + 1, updated_at = now()
         WHERE x.id = l.id RETURNING * INTO n;
        PERFORM listing_after_transition(l, n, 'expire', NULL, NULL, 'expiry-timer');
        done := done + 1;
    END LOOP;
    RETURN done;
END
$$;

-- The week's warning before a publication ends: once per publication.
CREATE FUNCTION listings_warn_expiring(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    l listings;
    done integer := 0;
BEGIN
    FOR l IN SELECT * FROM listings x WHERE x.status = 'published' AND x.expiry_warned_at IS NULL
                AND x.expires_at <= now() + interval '7 days'
              ORDER BY x.expires_at LIMIT batch FOR UPDATE SKIP LOCKED
    LOOP
        UPDATE listings x SET expiry_warned_at = now() WHERE x.id = l.id;
        PERFORM notify_organization(l.organization_id, 'listing_expiring', listing_notice('listing_expiring', l, NULL),
                                    l.id, jsonb_build_object('ref', l.ref, 'expires_at', rfc3339(l.expires_at)));
        done := done + 1;
    END LOOP;
    RETURN done;
END
$$;

-- Keys that sign the server's opaque cursors, shared by every instance.
CREATE TABLE server_secrets (
    name text PRIMARY KEY,
    value text NOT NULL CHECK (length(value) >= 32)
);
INSERT INTO server_secrets (name, value)
VALUES ('cursor', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));
REVOKE INSERT, UPDATE, DELETE ON server_secrets FROM marketplace_serving;
