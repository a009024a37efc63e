-- Claims up to orgsync.outbox.batch-size due rows of one target (variable target) for this instance,
-- as a lease, with the event they deliver. Per order key (the tenant) only the oldest pending row
-- is ever eligible: two events of one tenant are never in flight to one target at once, a row
-- waiting for its retry holds back the tenant's later rows, and so does an older event of the
-- tenant recorded with a 'dispatch' row and not planned yet (an upgrade from a version before V6:
-- its target rows do not exist yet), so side effects keep event order.
-- Different tenants proceed in parallel. FOR UPDATE SKIP LOCKED: no row is claimed twice.
-- A dead letter: with the target's policy (variable onDead, orgsync.target.<name>.on-dead) "hold",
-- it holds back the tenant's later rows for that target until it is replayed or discarded (a later
-- event must not act on a state the dead one never set up, such as a Stripe customer); with "skip"
-- they go on.
-- (o.target <> 'dispatch' lets the walk use orgsync_outbox_next_idx.) The "older pending row of
-- the tenant?" probe (the target's own rows and dispatch rows) is a subquery run per candidate row
-- with its values, so it always looks the tenant up in orgsync_outbox_order_idx. As a NOT EXISTS,
-- PostgreSQL turned it into an anti-join and, when its statistics were taken while nothing was
-- pending (a quiet moment after a drained burst), rescanned the whole pending backlog for each
-- candidate instead: a claim of 88 rows took 78 s (OutboxPlansTest).
-- The claim sets no indexed column (last_attempt_at, in the dead letters' index, is set when the
-- attempt ends: reschedule.sql, mark-done.sql), so with the table's free page space (V6) PostgreSQL
-- writes it as a HOT update, without new index entries.
-- Used by the route template outbox-target.
WITH due AS (
    SELECT o.id
    FROM orgsync_outbox o
    WHERE o.target = :#${variable.target} AND o.target <> 'dispatch' AND o.status = 'pending' AND o.next_attempt_at <= now()
      AND (o.lease_until IS NULL OR o.lease_until < now())
      AND (SELECT p.id FROM orgsync_outbox p
           WHERE p.target IN (o.target, 'dispatch') AND p.order_key = o.order_key AND p.status = 'pending'
             AND (p.occurred_at, p.id) < (o.occurred_at, o.id)
           LIMIT 1) IS NULL
      AND (CAST(:#${variable.onDead} AS text) <> 'hold'
           OR (SELECT d.id FROM orgsync_outbox d
               WHERE d.target = o.target AND d.order_key = o.order_key AND d.status = 'dead'
                 AND (d.occurred_at, d.id) < (o.occurred_at, o.id)
               LIMIT 1) IS NULL)
    ORDER BY o.occurred_at, o.id
    LIMIT CAST(:#${variable.batchSize} AS integer)
    FOR UPDATE SKIP LOCKED
)
UPDATE orgsync_outbox o
SET lease_owner = :#${variable.owner},
    lease_until = now() + make_interval(secs => CAST(:#${variable.leaseSeconds} AS double precision)),
    attempts = o.attempts + 1, first_attempt_at = COALESCE(o.first_attempt_at, now())
FROM due, orgsync_events e
WHERE o.id = due.id AND e.id = o.event_pk
RETURNING o.id AS outbox_id, o.target, o.attempts, o.order_key, e.id AS event_pk, e.source, e.channel, e.event_id,
          e.dedupe_key, e.event_type, e.entity_type, e.entity_id, e.tenant_id, e.occurred_at, e.received_at, e.key_id,
          e.outcome, CAST(e.data AS text) AS data, CAST(e.headers AS text) AS headers, e.raw_body, e.origin
