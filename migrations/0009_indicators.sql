-- The exchange linked to Plan 43/KH-SKHCN: the registry of provincial S&T
-- tasks, the indicators' yearly values (computed from verified completed
-- deals, or set by an administrator), their status against the plan's
-- targets, the plan's task groups with what serves them, and the summary
-- report.  Years are calendar years in Vietnam's time.

-- ------------------------------------------------------------ the catalogue

-- The period each indicator is followed over, and the task group of the
-- plan's appendix whose work it measures (from the plan's text: applying
-- S&T results and protecting the key products' IP are II.3; productivity
-- tools, startups, S&T enterprises, incubators and the exchange itself are
-- II.4; the 2045 vision belongs to no one group).
ALTER TABLE plan_indicators
    ADD COLUMN period_from integer NOT NULL DEFAULT 2023,
    ADD COLUMN period_to integer NOT NULL DEFAULT 2030,
    ADD COLUMN task_group integer REFERENCES plan_task_groups (no);
UPDATE plan_indicators SET period_to = 2045 WHERE code = 'KH43-V2045';
UPDATE plan_indicators SET task_group = 3 WHERE code IN ('KH43-T1', 'KH43-T2');
UPDATE plan_indicators SET task_group = 4 WHERE code IN ('KH43-T3', 'KH43-T4', 'KH43-T5', 'KH43-T6', 'KH43-X1');

CREATE FUNCTION local_year(t timestamptz) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT extract(year FROM t AT TIME ZONE 'Asia/Ho_Chi_Minh')::integer
$$;

-- ------------------------------------------------------------ S&T tasks

CREATE TABLE st_tasks (
    -- Letters (Vietnamese ones too), digits and . / _ - (the server checks
    -- which characters; the database that there is no space or control).
    code text PRIMARY KEY CHECK (char_length(code) BETWEEN 1 AND 64 AND code !~ '[[:space:][:cntrl:]]'),
    title text NOT NULL CHECK (char_length(title) BETWEEN 3 AND 500),
    host_organization text NOT NULL CHECK (char_length(host_organization) BETWEEN 2 AND 300),
    organization_id uuid REFERENCES organizations (id),
    year_accepted integer NOT NULL CHECK (year_accepted BETWEEN 2000 AND 2100),
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX st_tasks_year_idx ON st_tasks (year_accepted DESC, code);
CREATE INDEX listings_st_task_idx ON listings (st_task) WHERE st_task IS NOT NULL;

CREATE FUNCTION st_task_json(t st_tasks) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('code', t.code, 'title', t.title, 'host_organization', t.host_organization,
                              'organization_id', t.organization_id, 'year_accepted', t.year_accepted,
                              'created_at', rfc3339(t.created_at))
$$;

CREATE FUNCTION st_task_create(p jsonb, p_user uuid, p_request text,
                               OUT doc text, OUT version integer, OUT prev_version integer)
    LANGUAGE plpgsql AS $$
DECLARE
    t st_tasks;
BEGIN
    INSERT INTO st_tasks (code, title, host_organization, organization_id, year_accepted, created_by)
    VALUES (p->>'code', p->>'title', p->>'host_organization', (p->>'organization_id')::uuid,
            (p->>'year_accepted')::integer, p_user)
    RETURNING * INTO t;
    INSERT INTO audit_log (actor_id, action, entity, entity_id, after, request_id)
    VALUES (p_user, 'st_task.create', 'st_task', t.code, st_task_json(t), p_request);
    doc := st_task_json(t)::text;
END
$$;

-- ------------------------------------------------------------ values

-- What an administrator records: a manual indicator's value for a year
-- (numbers, or text for the 2045 vision), or KH43-T3's enterprise base.
CREATE TABLE indicator_values (
    code text NOT NULL REFERENCES plan_indicators (code),
    year integer NOT NULL CHECK (year BETWEEN 2023 AND 2045),
    value numeric,
    value_text text CHECK (char_length(value_text) BETWEEN 1 AND 2000),
    base integer CHECK (base >= 1),
    note text CHECK (char_length(note) <= 2000),
    updated_by uuid REFERENCES users (id),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (code, year),
    CHECK (num_nonnulls(value, value_text, base) = 1)
);

CREATE FUNCTION indicator_value_json(v indicator_values) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('value', coalesce(to_jsonb(v.value), to_jsonb(v.value_text)), 'base', v.base,
                              'note', v.note)
$$;

-- PUT /indicators/{code}/values/{year}: the server has checked the year
-- against the indicator's period, that it is set by hand, and the value's
-- type against its unit (the catalogue, read at start); p_value is the
-- JSON value as sent.  No row when the plan has no such indicator.
CREATE FUNCTION indicator_value_set(p_code text, p_year integer, p_value jsonb, p_base integer, p_note text,
                                    p_user uuid, p_request text,
                                    OUT doc text, OUT version integer, OUT prev_version integer)
    LANGUAGE plpgsql AS $$
DECLARE
    i plan_indicators;
    old indicator_values;
    n indicator_values;
BEGIN
    SELECT * INTO i FROM plan_indicators x WHERE x.code = p_code;
    IF i.code IS NULL THEN
        RETURN;
    END IF;
    SELECT * INTO old FROM indicator_values x WHERE x.code = p_code AND x.year = p_year FOR UPDATE;
    INSERT INTO indicator_values AS x (code, year, value, value_text, base, note, updated_by, updated_at)
    VALUES (p_code, p_year, CASE WHEN jsonb_typeof(p_value) = 'number' THEN (p_value #>> '{}')::numeric END,
            CASE WHEN jsonb_typeof(p_value) = 'string' THEN p_value #>> '{}' END, p_base, p_note, p_user, now())
    ON CONFLICT (code, year) DO UPDATE SET value = excluded.value, value_text = excluded.value_text,
        base = excluded.base, note = excluded.note, updated_by = excluded.updated_by, updated_at = now()
    RETURNING * INTO n;
    INSERT INTO audit_log (actor_id, action, entity, entity_id, before, after, request_id)
    VALUES (p_user, 'indicator.value', 'indicator', p_code || '/' || p_year,
            CASE WHEN old.code IS NOT NULL THEN indicator_value_json(old) END, indicator_value_json(n), p_request);
    doc := (jsonb_build_object('code', n.code, 'year', n.year, 'updated_at', rfc3339(n.updated_at),
                               'previous', CASE WHEN old.code IS NOT NULL THEN indicator_value_json(old) END)
            || indicator_value_json(n))::text;
END
$$;

-- ------------------------------------------------------------ computed series

-- What a deal counts toward, kept on the deal (set when it is made, and
-- again when it is verified: what the Department verified): the S&T task
-- its offer names (KH43-T1) and the indicators its listing serves.  So
-- the indicators read deals alone, not a listing per deal (that join took
-- 0.2-0.4 s on 100,000 deals and a million listings).
ALTER TABLE deals ADD COLUMN indicator_task text, ADD COLUMN indicator_codes text[] NOT NULL DEFAULT '{}';

CREATE FUNCTION deals_note_indicators() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR (NEW.verified_at IS NOT NULL AND OLD.verified_at IS NULL) THEN
        SELECT CASE WHEN l.kind LIKE '%offer' THEN l.st_task END, l.indicators
          INTO NEW.indicator_task, NEW.indicator_codes
          FROM listings l WHERE l.id = NEW.listing_id;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER deals_note_indicators BEFORE INSERT OR UPDATE OF verified_at ON deals
    FOR EACH ROW EXECUTE FUNCTION deals_note_indicators();
UPDATE deals d SET indicator_task = CASE WHEN l.kind LIKE '%offer' THEN l.st_task END, indicator_codes = l.indicators
  FROM listings l WHERE l.id = d.listing_id;

-- Verified completed deals, counted in the year they were completed.
CREATE INDEX deals_verified_idx ON deals (state_at) WHERE state = 'completed' AND verified_at IS NOT NULL;

CREATE VIEW verified_deals AS
    SELECT d.*, local_year(d.state_at) AS year FROM deals d
     WHERE d.state = 'completed' AND d.verified_at IS NOT NULL;

-- One row per year of 2023-2030 and indicator, with the members of its
-- series point (value first).
CREATE FUNCTION indicator_series(i plan_indicators) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    points jsonb;
BEGIN
    IF i.code = 'KH43-T1' THEN
        WITH used AS MATERIALIZED (
            SELECT v.indicator_task AS code, min(v.year) AS first_year, array_agg(DISTINCT v.year) AS years
              FROM verified_deals v WHERE v.indicator_task IS NOT NULL
             GROUP BY v.indicator_task
        ), applied AS MATERIALIZED (
            SELECT t.code, t.year_accepted, u.first_year, u.years FROM st_tasks t LEFT JOIN used u USING (code)
        )
        SELECT jsonb_agg(jsonb_build_object(
                   'year', y, 'value', CASE WHEN reg > 0 THEN round(100.0 * app / reg, 2) END,
                   'year_value', CASE WHEN reg > 0 THEN round(100.0 * app_year / reg, 2) END,
                   'tasks_registered', reg, 'tasks_applied', app, 'tasks_applied_in_year', app_year) ORDER BY y)
          INTO points
          FROM generate_series(2023, 2030) y,
               LATERAL (SELECT count(*) FILTER (WHERE a.year_accepted <= y) AS reg,
                               count(*) FILTER (WHERE a.year_accepted <= y AND a.first_year <= y) AS app,
                               count(*) FILTER (WHERE a.year_accepted <= y AND y = ANY (a.years)) AS app_year
                          FROM applied a) c;
    ELSIF i.code = 'KH43-T3' THEN
        WITH linked AS MATERIALIZED (
            SELECT v.year, v.listing_org, v.initiator_org FROM verified_deals v
             WHERE v.year BETWEEN 2023 AND 2030 AND v.indicator_codes @> ARRAY['KH43-T3']
        ), supported AS (
            SELECT k.year, count(DISTINCT o.id) AS n
              FROM linked k CROSS JOIN LATERAL (VALUES (k.listing_org), (k.initiator_org)) AS party (id)
              JOIN organizations o ON o.id = party.id AND o.kind = 'enterprise'
             GROUP BY k.year
        )
        SELECT jsonb_agg(jsonb_build_object(
                   'year', y, 'value', CASE WHEN b.base IS NOT NULL THEN round(100.0 * coalesce(e.n, 0) / b.base, 2) END,
                   'enterprises', coalesce(e.n, 0), 'base', b.base, 'note', b.note) ORDER BY y)
          INTO points
          FROM generate_series(2023, 2030) y
          LEFT JOIN indicator_values b ON b.code = i.code AND b.year = y
          LEFT JOIN supported e ON e.year = y;
    ELSIF i.code = 'KH43-X1' THEN
        SELECT jsonb_agg(jsonb_build_object('year', y, 'value', coalesce(x.n, 0),
                                            'value_vnd', coalesce(x.total, 0)) ORDER BY y)
          INTO points
          FROM generate_series(2023, 2030) y
          LEFT JOIN (SELECT v.year, count(*) AS n, sum(v.value_vnd) AS total FROM verified_deals v
                      WHERE v.year BETWEEN 2023 AND 2030 GROUP BY v.year) x ON x.year = y;
    ELSE
        SELECT jsonb_agg(jsonb_build_object('year', y, 'value', coalesce(to_jsonb(v.value), to_jsonb(v.value_text)),
                                            'note', v.note) ORDER BY y)
          INTO points
          FROM generate_series(2023, 2030) y
          LEFT JOIN indicator_values v ON v.code = i.code AND v.year = y;
    END IF;
    -- Years still to come have no value yet, whatever the counts so far.
    IF i.measure = 'computed' THEN
        SELECT jsonb_agg(CASE WHEN (p->>'year')::integer > local_year(now()) THEN p || '{"value": null}' ELSE p END
                         ORDER BY (p->>'year')::integer)
          INTO points FROM jsonb_array_elements(points) p;
    END IF;
    RETURN points;
END
$$;

-- on_track | at_risk | off_track | no_data (README "Indicators"): the
-- latest value up to this year against the linear path from the 2023
-- value (0 if none) to the 2030 target, or against the yearly target.
CREATE FUNCTION indicator_status(i plan_indicators, series jsonb) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH points AS (
        SELECT (p->>'year')::integer AS year, p->'value' AS value FROM jsonb_array_elements(series) p
         WHERE p->'value' <> 'null' AND (p->>'year')::integer <= local_year(now())
    ), latest AS (
        SELECT year, value FROM points ORDER BY year DESC LIMIT 1
    ), expected AS (
        SELECT l.year, l.value,
               CASE WHEN i.unit = 'count_per_year' THEN i.target_min
                    WHEN i.target_min IS NOT NULL THEN
                        coalesce((SELECT (p.value #>> '{}')::numeric FROM points p WHERE p.year = 2023), 0)
                        + (i.target_min - coalesce((SELECT (p.value #>> '{}')::numeric FROM points p WHERE p.year = 2023), 0))
                          * (l.year - 2023) / 7.0 END AS e
          FROM latest l
    )
    SELECT jsonb_build_object(
        'latest', (SELECT jsonb_build_object('year', year, 'value', value) FROM latest),
        'status', coalesce((SELECT CASE WHEN x.e IS NULL OR jsonb_typeof(x.value) <> 'number' THEN 'on_track'
                                        WHEN (x.value #>> '{}')::numeric >= x.e THEN 'on_track'
                                        WHEN (x.value #>> '{}')::numeric >= 0.75 * x.e THEN 'at_risk'
                                        ELSE 'off_track' END FROM expected x), 'no_data'))
$$;

CREATE FUNCTION indicator_json(i plan_indicators) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    series jsonb := indicator_series(i);
BEGIN
    RETURN jsonb_build_object(
        'code', i.code, 'plan_section', i.plan_section, 'title_vi', i.title_vi, 'title_en', i.title_en,
        'unit', i.unit, 'measure', i.measure,
        'target', jsonb_build_object('min', i.target_min, 'max', i.target_max,
                                     'year', CASE WHEN i.period_to = 2045 THEN 2045 ELSE 2030 END),
        'period', jsonb_build_object('from', i.period_from, 'to', i.period_to),
        'task_group', i.task_group, 'series', series) || indicator_status(i, series);
END
$$;

-- The listings an indicator is linked to: those naming it, and for KH43-T1
-- the offers of registered S&T tasks; and the deals, by what they noted.
CREATE FUNCTION indicator_listing(i plan_indicators, l listings) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT l.indicators @> ARRAY[i.code]
        OR (i.code = 'KH43-T1' AND l.kind LIKE '%offer' AND l.st_task IS NOT NULL
            AND EXISTS (SELECT 1 FROM st_tasks t WHERE t.code = l.st_task))
$$;

CREATE FUNCTION indicator_deal(i plan_indicators, d deals) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT d.indicator_codes @> ARRAY[i.code]
        OR (i.code = 'KH43-T1' AND d.indicator_task IS NOT NULL
            AND EXISTS (SELECT 1 FROM st_tasks t WHERE t.code = d.indicator_task))
$$;

-- GET /indicators/{code}: the indicator and what is linked to it; the
-- latest deals only for administrators.
CREATE FUNCTION indicator_detail(p_code text, p_org uuid, p_admin boolean) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    i plan_indicators;
BEGIN
    SELECT * INTO i FROM plan_indicators x WHERE x.code = p_code;
    IF i.code IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN (indicator_json(i) || jsonb_build_object('linked', jsonb_build_object(
        'listings', (SELECT jsonb_build_object(
                         'count', (SELECT count(*) FROM listings l WHERE l.status = 'published' AND indicator_listing(i, l)),
                         'latest', coalesce((SELECT jsonb_agg(listing_json(l, p_org, p_admin) ORDER BY l.listed_at DESC)
                                               FROM (SELECT * FROM listings l WHERE l.status = 'published'
                                                        AND indicator_listing(i, l)
                                                      ORDER BY l.listed_at DESC LIMIT 5) l), '[]'))),
        'deals', (SELECT jsonb_build_object(
                      'count', count(*),
                      'verified_count', count(*) FILTER (WHERE d.state = 'completed' AND d.verified_at IS NOT NULL),
                      'verified_value_vnd', coalesce(sum(d.value_vnd) FILTER (WHERE d.state = 'completed'
                                                                               AND d.verified_at IS NOT NULL), 0),
                      'latest', CASE WHEN p_admin THEN coalesce((
                          SELECT jsonb_agg(jsonb_build_object('id', x.id, 'state', x.state, 'listing_ref', x.ref,
                                                              'value_vnd', x.value_vnd,
                                                              'verified', x.verified_at IS NOT NULL,
                                                              'created_at', rfc3339(x.created_at))
                                           ORDER BY x.created_at DESC)
                            FROM (SELECT d2.*, l2.ref FROM deals d2 JOIN listings l2 ON l2.id = d2.listing_id
                                   WHERE indicator_deal(i, d2) ORDER BY d2.created_at DESC LIMIT 5) x), '[]')
                                     ELSE '[]' END)
                    FROM deals d WHERE indicator_deal(i, d)))))::text;
END
$$;

-- ------------------------------------------------------------ plan task groups

-- A task group with its indicators and what serves them.
CREATE FUNCTION plan_task_group_json(g plan_task_groups) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH codes AS (SELECT array_agg(i.code ORDER BY i.sort_order) AS c FROM plan_indicators i WHERE i.task_group = g.no)
    SELECT jsonb_build_object(
        'no', g.no, 'plan_section', g.plan_section, 'title_vi', g.title_vi, 'title_en', g.title_en,
        'units', to_jsonb(g.units), 'period', g.period,
        'indicators', to_jsonb(coalesce((SELECT c FROM codes), '{}')),
        'listings', jsonb_build_object('count', (SELECT count(*) FROM listings l, codes
                                                  WHERE l.status = 'published' AND l.indicators && codes.c)),
        'deals', (SELECT jsonb_build_object('count', count(*),
                                            'verified_count', count(*) FILTER (WHERE d.state = 'completed'
                                                                                AND d.verified_at IS NOT NULL))
                    FROM deals d, codes WHERE d.indicator_codes && codes.c))
$$;

-- ------------------------------------------------------------ the summary report

CREATE INDEX listings_created_idx ON listings (created_at);
CREATE INDEX deals_created_at_idx ON deals (created_at);

-- GET /reports/summary: listings and deals created in [p_from, p_to]
-- (dates, inclusive, in Vietnam's time), verified deals completed in it,
-- and every month's new listings and verified deals.
CREATE FUNCTION report_summary(p_from date, p_to date) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    t0 timestamptz := p_from::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh';
    t1 timestamptz := (p_to + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh';
    listings_part jsonb;
    deals_part jsonb;
    monthly jsonb;
BEGIN
    WITH l AS (SELECT kind, status, sector_field, province FROM listings WHERE created_at >= t0 AND created_at < t1)
    SELECT jsonb_build_object(
        'total', (SELECT count(*) FROM l),
        'by_kind', (SELECT jsonb_object_agg(k, (SELECT count(*) FROM l WHERE l.kind = k))
                      FROM unnest(ARRAY['technology_offer', 'technology_demand', 'equipment_offer', 'equipment_demand']) k),
        'by_status', (SELECT jsonb_object_agg(s, (SELECT count(*) FROM l WHERE l.status = s))
                        FROM unnest(ARRAY['draft', 'pending_review', 'published', 'rejected', 'closed', 'expired',
                                          'suspended']) s),
        'by_sector', coalesce((SELECT jsonb_agg(jsonb_build_object('field', x.sector_field, 'name_vi', s.name_vi,
                                                                    'count', x.n) ORDER BY x.sector_field)
                                 FROM (SELECT sector_field, count(*) AS n FROM l GROUP BY sector_field) x
                                 JOIN sectors s ON s.code = x.sector_field), '[]'),
        'by_province', coalesce((SELECT jsonb_agg(jsonb_build_object('province', x.province, 'name_vi', p.name_vi,
                                                                      'count', x.n) ORDER BY x.n DESC, x.province)
                                   FROM (SELECT province, count(*) AS n FROM l GROUP BY province) x
                                   JOIN provinces p ON p.slug = x.province), '[]'))
      INTO listings_part;
    WITH d AS (SELECT state FROM deals WHERE created_at >= t0 AND created_at < t1),
         v AS (SELECT value_vnd FROM deals WHERE state = 'completed' AND verified_at IS NOT NULL
                  AND state_at >= t0 AND state_at < t1)
    SELECT jsonb_build_object(
        'total', (SELECT count(*) FROM d),
        'by_state', (SELECT jsonb_object_agg(s, (SELECT count(*) FROM d WHERE d.state = s))
                       FROM unnest(ARRAY['proposed', 'negotiating', 'agreed', 'contracted', 'completed', 'declined',
                                         'withdrawn', 'lapsed', 'disputed', 'cancelled']) s),
        'verified_count', (SELECT count(*) FROM v),
        'verified_value_vnd', (SELECT coalesce(sum(value_vnd), 0) FROM v))
      INTO deals_part;
    SELECT jsonb_agg(jsonb_build_object(
               'month', to_char(m, 'YYYY-MM'),
               'new_listings', (SELECT count(*) FROM listings x
                                 WHERE x.created_at >= greatest(t0, m::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
                                   AND x.created_at < least(t1, (m + interval '1 month')::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')),
               'verified_deals', v.n, 'verified_value_vnd', v.total) ORDER BY m)
      INTO monthly
      FROM generate_series(date_trunc('month', p_from), date_trunc('month', p_to), interval '1 month') m,
           LATERAL (SELECT count(*) AS n, coalesce(sum(x.value_vnd), 0) AS total FROM deals x
                     WHERE x.state = 'completed' AND x.verified_at IS NOT NULL
                       AND x.state_at >= greatest(t0, m::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
                       AND x.state_at < least(t1, (m + interval '1 month')::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')) v;
    RETURN jsonb_build_object('from', p_from, 'to', p_to, 'listings', listings_part, 'deals', deals_part,
                              'monthly', monthly);
END
$$;

-- One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
CREATE FUNCTION csv_field(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL THEN '' WHEN v ~ '[",\r\n]' THEN '"' || replace(v, '"', '""') || '"' ELSE v END
$$;

-- The same report as CSV: one row per figure, under a header row.
CREATE FUNCTION report_summary_csv(r jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    WITH rows (n, section, dimension, key, label, count, value) AS (
        SELECT 0, 'listings', 'total', NULL, NULL, r#>>'{listings,total}', NULL
        UNION ALL SELECT 1, 'listings', 'kind', k, NULL, v, NULL FROM jsonb_each_text(r#>'{listings,by_kind}') AS e (k, v)
        UNION ALL SELECT 2, 'listings', 'status', k, NULL, v, NULL FROM jsonb_each_text(r#>'{listings,by_status}') AS e (k, v)
        UNION ALL SELECT 3, 'listings', 'sector', x->>'field', x->>'name_vi', x->>'count', NULL
                    FROM jsonb_array_elements(r#>'{listings,by_sector}') x
        UNION ALL SELECT 4, 'listings', 'province', x->>'province', x->>'name_vi', x->>'count', NULL
                    FROM jsonb_array_elements(r#>'{listings,by_province}') x
        UNION ALL SELECT 5, 'deals', 'total', NULL, NULL, r#>>'{deals,total}', NULL
        UNION ALL SELECT 6, 'deals', 'state', k, NULL, v, NULL FROM jsonb_each_text(r#>'{deals,by_state}') AS e (k, v)
        UNION ALL SELECT 7, 'deals', 'verified', NULL, NULL, r#>>'{deals,verified_count}', r#>>'{deals,verified_value_vnd}'
        UNION ALL SELECT 8, 'monthly', 'new_listings', x->>'month', NULL, x->>'new_listings', NULL
                    FROM jsonb_array_elements(r->'monthly') x
        UNION ALL SELECT 9, 'monthly', 'verified_deals', x->>'month', NULL, x->>'verified_deals', x->>'verified_value_vnd'
                    FROM jsonb_array_elements(r->'monthly') x
    )
    SELECT 'section,dimension,key,label,count,value_vnd' || E'\r\n'
        || string_agg(concat_ws(',', csv_field(section), csv_field(dimension), csv_field(key), csv_field(label),
                                csv_field(count), csv_field(value)), E'\r\n' ORDER BY n, key) || E'\r\n'
      FROM rows
$$;
