-- Puts dead letters back in the outbox: one (variable id) or every one matching the filters.
-- The target route delivers them again with the same idempotency keys. Used by the admin replay routes.
UPDATE orgsync_outbox o
SET status = 'pending', attempts = 0, next_attempt_at = now(), error_category = NULL, lease_until = NULL
WHERE o.status = 'dead'
  AND (CAST(:#${variable.id} AS bigint) IS NULL OR o.id = CAST(:#${variable.id} AS bigint))
  AND (CAST(:#${variable.target} AS text) IS NULL OR o.target = CAST(:#${variable.target} AS text))
  AND (CAST(:#${variable.filterEventType} AS text) IS NULL OR o.event_type = CAST(:#${variable.filterEventType} AS text))
  AND (CAST(:#${variable.from} AS timestamptz) IS NULL OR o.last_attempt_at >= CAST(:#${variable.from} AS timestamptz))
  AND (CAST(:#${variable.to} AS timestamptz) IS NULL OR o.last_attempt_at < CAST(:#${variable.to} AS timestamptz))
RETURNING o.id
