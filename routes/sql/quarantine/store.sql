-- Keeps an authentic event that cannot be applied (routes/quarantine.camel.yaml, route quarantine).
-- Input: variable quarantine, the JSON document WebhookReceiver.toQuarantine writes (raw_body in
-- base64). A redelivery of the same bytes (Svix retries a 4xx) keeps the one row it has.
-- Returns the row's id.
INSERT INTO orgsync_quarantine AS q (source, channel, event_id, event_type, code, reason, raw_body, body_sha256, headers,
                                     verification, received_at)
SELECT r ->> 'source', r ->> 'channel', r ->> 'event_id', r ->> 'event_type', r ->> 'code', r ->> 'reason',
       decode(r ->> 'raw_body', 'base64'), r ->> 'body_sha256', r -> 'headers', r -> 'verification',
       CAST(r ->> 'received_at' AS timestamptz)
FROM (SELECT CAST(:#${variable.quarantine} AS jsonb) AS r) AS input
ON CONFLICT ON CONSTRAINT orgsync_quarantine_once DO UPDATE SET reason = q.reason
RETURNING q.id
