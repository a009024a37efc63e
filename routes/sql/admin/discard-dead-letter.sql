-- Discards one dead letter: it stays for the record (status discarded) and is never delivered.
-- Used by route admin-show-dead-letter (DELETE /admin/dead-letters/{id}).
UPDATE orgsync_outbox SET status = 'discarded', lease_until = NULL
WHERE id = CAST(:#${variable.id} AS bigint) AND status = 'dead'
RETURNING id
