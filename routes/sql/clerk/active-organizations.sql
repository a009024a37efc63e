-- Every organisation the mirror holds as active, to find those Clerk no longer lists. Used by route clerk-reconcile.
SELECT id, CAST(data AS text) AS data FROM organizations WHERE status <> 'deleted'
