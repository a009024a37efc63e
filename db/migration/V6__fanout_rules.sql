-- The fan-out is planned in the transaction that records the event: the outbox trigger writes one
-- pending row per target straight away, chosen from the routing table below, instead of a
-- 'dispatch' row that a dispatcher route claimed, planned and marked done later (three more row
-- writes and their index entries per event, and a round trip through the JVM).
--
-- orgsync_fanout_rules is the routing table, written by orgsync at every start from the
-- orgsync.fanout.* keys of application.properties (bean fanoutRules, before any webhook is
-- received), its targets only those whose delivery route runs here. Rule: 'ignored' (an event no
-- statement maps), '<source>.<event type>' (e.g. 'authvital.tenant.created') or 'default'; for an
-- event the first of these that is present applies, as in application.properties. Instances that
-- share the database share the table: the last one started wrote it.
CREATE TABLE orgsync_fanout_rules (
    rule       text        PRIMARY KEY,
    targets    text[]      NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now()
);

-- Until a routing table has been written (the first start after this migration, or an instance of an
-- earlier version still running beside it during an upgrade), events get a 'dispatch' row as before;
-- at start bean fanoutRules plans such rows with the table it has just written. The claims keep
-- treating a pending 'dispatch' row as an older pending row of its tenant, so the order holds.
CREATE OR REPLACE FUNCTION orgsync_outbox_recorded_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM orgsync_fanout_rules) THEN
        INSERT INTO orgsync_outbox (event_pk, target, order_key, event_type, occurred_at)
        SELECT n.id, t.target, COALESCE(n.tenant_id, n.entity_id, n.source || ':' || n.event_id), n.event_type, n.occurred_at
        FROM new_events n
        CROSS JOIN LATERAL orgsync_fanout_targets(n.source, n.event_type, n.outcome) WITH ORDINALITY AS t(target, k)
        ORDER BY n.id, t.k;
    ELSE
        INSERT INTO orgsync_outbox (event_pk, target, order_key, event_type, occurred_at)
        SELECT n.id, 'dispatch', COALESCE(n.tenant_id, n.entity_id, n.source || ':' || n.event_id), n.event_type, n.occurred_at
        FROM new_events n;
    END IF;
    RETURN NULL;
END
$$;

-- The targets of one event: the first rule present of 'ignored' (for an ignored event),
-- '<source>.<event type>' and 'default'; none when no rule applies.
CREATE FUNCTION orgsync_fanout_targets(p_source text, p_event_type text, p_outcome text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT unnest(r.targets)
    FROM (SELECT f.targets FROM orgsync_fanout_rules f
          WHERE f.rule = ANY (ARRAY[CASE WHEN p_outcome = 'ignored' THEN 'ignored' END, p_source || '.' || p_event_type, 'default'])
          ORDER BY CASE WHEN f.rule = 'ignored' THEN 0 WHEN f.rule = 'default' THEN 2 ELSE 1 END
          LIMIT 1) AS r
$$;

-- A claim updates its rows' lease columns only, none of them indexed: with room left on the row's
-- page, PostgreSQL makes that a HOT update, a new row version on the same page and no new index
-- entries (the outbox has five indexes). Pages are filled to 70 % to leave that room.
ALTER TABLE orgsync_outbox SET (fillfactor = 70);
