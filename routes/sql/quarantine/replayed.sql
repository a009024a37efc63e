-- The outcome of a replay (variables id, outcome, replayOk): replayed when it was applied, found to
-- be a duplicate or ignored; otherwise still held, with the reason it still fails.
-- Used by route quarantine-replay.
UPDATE orgsync_quarantine
SET status = CASE WHEN CAST(:#${variable.replayOk} AS boolean) THEN 'replayed' ELSE status END,
    attempts = attempts + 1, last_replay_at = now(), outcome = :#${variable.outcome}
WHERE id = CAST(:#${variable.id} AS bigint) AND status = 'held'
RETURNING id, status, outcome
