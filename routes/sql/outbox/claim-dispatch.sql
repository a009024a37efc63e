-- Claims up to orgsync.outbox.dispatch-batch-size new 'dispatch' rows (one per recorded event) for this
-- instance, as a lease. FOR UPDATE SKIP LOCKED: two instances never claim the same row; a row whose
-- lease ran out (its instance died) is claimed again. Used by route outbox-dispatcher.
WITH due AS (
    SELECT o.id
    FROM orgsync_outbox o
    WHERE o.target = 'dispatch' AND o.status = 'pending' AND o.next_attempt_at <= now()
      AND (o.lease_until IS NULL OR o.lease_until < now())
    ORDER BY o.id
    LIMIT CAST(:#${variable.batchSize} AS integer)
    FOR UPDATE SKIP LOCKED
)
UPDATE orgsync_outbox o
SET lease_owner = :#${variable.owner},
    lease_until = now() + make_interval(secs => CAST(:#${variable.leaseSeconds} AS double precision)),
    attempts = o.attempts + 1, last_attempt_at = now(), first_attempt_at = COALESCE(o.first_attempt_at, now())
FROM due, orgsync_events e
WHERE o.id = due.id AND e.id = o.event_pk
RETURNING o.id AS outbox_id, e.source, e.event_id, e.event_type, e.outcome
