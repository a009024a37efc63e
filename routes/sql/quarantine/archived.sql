-- Marks a quarantined event archived (variable id). Used by route quarantine-archive.
UPDATE orgsync_quarantine SET archived_at = now() WHERE id = CAST(:#${variable.id} AS bigint)
