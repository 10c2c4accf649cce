-- An anonymous listing's people are as anonymous as its organisation: a
-- counter-party not yet entitled to the organisation's name (listing_entitled,
-- the rule of `confidential`) sees the listing side's messages and events
-- without their author's user id and display name, which would name or
-- trace the organisation.  The side stays, so the conversation reads right.
-- `named` is false only for such a viewer; GET /deals/{id}/messages and
-- /events pass it (deals.c, DEALS_VISIBLE), and the one-argument functions
-- stay for the poster of a message, who is always on their own side.

CREATE FUNCTION deal_listing_side_named(d deals, viewer_org uuid, viewer_admin boolean) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT NOT l.anonymous OR coalesce(listing_entitled(l, viewer_org, viewer_admin), false)
      FROM listings l WHERE l.id = d.listing_id
$$;

CREATE FUNCTION deal_event_json(e deal_events, named boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN named OR e.actor_side <> 'listing' THEN deal_event_json(e)
                ELSE jsonb_set(deal_event_json(e), '{actor}',
                               jsonb_build_object('user_id', NULL, 'display_name', NULL, 'side', e.actor_side)) END
$$;

CREATE FUNCTION deal_message_json(m deal_messages, named boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN named OR m.author_side <> 'listing' THEN deal_message_json(m)
                ELSE jsonb_set(deal_message_json(m), '{author}',
                               jsonb_build_object('user_id', NULL, 'display_name', NULL, 'side', m.author_side)) END
$$;
