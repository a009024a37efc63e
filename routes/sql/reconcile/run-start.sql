-- A new run (variables runSource, dryRun, runTrigger); returns its id and start on the database's
-- clock (only rows last written before it can be tombstoned by this run).
INSERT INTO orgsync_reconcile_runs (source, dry_run, trigger)
VALUES (:#${variable.runSource}, CAST(:#${variable.dryRun} AS boolean), :#${variable.runTrigger})
RETURNING id, CAST(started_at AS text) AS started_at
