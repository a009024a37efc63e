-- Deleted tenants whose purge date has passed (variable asOf: now, as the job's clock says), oldest
-- date first, at most orgsync.lifecycle.purge.batch-size. Used by route purge-due-tenants.
SELECT id AS tenant_id, slug, tenant_schema, storage_bucket, storage_prefix, scheduled_purge_at
FROM av_organizations
WHERE lifecycle = 'deleted' AND scheduled_purge_at <= CAST(:#${variable.asOf} AS timestamptz)
ORDER BY scheduled_purge_at, id
LIMIT CAST(:#${variable.batchSize} AS integer)
