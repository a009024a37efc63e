-- Dead letters, newest first, filtered by target, event type and last-attempt time, paged.
-- Used by route admin-list-dead-letters.
SELECT o.id, o.target, o.event_type, e.event_id, e.source, e.tenant_id, o.attempts, o.error_category, o.last_error,
       o.first_attempt_at, o.last_attempt_at, e.occurred_at
FROM orgsync_outbox o JOIN orgsync_events e ON e.id = o.event_pk
WHERE o.status = 'dead'
  AND (CAST(:#${variable.target} AS text) IS NULL OR o.target = CAST(:#${variable.target} AS text))
  AND (CAST(:#${variable.filterEventType} AS text) IS NULL OR o.event_type = CAST(:#${variable.filterEventType} AS text))
  AND (CAST(:#${variable.from} AS timestamptz) IS NULL OR o.last_attempt_at >= CAST(:#${variable.from} AS timestamptz))
  AND (CAST(:#${variable.to} AS timestamptz) IS NULL OR o.last_attempt_at < CAST(:#${variable.to} AS timestamptz))
ORDER BY o.id DESC
LIMIT CAST(:#${variable.limit} AS integer) OFFSET CAST(:#${variable.offset} AS integer)
