-- A run's end (variables runId, runStatus, progress, report, runError).
UPDATE orgsync_reconcile_runs
SET status = :#${variable.runStatus}, finished_at = now(), progress = CAST(:#${variable.progress} AS jsonb),
    report = CAST(:#${variable.report} AS jsonb), error = :#${variable.runError}
WHERE id = CAST(:#${variable.runId} AS bigint)
