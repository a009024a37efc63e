-- A delivered row: done. Only while this instance still holds the lease. Used by the route template outbox-target.
UPDATE orgsync_outbox
SET status = 'done', done_at = now(), lease_until = NULL, error_category = NULL, last_error = NULL
WHERE id = CAST(:#${variable.outboxId} AS bigint) AND lease_owner = :#${variable.owner} AND status = 'pending'
