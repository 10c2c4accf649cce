-- The S&T task an anonymous listing offers the result of is as telling as
-- its owner's name: the public registry (GET /st-tasks/{code}) names the
-- task's host.  Whoever may not see the owner (listing_entitled: not the
-- owning organisation, an administrator or a counter-party from
-- `negotiating` on) sees `st_task` as null, and the task's record does not
-- list such listings to them (api/st_tasks.c).  listing_json is otherwise as
-- migration 0007 wrote it.

CREATE OR REPLACE FUNCTION listing_json(l listings, viewer_org uuid, viewer_admin boolean)
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
        'indicators', to_jsonb(l.indicators), 'equipment', l.equipment,
        'st_task', CASE WHEN entitled OR NOT l.anonymous THEN l.st_task END,
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
