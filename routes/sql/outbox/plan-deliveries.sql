-- Turns one claimed 'dispatch' row into one pending row per target the dispatcher chose
-- (variable targets, comma-separated) and marks the dispatch row done, in one statement.
-- Idempotent: a target row exists once per event (constraint orgsync_outbox_once), so a dispatch
-- repeated after a crash adds nothing. Used by route outbox-dispatcher.
WITH planned AS (
    INSERT INTO orgsync_outbox (event_pk, target, order_key, event_type, occurred_at)
    SELECT d.event_pk, t.target, d.order_key, d.event_type, d.occurred_at
    FROM orgsync_outbox d,
         unnest(string_to_array(:#${variable.targets}, ',')) AS t(target)
    WHERE d.id = CAST(:#${variable.outboxId} AS bigint) AND t.target <> ''
    ON CONFLICT ON CONSTRAINT orgsync_outbox_once DO NOTHING
    RETURNING 1
)
UPDATE orgsync_outbox
SET status = 'done', done_at = now(), lease_until = NULL
WHERE id = CAST(:#${variable.outboxId} AS bigint) AND lease_owner = :#${variable.owner} AND status = 'pending'
