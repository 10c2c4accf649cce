-- Deals: the supply-demand connection carried from an interest to a
-- verified contract (one transition table, enforced here and read by every
-- route), their messages and events, staged disclosure of confidential
-- listings, response-time timers, and explainable matching with the
-- notifications that follow a publication once it has committed.

-- ------------------------------------------------------------ the transition table

-- The fixed reasons a declined or withdrawn deal gives: the one list.
CREATE FUNCTION deal_reasons() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['too_early', 'benefit_unclear', 'price', 'terms', 'capacity', 'description_unclear',
                 'found_elsewhere', 'other']
$$;

CREATE FUNCTION deal_reason_known(reason text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT reason = ANY (deal_reasons())
$$;

-- Every move of a deal is one row: who may make it (the listing's side,
-- the interested side, either, an administrator, or the server's timer)
-- and what it needs.  The requirements belong to the state moved to: rows
-- with the same to_state agree on them, so that a body lacking them is
-- refused (422) before the deal's state is looked at.  `both_sides`: the
-- move happens once each side has asked for it (agreement).
CREATE TABLE deal_transitions (
    from_state text NOT NULL,
    to_state text NOT NULL,
    actor text NOT NULL CHECK (actor IN ('listing', 'initiator', 'either', 'admin', 'system')),
    reason_from_list boolean NOT NULL DEFAULT false,
    statement_required boolean NOT NULL DEFAULT false,
    contract_required boolean NOT NULL DEFAULT false,
    both_sides boolean NOT NULL DEFAULT false,
    PRIMARY KEY (from_state, to_state, actor)
);

INSERT INTO deal_transitions (from_state, to_state, actor, reason_from_list, statement_required,
                              contract_required, both_sides) VALUES
    ('proposed',    'negotiating', 'listing',   false, false, false, false),
    ('proposed',    'declined',    'listing',   true,  false, false, false),
    ('proposed',    'withdrawn',   'initiator', true,  false, false, false),
    ('negotiating', 'withdrawn',   'initiator', true,  false, false, false),
    ('negotiating', 'agreed',      'either',    false, false, false, true),
    ('agreed',      'contracted',  'either',    false, false, true,  false),
    ('contracted',  'completed',   'either',    false, false, false, false),
    ('proposed',    'disputed',    'either',    false, false, false, false),
    ('negotiating', 'disputed',    'either',    false, false, false, false),
    ('agreed',      'disputed',    'either',    false, false, false, false),
    ('contracted',  'disputed',    'either',    false, false, false, false),
    ('disputed',    'negotiating', 'admin',     false, false, false, false),
    ('disputed',    'cancelled',   'admin',     false, true,  false, false),
    ('proposed',    'cancelled',   'admin',     false, true,  false, false),
    ('negotiating', 'cancelled',   'admin',     false, true,  false, false),
    ('agreed',      'cancelled',   'admin',     false, true,  false, false),
    ('contracted',  'cancelled',   'admin',     false, true,  false, false),
    ('proposed',    'lapsed',      'system',    false, false, false, false);

CREATE FUNCTION deal_open(state text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT state IN ('proposed', 'negotiating', 'agreed', 'contracted', 'disputed')
$$;

-- ------------------------------------------------------------ deals

CREATE TABLE deals (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    listing_id uuid NOT NULL REFERENCES listings (id),
    -- The two sides, and which of them supplies (the listing's side for an
    -- offer, the interested side for a demand): fixed at creation, since a
    -- listing's kind never changes.
    listing_org uuid NOT NULL REFERENCES organizations (id),
    initiator_org uuid NOT NULL REFERENCES organizations (id),
    seller_org uuid NOT NULL REFERENCES organizations (id),
    buyer_org uuid NOT NULL REFERENCES organizations (id),
    created_by uuid REFERENCES users (id),
    state text NOT NULL DEFAULT 'proposed'
        CHECK (state IN ('proposed', 'negotiating', 'agreed', 'contracted', 'completed', 'declined',
                         'withdrawn', 'lapsed', 'disputed', 'cancelled')),
    message text NOT NULL CHECK (char_length(message) BETWEEN 1 AND 5000),
    proposed_value_vnd bigint CHECK (proposed_value_vnd >= 0),
    listing_confirmed_by uuid REFERENCES users (id),
    listing_confirmed_at timestamptz,
    initiator_confirmed_by uuid REFERENCES users (id),
    initiator_confirmed_at timestamptz,
    contract_ref text CHECK (char_length(contract_ref) BETWEEN 1 AND 100),
    value_vnd bigint CHECK (value_vnd >= 0),
    -- The reason and note of the latest move that gave them.
    reason text CHECK (char_length(reason) <= 2000),
    note text CHECK (char_length(note) <= 2000),
    disputed_from text,
    -- When the deal first reached negotiation: from then on the interested
    -- side may read the listing's confidential text and anonymous owner.
    disclosed_at timestamptz,
    first_response_at timestamptz,
    reminded_at timestamptz,
    verified_at timestamptz,
    verified_by uuid REFERENCES users (id),
    state_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT deals_two_parties CHECK (listing_org <> initiator_org),
    CONSTRAINT deals_sides CHECK ((seller_org = listing_org AND buyer_org = initiator_org)
                                  OR (seller_org = initiator_org AND buyer_org = listing_org)),
    CONSTRAINT deals_contract CHECK (state NOT IN ('contracted', 'completed')
                                     OR (contract_ref IS NOT NULL AND value_vnd IS NOT NULL)),
    CONSTRAINT deals_verified CHECK ((verified_at IS NULL OR state = 'completed')
                                     AND (verified_at IS NULL) = (verified_by IS NULL)),
    CONSTRAINT deals_reason CHECK (state NOT IN ('declined', 'withdrawn') OR deal_reason_known(reason)),
    CONSTRAINT deals_agreed CHECK (state <> 'agreed'
                                   OR (listing_confirmed_at IS NOT NULL AND initiator_confirmed_at IS NOT NULL))
);

-- One open deal per listing and interested organisation.
CREATE UNIQUE INDEX deals_one_open_idx ON deals (listing_id, initiator_org) WHERE deal_open(state);
CREATE INDEX deals_listing_idx ON deals (listing_id, initiator_org, state);
CREATE INDEX deals_seller_idx ON deals (seller_org, created_at DESC, id DESC);
CREATE INDEX deals_buyer_idx ON deals (buyer_org, created_at DESC, id DESC);
CREATE INDEX deals_newest_idx ON deals (created_at DESC, id DESC);
CREATE INDEX deals_proposed_idx ON deals (state_at) WHERE state = 'proposed';
CREATE INDEX deals_disputed_idx ON deals (state_at, id) WHERE state = 'disputed';
CREATE INDEX deals_listing_org_response_idx ON deals (listing_org) WHERE first_response_at IS NOT NULL;

-- The database refuses any state change the table does not name.
CREATE FUNCTION deals_guard_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state IS DISTINCT FROM OLD.state AND NOT EXISTS (
        SELECT 1 FROM deal_transitions t WHERE t.from_state = OLD.state AND t.to_state = NEW.state)
    THEN
        RAISE EXCEPTION 'deal state cannot change from % to %', OLD.state, NEW.state
            USING ERRCODE = 'check_violation', CONSTRAINT = 'deals_state_transition';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER deals_guard_state BEFORE UPDATE OF state ON deals
    FOR EACH ROW EXECUTE FUNCTION deals_guard_state();

CREATE TABLE deal_events (
    id bigserial PRIMARY KEY,
    deal_id uuid NOT NULL REFERENCES deals (id),
    kind text NOT NULL CHECK (kind IN ('created', 'transition', 'confirmation', 'verification', 'reminder')),
    from_state text,
    to_state text,
    actor_id uuid REFERENCES users (id),
    actor_side text NOT NULL CHECK (actor_side IN ('listing', 'initiator', 'admin', 'system')),
    reason text,
    note text,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deal_events_deal_idx ON deal_events (deal_id, id);

CREATE TABLE deal_messages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deal_id uuid NOT NULL REFERENCES deals (id),
    author_id uuid NOT NULL REFERENCES users (id),
    author_side text NOT NULL CHECK (author_side IN ('listing', 'initiator', 'admin')),
    body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 5000),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deal_messages_deal_idx ON deal_messages (deal_id, created_at, id);

-- ------------------------------------------------------------ staged disclosure

-- Who may read a listing's confidential text and an anonymous owner's
-- name: its organisation, administrators, and the interested side of a
-- deal on it that has reached negotiation and is still alive.  Replaces
-- the definition of 0007, which every rendering calls.
CREATE OR REPLACE FUNCTION listing_entitled(l listings, viewer_org uuid, viewer_admin boolean)
    RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(viewer_admin, false) OR l.organization_id = viewer_org
        OR (viewer_org IS NOT NULL AND EXISTS (
            SELECT 1 FROM deals d
             WHERE d.listing_id = l.id AND d.initiator_org = viewer_org AND d.disclosed_at IS NOT NULL
               AND d.state IN ('negotiating', 'agreed', 'contracted', 'completed', 'disputed')))
$$;

-- ------------------------------------------------------------ rendering

CREATE FUNCTION deal_visible(d deals, viewer_org uuid, viewer_admin boolean) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT coalesce(viewer_admin, false) OR viewer_org IN (d.listing_org, d.initiator_org)
$$;

-- The caller's side of a deal: listing, initiator, or admin.
CREATE FUNCTION deal_side(d deals, viewer_org uuid, viewer_admin boolean) RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN viewer_org = d.listing_org THEN 'listing' WHEN viewer_org = d.initiator_org THEN 'initiator'
                WHEN viewer_admin THEN 'admin' END
$$;

CREATE FUNCTION deal_org_json(o organizations, named boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN named THEN jsonb_build_object('id', o.id, 'name', o.name, 'kind', o.kind, 'province', o.province)
                ELSE jsonb_build_object('kind', o.kind, 'province', o.province) END
$$;

CREATE FUNCTION deal_confirmation_json(by_user uuid, at timestamptz) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN at IS NOT NULL THEN jsonb_build_object('by', by_user, 'at', rfc3339(at)) ELSE 'null'::jsonb END
$$;

-- A deal as a caller may see it (the caller is a party or an
-- administrator).  PL/pgSQL for its cached plans, like listing_json.
CREATE FUNCTION deal_json(d deals, viewer_org uuid, viewer_admin boolean) RETURNS jsonb
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    l listings;
    lo organizations;
    io organizations;
    side text := deal_side(d, viewer_org, viewer_admin);
BEGIN
    SELECT * INTO l FROM listings x WHERE x.id = d.listing_id;
    SELECT * INTO lo FROM organizations x WHERE x.id = d.listing_org;
    SELECT * INTO io FROM organizations x WHERE x.id = d.initiator_org;
    RETURN jsonb_build_object(
        'id', d.id, 'state', d.state, 'version', d.version,
        'listing', jsonb_build_object('id', l.id, 'ref', l.ref, 'kind', l.kind, 'title', l.title),
        'listing_organization', deal_org_json(lo, NOT l.anonymous OR coalesce(listing_entitled(l, viewer_org, viewer_admin), false)),
        'initiator_organization', deal_org_json(io, true),
        'my_side', CASE WHEN side IN ('listing', 'initiator') THEN side END,
        'my_role', CASE WHEN viewer_org = d.seller_org THEN 'seller' WHEN viewer_org = d.buyer_org THEN 'buyer' END,
        'message', d.message, 'proposed_value_vnd', d.proposed_value_vnd,
        'confirmations', jsonb_build_object(
            'listing', deal_confirmation_json(d.listing_confirmed_by, d.listing_confirmed_at),
            'initiator', deal_confirmation_json(d.initiator_confirmed_by, d.initiator_confirmed_at)),
        'contract_ref', d.contract_ref, 'value_vnd', d.value_vnd,
        'reason', d.reason, 'note', d.note, 'disputed_from', d.disputed_from,
        'verified', d.verified_at IS NOT NULL, 'verified_at', rfc3339(d.verified_at),
        'first_response_at', rfc3339(d.first_response_at),
        'created_at', rfc3339(d.created_at), 'updated_at', rfc3339(d.updated_at),
        'state_at', rfc3339(d.state_at));
END
$$;

CREATE FUNCTION deal_event_json(e deal_events) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', e.id, 'deal_id', e.deal_id, 'kind', e.kind, 'from_state', e.from_state, 'to_state', e.to_state,
        'actor', jsonb_build_object('user_id', e.actor_id,
                                    'display_name', (SELECT u.display_name FROM users u WHERE u.id = e.actor_id),
                                    'side', e.actor_side),
        'reason', e.reason, 'note', e.note, 'at', rfc3339(e.at))
$$;

CREATE FUNCTION deal_message_json(m deal_messages) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', m.id, 'deal_id', m.deal_id,
        'author', jsonb_build_object('user_id', m.author_id,
                                     'display_name', (SELECT u.display_name FROM users u WHERE u.id = m.author_id),
                                     'side', m.author_side),
        'body', m.body, 'created_at', rfc3339(m.created_at))
$$;

-- ------------------------------------------------------------ notifications

ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
    'listing_approved', 'listing_rejected', 'listing_suspended', 'listing_reinstated',
    'listing_expiring', 'listing_expired', 'organization_verified', 'saved_search_match',
    'listing_match', 'deal_interest', 'deal_transition', 'deal_message', 'deal_reminder'));

CREATE FUNCTION deal_state_vi(state text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE state
        WHEN 'proposed' THEN 'đề xuất' WHEN 'negotiating' THEN 'đang đàm phán' WHEN 'agreed' THEN 'đã thống nhất'
        WHEN 'contracted' THEN 'đã ký hợp đồng' WHEN 'completed' THEN 'hoàn thành' WHEN 'declined' THEN 'bị từ chối'
        WHEN 'withdrawn' THEN 'đã rút' WHEN 'lapsed' THEN 'quá hạn phản hồi' WHEN 'disputed' THEN 'đang tranh chấp'
        WHEN 'cancelled' THEN 'bị hủy' ELSE state END
$$;

-- Tells the sides named (a deal side, or 'both') about the deal, in the
-- transaction of the event.
CREATE FUNCTION deal_notify(d deals, sides text, kind text, message text, extra jsonb) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM notify_organization(o, kind, message, d.listing_id,
                                jsonb_build_object('deal_id', d.id, 'state', d.state) || coalesce(extra, '{}'))
       FROM unnest(ARRAY[CASE WHEN sides IN ('listing', 'both') THEN d.listing_org END,
                         CASE WHEN sides IN ('initiator', 'both') THEN d.initiator_org END]) o
      WHERE o IS NOT NULL;
END
$$;

-- The side that did not act: told of what the other did; after an
-- administrator's or the timer's act, both.
CREATE FUNCTION deal_other_side(side text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE side WHEN 'listing' THEN 'initiator' WHEN 'initiator' THEN 'listing' ELSE 'both' END
$$;

-- The event, the audit row and the notification of a move, in its transaction.
CREATE FUNCTION deal_record(p_old deals, p_new deals, p_kind text, p_to text, p_side text, p_actor uuid,
                            p_reason text, p_note text, p_request text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    l listings;
BEGIN
    SELECT * INTO l FROM listings x WHERE x.id = p_new.listing_id;
    INSERT INTO deal_events (deal_id, kind, from_state, to_state, actor_id, actor_side, reason, note)
    VALUES (p_new.id, p_kind, p_old.state, p_to, p_actor, p_side, p_reason, p_note);
    INSERT INTO audit_log (actor_id, action, entity, entity_id, before, after, request_id)
    VALUES (p_actor,
            'deal.' || CASE p_kind WHEN 'verification' THEN 'verify' WHEN 'created' THEN 'create' ELSE p_to END,
            'deal', p_new.id::text,
            CASE WHEN p_old.id IS NOT NULL THEN deal_json(p_old, NULL, true) END,
            deal_json(p_new, NULL, true) || jsonb_build_object('reason', p_reason, 'note', p_note), p_request);
    PERFORM deal_notify(p_new, CASE p_kind WHEN 'created' THEN 'listing' ELSE deal_other_side(p_side) END,
                        CASE p_kind WHEN 'created' THEN 'deal_interest' ELSE 'deal_transition' END,
                        CASE p_kind
                            WHEN 'created' THEN format('Có tổ chức quan tâm đến tin %s "%s".', l.ref, l.title)
                            WHEN 'confirmation' THEN format('Bên kia đã xác nhận thống nhất giao dịch về tin %s "%s"; '
                                                            'hãy xác nhận để hoàn tất thỏa thuận.', l.ref, l.title)
                            WHEN 'verification' THEN format('Giao dịch về tin %s "%s" đã được Sở KH&CN xác nhận.',
                                                            l.ref, l.title)
                            ELSE format('Giao dịch về tin %s "%s" chuyển sang trạng thái: %s.', l.ref, l.title,
                                        deal_state_vi(p_to)) END, NULL);
END
$$;

-- ------------------------------------------------------------ writes

-- A refusal the write path maps to a reply (listing_fail of 0007 raises any named one).
-- 422s carry their errors as the DETAIL the server adds to the problem.
CREATE FUNCTION deal_fields_fail(errors jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'The request body has invalid fields.'
        USING ERRCODE = 'raise_exception', CONSTRAINT = 'deal_fields',
              DETAIL = jsonb_build_object('errors', errors)::text;
END
$$;

-- POST /listings/{id}/interests: a deal in `proposed` on a published
-- listing of another organisation, one open deal per listing and
-- interested organisation.
CREATE FUNCTION deal_create(p_id uuid, p_ref text, p_message text, p_value bigint, p_user uuid, p_org uuid,
                            p_request text, OUT doc text, OUT version integer, OUT prev_version integer)
    LANGUAGE plpgsql AS $$
DECLARE
    l listings;
    d deals;
    v_open uuid;
BEGIN
    -- Shared: the listing keeps its status until the deal is in.
    SELECT * INTO l FROM listings x WHERE (p_id IS NOT NULL AND x.id = p_id) OR (p_ref IS NOT NULL AND x.ref = p_ref)
       FOR SHARE;
    IF l.id IS NULL OR NOT coalesce(listing_visible(l, p_org, false), false) THEN
        RETURN;
    END IF;
    IF l.organization_id = p_org THEN
        PERFORM listing_fail('deal_own_listing', 'This is your organisation''s own listing.');
    END IF;
    IF l.status <> 'published' THEN
        PERFORM listing_fail('deal_listing_state', format('Only published listings take interests; this one is %s.', l.status));
    END IF;
    SELECT x.id INTO v_open FROM deals x WHERE x.listing_id = l.id AND x.initiator_org = p_org AND deal_open(x.state);
    IF v_open IS NOT NULL THEN
        RAISE EXCEPTION 'Your organisation already has an open deal on this listing: /api/v1/deals/%', v_open
            USING ERRCODE = 'raise_exception', CONSTRAINT = 'deal_open',
                  DETAIL = jsonb_build_object('deal_id', v_open)::text;
    END IF;
    BEGIN
        INSERT INTO deals (listing_id, listing_org, initiator_org, seller_org, buyer_org, created_by, message,
                           proposed_value_vnd)
        VALUES (l.id, l.organization_id, p_org,
                CASE WHEN l.kind LIKE '%offer' THEN l.organization_id ELSE p_org END,
                CASE WHEN l.kind LIKE '%offer' THEN p_org ELSE l.organization_id END,
                p_user, p_message, p_value)
        RETURNING * INTO d;
    EXCEPTION WHEN unique_violation THEN
        -- A twin interest committed first: point at its deal, as above.
        SELECT x.id INTO v_open FROM deals x
         WHERE x.listing_id = l.id AND x.initiator_org = p_org AND deal_open(x.state);
        RAISE EXCEPTION 'Your organisation already has an open deal on this listing: /api/v1/deals/%', v_open
            USING ERRCODE = 'raise_exception', CONSTRAINT = 'deal_open',
                  DETAIL = jsonb_build_object('deal_id', v_open)::text;
    END;
    PERFORM deal_record(NULL, d, 'created', 'proposed', 'initiator', p_user, NULL, NULL, p_request);
    doc := deal_json(d, p_org, false)::text;
    version := d.version;
END
$$;

CREATE FUNCTION deal_actor_is(actor text, side text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT actor = side OR (actor = 'either' AND side IN ('listing', 'initiator'))
$$;

-- Locks the deal for a write and checks, in the order of the HTTP
-- conventions: not a party -> no row (404); the caller may never make
-- this move -> deal_actor (403); a stale If-Match -> deal_stale (412).
CREATE FUNCTION deal_lock_for(p_id uuid, p_org uuid, p_admin boolean, p_version integer, p_to text,
                              OUT d deals, OUT side text) LANGUAGE plpgsql AS $$
BEGIN
    SELECT * INTO d FROM deals x WHERE x.id = p_id FOR UPDATE;
    IF d.id IS NULL OR NOT deal_visible(d, p_org, p_admin) THEN
        d := NULL;
        RETURN;
    END IF;
    side := deal_side(d, p_org, p_admin);
    IF p_to IS NOT NULL AND NOT EXISTS (SELECT 1 FROM deal_transitions t
                                         WHERE t.to_state = p_to AND deal_actor_is(t.actor, side)) THEN
        PERFORM listing_fail('deal_actor', format('Your side of the deal cannot move it to %s.', p_to));
    END IF;
    IF p_version IS NOT NULL AND p_version <> d.version THEN
        PERFORM listing_fail('deal_stale', 'stale');
    END IF;
END
$$;

-- POST /deals/{id}/transitions: one move of the table.
CREATE FUNCTION deal_transition(p_id uuid, p_to text, p_reason text, p_note text, p_value bigint, p_contract text,
                                p_user uuid, p_org uuid, p_admin boolean, p_version integer, p_request text,
                                OUT doc text, OUT version integer, OUT prev_version integer)
    LANGUAGE plpgsql AS $$
DECLARE
    req record;
    lk record;
    d deals;
    n deals;
    t deal_transitions;
    v_side text;
    v_to text;
    v_confirming boolean;
    v_mine_confirmed boolean;
    v_other_confirmed boolean;
    errors jsonb := '[]';
BEGIN
    SELECT bool_or(x.reason_from_list) AS reason_from_list, bool_or(x.statement_required) AS statement_required,
           bool_or(x.contract_required) AS contract_required
      INTO req FROM deal_transitions x WHERE x.to_state = p_to;
    IF req.reason_from_list AND NOT coalesce(deal_reason_known(p_reason), false) THEN
        errors := errors || jsonb_build_object('field', 'reason', 'message',
            'is required: one of too_early, benefit_unclear, price, terms, capacity, description_unclear, found_elsewhere, other');
    END IF;
    IF req.statement_required AND p_reason IS NULL AND p_note IS NULL THEN
        errors := errors || jsonb_build_object('field', 'reason', 'message', 'is required: say why (reason or note)');
    END IF;
    IF req.contract_required AND p_contract IS NULL THEN
        errors := errors || jsonb_build_object('field', 'contract_ref', 'message', 'is required: the contract''s number');
    END IF;
    IF req.contract_required AND p_value IS NULL THEN
        errors := errors || jsonb_build_object('field', 'value_vnd', 'message', 'is required: the contract''s value in VND');
    END IF;
    IF jsonb_array_length(errors) > 0 THEN
        PERFORM deal_fields_fail(errors);
    END IF;

    SELECT * INTO lk FROM deal_lock_for(p_id, p_org, p_admin, p_version, p_to);
    d := lk.d;
    v_side := lk.side;
    IF d.id IS NULL THEN
        RETURN;
    END IF;
    SELECT * INTO t FROM deal_transitions x
     WHERE x.from_state = d.state AND x.to_state = p_to AND deal_actor_is(x.actor, v_side);
    IF t.to_state IS NULL THEN
        PERFORM listing_fail('deal_state', format('A %s deal cannot move to %s.', d.state, p_to));
    END IF;
    v_confirming := t.both_sides;
    v_mine_confirmed := (CASE v_side WHEN 'listing' THEN d.listing_confirmed_at ELSE d.initiator_confirmed_at END) IS NOT NULL;
    v_other_confirmed := (CASE v_side WHEN 'listing' THEN d.initiator_confirmed_at ELSE d.listing_confirmed_at END) IS NOT NULL;
    IF v_confirming AND v_mine_confirmed THEN
        PERFORM listing_fail('deal_confirmed', 'Your side has confirmed already; the other side has not yet.');
    END IF;
    -- Agreement takes both: the first side's confirmation leaves the state as it is.
    v_to := CASE WHEN v_confirming AND NOT v_other_confirmed THEN d.state ELSE t.to_state END;
    UPDATE deals x SET
        state = v_to,
        state_at = CASE WHEN v_to <> d.state THEN now() ELSE x.state_at END,
        listing_confirmed_at = CASE WHEN v_confirming AND v_side = 'listing' THEN now()
                                    WHEN v_to = 'negotiating' AND d.state <> 'negotiating' THEN NULL
                                    ELSE x.listing_confirmed_at END,
        listing_confirmed_by = CASE WHEN v_confirming AND v_side = 'listing' THEN p_user
                                    WHEN v_to = 'negotiating' AND d.state <> 'negotiating' THEN NULL
                                    ELSE x.listing_confirmed_by END,
        initiator_confirmed_at = CASE WHEN v_confirming AND v_side = 'initiator' THEN now()
                                      WHEN v_to = 'negotiating' AND d.state <> 'negotiating' THEN NULL
                                      ELSE x.initiator_confirmed_at END,
        initiator_confirmed_by = CASE WHEN v_confirming AND v_side = 'initiator' THEN p_user
                                      WHEN v_to = 'negotiating' AND d.state <> 'negotiating' THEN NULL
                                      ELSE x.initiator_confirmed_by END,
        contract_ref = CASE WHEN t.contract_required THEN p_contract ELSE x.contract_ref END,
        value_vnd = CASE WHEN t.contract_required THEN p_value ELSE x.value_vnd END,
        reason = CASE WHEN p_reason IS NOT NULL OR p_note IS NOT NULL THEN p_reason ELSE x.reason END,
        note = CASE WHEN p_reason IS NOT NULL OR p_note IS NOT NULL THEN p_note ELSE x.note END,
        disputed_from = CASE WHEN v_to = 'disputed' THEN d.state WHEN v_to <> d.state THEN NULL ELSE x.disputed_from END,
        disclosed_at = CASE WHEN v_to = 'negotiating' THEN coalesce(x.disclosed_at, now()) ELSE x.disclosed_at END,
        first_response_at = CASE WHEN d.state = 'proposed' AND v_side = 'listing' THEN coalesce(x.first_response_at, now())
                                 ELSE x.first_response_at END,
        version = x.version + 1, updated_at = now()
     WHERE x.id = d.id RETURNING * INTO n;
    PERFORM deal_record(d, n, CASE WHEN v_to = d.state THEN 'confirmation' ELSE 'transition' END, p_to, v_side,
                        p_user, p_reason, p_note, p_request);
    doc := deal_json(n, p_org, p_admin)::text;
    version := n.version;
    prev_version := d.version;
END
$$;

-- POST /deals/{id}/verify: an administrator confirms a completed deal,
-- which from then on counts toward the plan's indicators.
CREATE FUNCTION deal_verify(p_id uuid, p_note text, p_user uuid, p_version integer, p_request text,
                            OUT doc text, OUT version integer, OUT prev_version integer)
    LANGUAGE plpgsql AS $$
DECLARE
    lk record;
    d deals;
    n deals;
BEGIN
    SELECT * INTO lk FROM deal_lock_for(p_id, NULL, true, p_version, NULL);
    d := lk.d;
    IF d.id IS NULL THEN
        RETURN;
    END IF;
    IF d.state <> 'completed' OR d.verified_at IS NOT NULL THEN
        PERFORM listing_fail('deal_state', CASE WHEN d.verified_at IS NOT NULL THEN 'The deal is verified already.'
                                                ELSE format('Only completed deals are verified; this one is %s.', d.state) END);
    END IF;
    UPDATE deals x SET verified_at = now(), verified_by = p_user, note = coalesce(p_note, x.note),
                       version = x.version + 1, updated_at = now()
     WHERE x.id = d.id RETURNING * INTO n;
    PERFORM deal_record(d, n, 'verification', NULL, 'admin', p_user, NULL, p_note, p_request);
    doc := deal_json(n, NULL, true)::text;
    version := n.version;
    prev_version := d.version;
END
$$;

-- POST /deals/{id}/messages: while the deal is open.  The listing side's
-- first word counts as its first response.
CREATE FUNCTION deal_message_create(p_id uuid, p_body text, p_user uuid, p_org uuid, p_admin boolean,
                                    OUT doc text, OUT version integer, OUT prev_version integer)
    LANGUAGE plpgsql AS $$
DECLARE
    lk record;
    d deals;
    m deal_messages;
    l listings;
BEGIN
    SELECT * INTO lk FROM deal_lock_for(p_id, p_org, p_admin, NULL, NULL);
    d := lk.d;
    IF d.id IS NULL THEN
        RETURN;
    END IF;
    IF NOT deal_open(d.state) THEN
        PERFORM listing_fail('deal_state', format('The deal is %s: its conversation is closed.', d.state));
    END IF;
    INSERT INTO deal_messages (deal_id, author_id, author_side, body) VALUES (d.id, p_user, lk.side, p_body)
    RETURNING * INTO m;
    IF lk.side = 'listing' AND d.first_response_at IS NULL THEN
        UPDATE deals x SET first_response_at = now() WHERE x.id = d.id;
    END IF;
    SELECT * INTO l FROM listings x WHERE x.id = d.listing_id;
    PERFORM deal_notify(d, deal_other_side(lk.side), 'deal_message',
                        format('Tin nhắn mới trong giao dịch về tin %s "%s".', l.ref, l.title),
                        jsonb_build_object('message_id', m.id));
    doc := deal_message_json(m)::text;
END
$$;

-- ------------------------------------------------------------ response timers

-- A week unanswered: one reminder to the listing's side.  Idempotent, and
-- safe when several instances run it (a deal another holds is left to it).
CREATE FUNCTION deals_remind(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    d deals;
    l listings;
    done integer := 0;
BEGIN
    FOR d IN SELECT * FROM deals x WHERE x.state = 'proposed' AND x.reminded_at IS NULL
                AND x.state_at <= now() - interval '7 days'
              ORDER BY x.state_at LIMIT batch FOR UPDATE SKIP LOCKED
    LOOP
        UPDATE deals x SET reminded_at = now() WHERE x.id = d.id;
        SELECT * INTO l FROM listings x WHERE x.id = d.listing_id;
        INSERT INTO deal_events (deal_id, kind, from_state, to_state, actor_side)
        VALUES (d.id, 'reminder', d.state, NULL, 'system');
        PERFORM deal_notify(d, 'listing', 'deal_reminder',
                            format('Một đề nghị về tin %s "%s" đã chờ phản hồi 7 ngày; sau 30 ngày đề nghị sẽ hết hiệu lực.',
                                   l.ref, l.title), NULL);
        done := done + 1;
    END LOOP;
    RETURN done;
END
$$;

-- Thirty days unanswered: the deal lapses (the table's `system` move).
CREATE FUNCTION deals_lapse(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    d deals;
    n deals;
    done integer := 0;
BEGIN
    FOR d IN SELECT * FROM deals x WHERE x.state = 'proposed' AND x.state_at <= now() - interval '30 days'
              ORDER BY x.state_at LIMIT batch FOR UPDATE SKIP LOCKED
    LOOP
        UPDATE deals x SET state = 'lapsed', state_at = now(), version = x.version + 1, updated_at = now()
         WHERE x.id = d.id RETURNING * INTO n;
        PERFORM deal_record(d, n, 'transition', 'lapsed', 'system', NULL, NULL, NULL, 'response-timer');
        done := done + 1;
    END LOOP;
    RETURN done;
END
$$;

-- An organisation's median time to first answer an interest in its listings.
CREATE FUNCTION organization_response_time(org uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'median_first_response_hours',
        round((percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY extract(epoch FROM d.first_response_at - d.created_at)::float8) / 3600)::numeric, 1),
        'answered', count(*))
      FROM deals d WHERE d.listing_org = org AND d.first_response_at IS NOT NULL
$$;

-- ------------------------------------------------------------ matching

-- The words of a text that say something: unaccented, lower-cased, each
-- once, without the Vietnamese and English words every text has.
CREATE FUNCTION match_words(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT w), '{}')
      FROM unnest(tsvector_to_array(to_tsvector('simple'::regconfig, search_text(coalesce(t, ''))))) w
     WHERE length(w) > 1 AND NOT w = ANY (ARRAY[
        'va', 'cua', 'cac', 'cho', 'voi', 'trong', 'duoc', 'co', 'la', 'mot', 'nhung', 'tu', 'theo', 've',
        'tai', 'de', 'tren', 'nay', 'do', 'khi', 'nhu', 'den', 'the', 'and', 'of', 'for', 'in', 'to', 'with',
        'on', 'by', 'an', 'or',
        -- "công nghệ" (technology) and "cần" (needed) head most titles.
        'cong', 'nghe', 'can'])
$$;

-- Keywords compared as search compares words: unaccented and lower-cased.
CREATE FUNCTION keyword_keys(keywords text[]) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(search_text(k)), '{}') FROM unnest(keywords) k
$$;

CREATE FUNCTION listing_complement(kind text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE kind WHEN 'technology_offer' THEN 'technology_demand' WHEN 'technology_demand' THEN 'technology_offer'
                     WHEN 'equipment_offer' THEN 'equipment_demand' WHEN 'equipment_demand' THEN 'equipment_offer' END
$$;

-- What matching compares, kept with each listing so that scoring a few
-- hundred candidates reads arrays instead of parsing their text again
-- (that took 150-240 ms a listing on 100,000).
ALTER TABLE listings
    ADD COLUMN match_terms text[] GENERATED ALWAYS AS (match_words(title || ' ' || coalesce(summary, ''))) STORED,
    ADD COLUMN keyword_terms text[] GENERATED ALWAYS AS (keyword_keys(keywords)) STORED;

-- Candidates come from indexes, newest first, a few hundred at most (the
-- ids are in the b-trees, so that those are read without the rows).
CREATE INDEX listings_match_sector_idx ON listings (kind, sector, listed_at DESC) INCLUDE (id)
    WHERE status = 'published';
CREATE INDEX listings_match_field_idx ON listings (kind, sector_field, listed_at DESC) INCLUDE (id)
    WHERE status = 'published';
CREATE INDEX listings_match_keywords_idx ON listings USING gin (keyword_terms) WHERE status = 'published';

-- The published listings that complement s, of other organisations,
-- scored (README "Matching"):
--   score = 0.25 sector + 0.25 keywords + 0.20 text + 0.10 fit + 0.10 price
--         + 0.05 province + 0.05 freshness
-- each component in 0..1 and each that matched named in `reasons`.
-- Candidates: the newest 100 of s's subfield, 50 of the rest of its
-- field, 100 sharing one of its keywords and 100 sharing a word of its
-- title or keywords.
CREATE FUNCTION listing_matches(s listings, p_limit integer)
    RETURNS TABLE (id uuid, score numeric, components jsonb, reasons text[])
    LANGUAGE plpgsql STABLE
    -- Planned for the words at hand: a common word reads the newest
    -- listings in order, a rare one its index entries.
    SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    v_kind text := listing_complement(s.kind);
    v_keys text[] := s.keyword_terms;
    v_words text[] := s.match_terms;
    v_head text[] := match_words(s.title || ' ' || array_to_string(s.keywords, ' '));
    -- Any of the words; websearch_to_tsquery, since it takes any text.
    v_query tsquery := CASE WHEN cardinality(v_head) > 0
                            THEN websearch_to_tsquery('simple', array_to_string(v_head, ' or ')) END;
BEGIN
    RETURN QUERY
    WITH candidates AS (
        (SELECT c.id FROM listings c WHERE c.status = 'published' AND c.kind = v_kind AND c.sector = s.sector
          ORDER BY c.listed_at DESC LIMIT 100)
        UNION
        (SELECT c.id FROM listings c WHERE c.status = 'published' AND c.kind = v_kind
            AND c.sector_field = s.sector_field AND c.sector <> s.sector
          ORDER BY c.listed_at DESC LIMIT 50)
        UNION
        (SELECT c.id FROM listings c WHERE cardinality(v_keys) > 0 AND c.status = 'published' AND c.kind = v_kind
            AND c.keyword_terms && v_keys
          ORDER BY c.listed_at DESC LIMIT 100)
        UNION
        (SELECT c.id FROM listings c WHERE v_query IS NOT NULL AND c.status = 'published' AND c.kind = v_kind
            AND c.search @@ v_query
          ORDER BY c.listed_at DESC LIMIT 100)
    ), pairs AS (
        SELECT c.id, c.sector, c.sector_field, c.keywords, c.province, c.listed_at,
               CASE WHEN s.kind LIKE '%offer' THEN s.trl ELSE c.trl END AS offer_trl,
               CASE WHEN s.kind LIKE '%offer' THEN c.trl ELSE s.trl END AS demand_trl,
               CASE WHEN s.kind LIKE '%offer' THEN s.transfer_modes ELSE c.transfer_modes END AS offer_modes,
               CASE WHEN s.kind LIKE '%offer' THEN c.transfer_modes ELSE s.transfer_modes END AS demand_modes,
               CASE WHEN s.kind LIKE '%offer' THEN coalesce(s.price_min_vnd, s.price_max_vnd)
                    ELSE coalesce(c.price_min_vnd, c.price_max_vnd) END AS asked,
               CASE WHEN s.kind LIKE '%offer' THEN coalesce(c.price_max_vnd, c.price_min_vnd)
                    ELSE coalesce(s.price_max_vnd, s.price_min_vnd) END AS budget,
               ARRAY(SELECT t.k FROM unnest(c.keywords, c.keyword_terms) AS t (k, term)
                      WHERE t.term = ANY (v_keys)) AS shared_keywords,
               ARRAY(SELECT w FROM unnest(c.match_terms) w WHERE w = ANY (v_words) ORDER BY w) AS shared_words,
               cardinality(c.match_terms) AS word_count
          FROM candidates cand JOIN listings c ON c.id = cand.id
         WHERE c.organization_id <> s.organization_id
    ), scored AS (
        SELECT p.*,
               CASE WHEN p.sector = s.sector THEN 1 WHEN p.sector_field = s.sector_field THEN 0.5 ELSE 0 END::numeric AS c_sector,
               CASE WHEN cardinality(s.keywords) = 0 OR cardinality(p.keywords) = 0 THEN 0
                    ELSE least(1, cardinality(p.shared_keywords)::numeric
                                  / least(cardinality(s.keywords), cardinality(p.keywords))) END AS c_keywords,
               CASE WHEN cardinality(v_words) + p.word_count = 0 THEN 0
                    ELSE 2 * cardinality(p.shared_words)::numeric / (cardinality(v_words) + p.word_count) END AS c_text,
               CASE WHEN s.kind LIKE 'technology%'
                    THEN (p.demand_trl IS NULL OR p.offer_trl >= p.demand_trl)::int
                    ELSE (NOT p.demand_modes && ARRAY['sale', 'lease'] OR p.demand_modes && p.offer_modes)::int
               END::numeric AS c_fit,
               CASE WHEN p.asked IS NULL OR p.budget IS NULL THEN 0.5
                    WHEN p.asked <= p.budget THEN 1 ELSE 0 END::numeric AS c_price,
               (p.province = s.province)::int::numeric AS c_province,
               greatest(0, 1 - extract(epoch FROM now() - p.listed_at) / 86400 / 180)::numeric AS c_freshness
          FROM pairs p
    )
    SELECT x.id,
           round(0.25 * x.c_sector + 0.25 * x.c_keywords + 0.20 * x.c_text + 0.10 * x.c_fit + 0.10 * x.c_price
                 + 0.05 * x.c_province + 0.05 * x.c_freshness, 3),
           jsonb_build_object('sector', round(x.c_sector, 3), 'keywords', round(x.c_keywords, 3),
                              'text', round(x.c_text, 3), 'fit', round(x.c_fit, 3), 'price', round(x.c_price, 3),
                              'province', round(x.c_province, 3), 'freshness', round(x.c_freshness, 3)),
           array_remove(ARRAY[
               CASE WHEN x.c_sector = 1 THEN 'cùng lĩnh vực ' || x.sector
                    WHEN x.c_sector > 0 THEN 'cùng nhóm lĩnh vực ' || x.sector_field END,
               CASE WHEN cardinality(x.shared_keywords) > 0
                    THEN 'từ khóa: ' || array_to_string(x.shared_keywords, ', ') END,
               CASE WHEN cardinality(x.shared_words) > 0
                    THEN 'nội dung tương đồng: ' || array_to_string(x.shared_words[1:5], ', ') END,
               CASE WHEN x.c_fit = 1 AND s.kind LIKE 'technology%' THEN
                        CASE WHEN x.demand_trl IS NULL THEN format('TRL %s', x.offer_trl)
                             ELSE format('TRL %s đáp ứng TRL tối thiểu %s', x.offer_trl, x.demand_trl) END
                    WHEN x.c_fit = 1 AND x.demand_modes && x.offer_modes THEN
                        'hình thức: ' || array_to_string(ARRAY(
                            SELECT CASE m WHEN 'sale' THEN 'bán' WHEN 'lease' THEN 'cho thuê' ELSE m END
                              FROM unnest(x.offer_modes) m WHERE m = ANY (x.demand_modes) AND m IN ('sale', 'lease')), ', ')
               END,
               CASE WHEN x.c_price = 1 THEN 'giá trong ngân sách' END,
               CASE WHEN x.c_province = 1
                    THEN 'cùng địa bàn: ' || (SELECT v.name_vi FROM provinces v WHERE v.slug = x.province) END,
               CASE WHEN x.listed_at > now() - interval '30 days' THEN 'mới đăng' END], NULL)
      FROM scored x
     ORDER BY 2 DESC, x.listed_at DESC, x.id
     LIMIT p_limit;
END
$$;

-- ------------------------------------------------------------ after a publication commits

-- A listing newly published (approved) is queued in the
-- transaction that publishes it; what it means for others (saved searches
-- met, organisations whose listings it matches) is worked out by
-- publications_follow_up shortly after the commit, so that the approval
-- costs one insert.
CREATE TABLE publication_queue (
    listing_id uuid PRIMARY KEY REFERENCES listings (id) ON DELETE CASCADE,
    queued_at timestamptz NOT NULL DEFAULT now()
);

-- Organisations whose listings a new publication matches this well (its
-- five best) are told of it.
CREATE FUNCTION match_notice_threshold() RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT 0.5 $$;

CREATE OR REPLACE FUNCTION listing_after_transition(p_old listings, p_new listings, p_action text, p_actor uuid,
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
        INSERT INTO publication_queue (listing_id) VALUES (p_new.id) ON CONFLICT DO NOTHING;
    END IF;
END
$$;

-- The follow-ups of a batch of publications: idempotent, and safe when
-- several instances run it (a queued listing another holds is left to it).
CREATE FUNCTION publications_follow_up(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    q publication_queue;
    p listings;
    done integer := 0;
BEGIN
    FOR q IN SELECT * FROM publication_queue x ORDER BY x.queued_at LIMIT batch FOR UPDATE SKIP LOCKED
    LOOP
        DELETE FROM publication_queue x WHERE x.listing_id = q.listing_id;
        SELECT * INTO p FROM listings x WHERE x.id = q.listing_id;
        CONTINUE WHEN p.status IS DISTINCT FROM 'published';
        INSERT INTO notifications (user_id, kind, message, listing_id, data)
        SELECT s.user_id, 'saved_search_match', listing_notice('saved_search_match', p, NULL), p.id,
               jsonb_build_object('ref', p.ref, 'saved_search_id', s.id, 'saved_search', s.name)
          FROM saved_searches s JOIN users u ON u.id = s.user_id
         WHERE u.organization_id IS DISTINCT FROM p.organization_id AND listing_meets(p, s.filters);
        -- Each organisation once, for its best-matching listing.
        PERFORM notify_organization(b.organization_id, 'listing_match',
                                    format('Tin mới %s "%s" phù hợp với tin %s "%s" của bạn (mức phù hợp %s%%).',
                                           p.ref, p.title, b.ref, b.title, round(b.score * 100)),
                                    p.id, jsonb_build_object('ref', p.ref, 'match_listing_id', b.id,
                                                             'match_ref', b.ref, 'score', b.score))
           FROM (SELECT DISTINCT ON (c.organization_id) c.organization_id, c.id, c.ref, c.title, m.score
                   FROM listing_matches(p, 5) m JOIN listings c ON c.id = m.id
                  WHERE m.score >= match_notice_threshold()
                  ORDER BY c.organization_id, m.score DESC) b;
        done := done + 1;
    END LOOP;
    RETURN done;
END
$$;
