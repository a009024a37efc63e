-- The active memberships of one organisation (variable organizationId) with their last payload,
-- last written before this run started (variable runStartedAt: see active-organizations.sql), to
-- find those Clerk no longer lists. Used by route clerk-reconcile.
SELECT id, CAST(data AS text) AS data FROM organization_members
WHERE organization_id = :#${variable.organizationId} AND status <> 'deleted'
  AND synced_at < CAST(:#${variable.runStartedAt} AS timestamptz)
