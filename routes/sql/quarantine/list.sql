-- Quarantined events, newest first, filtered by source, event type, code and status (held unless
-- asked), paged. Never the raw body: show.sql has it. Used by route admin-list-quarantine.
SELECT id, source, channel, event_id, event_type, code, reason, status, attempts, outcome, received_at, quarantined_at,
       last_replay_at, discarded_at, discard_reason, archived_at
FROM orgsync_quarantine
WHERE (CAST(:#${variable.filterSource} AS text) IS NULL OR source = CAST(:#${variable.filterSource} AS text))
  AND (CAST(:#${variable.filterEventType} AS text) IS NULL OR event_type = CAST(:#${variable.filterEventType} AS text))
  AND (CAST(:#${variable.filterCode} AS text) IS NULL OR code = CAST(:#${variable.filterCode} AS text))
  AND (CAST(:#${variable.filterStatus} AS text) = 'all' OR status = CAST(:#${variable.filterStatus} AS text))
ORDER BY id DESC
LIMIT CAST(:#${variable.limit} AS integer) OFFSET CAST(:#${variable.offset} AS integer)
