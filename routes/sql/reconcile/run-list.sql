-- Reconciliation runs, newest first, for GET /admin/reconcile/runs and the console: filtered by
-- source (variable filterSource), paged (limit, offset); the drift report itself only in GET .../runs/{id}.
-- drift: the objects found out of step, counted from the report (AuthVital: per kind and change, a
-- list each) or, for a run without one (Clerk), from its progress counts created, updated, deleted.
SELECT id, source, dry_run, trigger, status, started_at, finished_at, CAST(progress AS text) AS progress, error,
       CASE WHEN report IS NOT NULL THEN
           (SELECT COALESCE(sum(jsonb_array_length(c.value)), 0) FROM jsonb_each(report) k,
                   jsonb_each(CASE WHEN jsonb_typeof(k.value) = 'object' THEN k.value ELSE '{}'::jsonb END) c
            WHERE c.key <> 'partial_listing' AND jsonb_typeof(c.value) = 'array')
       ELSE COALESCE((progress ->> 'created')::bigint, 0) + COALESCE((progress ->> 'updated')::bigint, 0)
            + COALESCE((progress ->> 'deleted')::bigint, 0) END AS drift
FROM orgsync_reconcile_runs
WHERE CAST(:#${variable.filterSource} AS text) IS NULL OR source = CAST(:#${variable.filterSource} AS text)
ORDER BY id DESC
LIMIT CAST(:#${variable.limit} AS integer) OFFSET CAST(:#${variable.offset} AS integer)
