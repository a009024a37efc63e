-- Quarantined events not yet in the archive, as rows target-archive takes (the outbox row's
-- columns): archived as quarantine/<source>/<yyyy>/<MM>/<dd>/q<id>-<event id>.json.
-- Used by route quarantine-archive.
SELECT id, 'quarantine/' || source AS source, channel, 'q' || id || COALESCE('-' || event_id, '') AS event_id,
       source || ':quarantine:' || id AS dedupe_key, COALESCE(event_type, 'unknown') AS event_type,
       received_at AS occurred_at, received_at, 'quarantined: ' || code AS outcome,
       verification ->> 'key_id' AS key_id, CAST(headers AS text) AS headers, convert_from(raw_body, 'UTF8') AS raw_body
FROM orgsync_quarantine WHERE archived_at IS NULL
ORDER BY id
LIMIT 50
