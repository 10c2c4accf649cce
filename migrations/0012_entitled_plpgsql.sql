-- listing_entitled() is called by every rendering of a listing.  As an SQL
-- function with a subquery it cannot be inlined, so PostgreSQL parsed and
-- planned its body again in every statement that called it: 130 of the 230
-- microseconds GET /listings/{id} spent in listing_json() (pgbench, one
-- client, 100,000 listings).  In PL/pgSQL its plan is kept for the session,
-- and the owner's, an administrator's and an anonymous caller's answers
-- need no query at all.  Same answers as 0008's definition.
CREATE OR REPLACE FUNCTION listing_entitled(l listings, viewer_org uuid, viewer_admin boolean)
    RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF coalesce(viewer_admin, false) OR l.organization_id = viewer_org THEN
        RETURN true;
    END IF;
    IF viewer_org IS NULL THEN
        RETURN false;
    END IF;
    RETURN EXISTS (
        SELECT 1 FROM deals d
         WHERE d.listing_id = l.id AND d.initiator_org = viewer_org AND d.disclosed_at IS NOT NULL
           AND d.state IN ('negotiating', 'agreed', 'contracted', 'completed', 'disputed'));
END
$$;
