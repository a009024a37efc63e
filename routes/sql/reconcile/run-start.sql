-- A new run (variables runSource, dryRun, runTrigger); returns its id and start on the database's
-- clock (only rows last written before it can be tombstoned by this run). Called with the source's
-- run lock held, so a run of the source still marked running was left by an instance that stopped
-- mid-run (its lock went with its connection): it is marked failed.
WITH orphaned AS (
    UPDATE orgsync_reconcile_runs
    SET status = 'failed', finished_at = now(), error = 'The instance running it stopped before it ended'
    WHERE source = :#${variable.runSource} AND status = 'running'
)
INSERT INTO orgsync_reconcile_runs (source, dry_run, trigger)
VALUES (:#${variable.runSource}, CAST(:#${variable.dryRun} AS boolean), :#${variable.runTrigger})
RETURNING id, CAST(started_at AS text) AS started_at
