-- The organisations the mirror holds as active and last wrote before this run started (variable
-- runStartedAt), to find those Clerk no longer lists. A row written since (a webhook during the
-- run, such as an organisation created after its page was read) is not judged by this run's
-- listing, which may predate it; the next run sees it. Used by route clerk-reconcile.
SELECT id, CAST(data AS text) AS data FROM organizations
WHERE status <> 'deleted' AND synced_at < CAST(:#${variable.runStartedAt} AS timestamptz)
