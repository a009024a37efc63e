-- The held events a replay by filter takes, oldest first (the order they arrived in), at most 500
-- a call. Used by route admin-replay-quarantine-matching.
SELECT id FROM orgsync_quarantine
WHERE status = 'held'
  AND (CAST(:#${variable.filterSource} AS text) IS NULL OR source = CAST(:#${variable.filterSource} AS text))
  AND (CAST(:#${variable.filterEventType} AS text) IS NULL OR event_type = CAST(:#${variable.filterEventType} AS text))
  AND (CAST(:#${variable.filterCode} AS text) IS NULL OR code = CAST(:#${variable.filterCode} AS text))
ORDER BY received_at, id
LIMIT 500
