-- One run (variable id), for GET /admin/reconcile/runs/{id}.
SELECT id, source, dry_run, trigger, status, started_at, finished_at, CAST(progress AS text) AS progress,
       CAST(report AS text) AS report, error
FROM orgsync_reconcile_runs WHERE id = CAST(:#${variable.id} AS bigint)
