-- Rebuild from the archive (routes/rebuild.camel.yaml, docs/rebuild.md): a run reads the archived
-- events of a time range back and applies each through the statements a live delivery uses. The
-- events it records are marked, so that the fan-out sends them where orgsync.fanout.rebuilt says and
-- not where a live event of their type goes: the archive, the audit sink, Stripe and the changefeed
-- had them when they were first received; what lived in the lost database (a tenant's schema) is
-- made again by provisioning.

-- null: received (a webhook, a reconciliation, a quarantined event replayed); 'archive': recorded by a rebuild
ALTER TABLE orgsync_events ADD COLUMN origin text;

-- As in V3, and: the event's origin (the canonical event's "origin") is recorded.
CREATE OR REPLACE FUNCTION orgsync_record_all(batch jsonb)
RETURNS TABLE (n bigint, e jsonb, event_id text, event_type text, occurred_at timestamptz, d jsonb)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH input AS (
        SELECT CAST(b ->> 'n' AS bigint) AS n, b -> 'event' AS e, b ->> 'entity_type' AS entity_type,
               b ->> 'entity_id' AS entity_id, b ->> 'tenant_id' AS tenant_id
        FROM jsonb_array_elements(batch) AS b
    ),
    inserted AS (
        INSERT INTO orgsync_events AS ev (dedupe_key, source, channel, event_id, event_type, entity_type, entity_id,
                                          tenant_id, occurred_at, key_id, outcome, data, headers, raw_body, warnings, origin)
        SELECT i.e ->> 'dedupe_key', i.e ->> 'source', i.e ->> 'channel', i.e ->> 'event_id', i.e ->> 'type', i.entity_type,
               i.entity_id, i.tenant_id, CAST(i.e ->> 'occurred_at' AS timestamptz), i.e ->> 'key_id',
               CASE WHEN i.entity_type IS NULL THEN 'ignored' ELSE 'applied' END,
               COALESCE(i.e -> 'data', '{}'::jsonb), COALESCE(i.e -> 'headers', '{}'::jsonb), i.e ->> 'raw_body',
               i.e -> 'warnings', i.e ->> 'origin'
        FROM input i
        ON CONFLICT ON CONSTRAINT orgsync_events_dedupe_key_key DO NOTHING
        RETURNING ev.dedupe_key
    )
    SELECT DISTINCT ON (i.e ->> 'dedupe_key') i.n, i.e, i.e ->> 'event_id', i.e ->> 'type',
           CAST(i.e ->> 'occurred_at' AS timestamptz), orgsync_unknown(COALESCE(i.e -> 'data', '{}'::jsonb), i.e -> 'warnings')
    FROM input i JOIN inserted r ON r.dedupe_key = i.e ->> 'dedupe_key'
    ORDER BY i.e ->> 'dedupe_key', i.n;
END
$$;

-- The targets of one event: V6's, and for an event a rebuild recorded only those of them that rule
-- 'rebuilt' lists (orgsync.fanout.rebuilt; no such rule: none). So with "provisioning" there, a
-- rebuilt tenant.created is provisioned where a live one would be, and nothing else is sent anywhere.
CREATE FUNCTION orgsync_fanout_targets(p_source text, p_event_type text, p_outcome text, p_origin text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT t.target FROM orgsync_fanout_targets(p_source, p_event_type, p_outcome) AS t(target)
    WHERE p_origin IS DISTINCT FROM 'archive'
       OR t.target = ANY (SELECT unnest(f.targets) FROM orgsync_fanout_rules f WHERE f.rule = 'rebuilt')
$$;

CREATE OR REPLACE FUNCTION orgsync_outbox_recorded_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM orgsync_fanout_rules) THEN
        INSERT INTO orgsync_outbox (event_pk, target, order_key, event_type, occurred_at)
        SELECT n.id, t.target, COALESCE(n.tenant_id, n.entity_id, n.source || ':' || n.event_id), n.event_type, n.occurred_at
        FROM new_events n
        CROSS JOIN LATERAL orgsync_fanout_targets(n.source, n.event_type, n.outcome, n.origin) WITH ORDINALITY AS t(target, k)
        ORDER BY n.id, t.k;
    ELSE
        INSERT INTO orgsync_outbox (event_pk, target, order_key, event_type, occurred_at)
        SELECT n.id, 'dispatch', COALESCE(n.tenant_id, n.entity_id, n.source || ':' || n.event_id), n.event_type, n.occurred_at
        FROM new_events n;
    END IF;
    RETURN NULL;
END
$$;

-- On a follower (orgsync.mode = follower: every session of its pools says so, Database), a row written
-- by any statement but the changefeed's (a rebuild from the archive seeding it) is numbered 0, below
-- every message of the feed: the feed, switched on from a recorded position after the rebuild, brings
-- the row to the primary's state. Numbered from the follower's own sequence, it would stand above the
-- primary's numbers and the feed would never change it again.
CREATE OR REPLACE FUNCTION orgsync_stamp_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF current_setting('orgsync.following', true) IS DISTINCT FROM 'on' THEN
        NEW.change_seq := CASE WHEN current_setting('orgsync.mode', true) = 'follower' THEN 0 ELSE nextval('orgsync_change_seq') END;
    END IF;
    RETURN NEW;
END
$$;

-- V1's merge of a JSON column made '{}' of two unknowns (NULL and NULL): a row written by a first event
-- without the object kept NULL, the same row written again by a later or the same event got '{}'.
-- A follower seeded by a rebuild writes rows the feed had brought already, so the two must agree:
-- nothing known stays NULL.
CREATE OR REPLACE FUNCTION orgsync_merge(newer boolean, incoming jsonb, current_value jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN incoming IS NULL AND current_value IS NULL THEN NULL
                WHEN newer THEN COALESCE(current_value, '{}'::jsonb) || COALESCE(incoming, '{}'::jsonb)
                ELSE COALESCE(incoming, '{}'::jsonb) || COALESCE(current_value, '{}'::jsonb) END
$$;
