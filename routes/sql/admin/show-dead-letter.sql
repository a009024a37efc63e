-- One dead letter with its event. Used by route admin-show-dead-letter.
SELECT o.id, o.target, o.status, o.event_type, e.event_id, e.source, e.channel, e.tenant_id, o.attempts,
       o.error_category, o.last_error, o.first_attempt_at, o.last_attempt_at, e.occurred_at, e.received_at,
       CAST(e.data AS text) AS data
FROM orgsync_outbox o JOIN orgsync_events e ON e.id = o.event_pk
WHERE o.id = CAST(:#${variable.id} AS bigint) AND o.status = 'dead'
