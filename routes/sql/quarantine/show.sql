-- One quarantined event with its raw bytes, headers and verification (variable id).
-- Used by routes admin-show-quarantine and admin-replay-quarantine.
SELECT id, source, channel, event_id, event_type, code, reason, status, attempts, outcome, raw_body,
       CAST(headers AS text) AS headers, CAST(verification AS text) AS verification, received_at, quarantined_at,
       last_replay_at, discarded_at, discard_reason, archived_at
FROM orgsync_quarantine WHERE id = CAST(:#${variable.id} AS bigint)
