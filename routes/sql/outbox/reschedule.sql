-- A failed delivery: back to pending with its next attempt time (retryable), or a dead letter
-- (permanent, or out of attempts), and the attempt's error kept in orgsync_outbox_attempts. The
-- schedule is in the row, so it survives a restart.
-- Used by the route template outbox-target, with the variables its retryPolicy bean (RetryPolicy.failed) sets.
WITH failed AS (
    UPDATE orgsync_outbox
    SET status = :#${variable.retryStatus},
        next_attempt_at = now() + make_interval(secs => CAST(:#${variable.retryDelaySeconds} AS double precision)),
        error_category = :#${variable.errorCategory},
        last_error = :#${variable.errorMessage},
        lease_until = NULL, last_attempt_at = now()
    WHERE id = CAST(:#${variable.outboxId} AS bigint) AND lease_owner = :#${variable.owner} AND lease_until IS NOT NULL
    RETURNING id, attempts, error_category, last_error
)
INSERT INTO orgsync_outbox_attempts (outbox_id, attempt, category, error)
SELECT id, attempts, error_category, last_error FROM failed
