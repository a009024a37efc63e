-- Discards a held quarantined event with the operator's reason (variables id, discardReason); it
-- stays in the table, marked. Used by route admin-discard-quarantine.
UPDATE orgsync_quarantine
SET status = 'discarded', discarded_at = now(), discard_reason = :#${variable.discardReason}
WHERE id = CAST(:#${variable.id} AS bigint) AND status = 'held'
RETURNING id, status, discard_reason
