-- Tenants the mirror holds as active whose last event and last write both precede this run's start
-- (variable runStartedAt): the only ones a run may tombstone when AuthVital no longer lists them
-- (one written since may be missing from a listing read before it). Used by route authvital-reconcile.
SELECT id FROM av_organizations
WHERE status <> 'deleted' AND last_event_at < CAST(:#${variable.runStartedAt} AS timestamptz)
  AND synced_at < CAST(:#${variable.runStartedAt} AS timestamptz)
