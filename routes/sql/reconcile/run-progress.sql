-- A run's progress so far (variables runId, progress: JSON), so that GET /admin/reconcile/runs/{id} shows it.
UPDATE orgsync_reconcile_runs SET progress = CAST(:#${variable.progress} AS jsonb) WHERE id = CAST(:#${variable.runId} AS bigint)
