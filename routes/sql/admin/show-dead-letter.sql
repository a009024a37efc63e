-- One dead letter with its event: the raw body and headers as received (the raw body is null once
-- retention has pruned it: the archive keeps it), and every failed attempt with its error.
-- Used by route admin-show-dead-letter.
SELECT o.id, o.target, o.status, o.event_type, e.event_id, e.source, e.channel, e.tenant_id, o.attempts,
       o.error_category, o.last_error, o.first_attempt_at, o.last_attempt_at, e.occurred_at, e.received_at,
       CAST(e.data AS text) AS data, CAST(e.headers AS text) AS headers, e.raw_body,
       (SELECT CAST(COALESCE(json_agg(json_build_object('attempt', a.attempt, 'failed_at', a.failed_at,
                                                        'category', a.category, 'error', a.error) ORDER BY a.id), '[]') AS text)
        FROM orgsync_outbox_attempts a WHERE a.outbox_id = o.id) AS attempt_errors
FROM orgsync_outbox o JOIN orgsync_events e ON e.id = o.event_pk
WHERE o.id = CAST(:#${variable.id} AS bigint) AND o.status = 'dead'
