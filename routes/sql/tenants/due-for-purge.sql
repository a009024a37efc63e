-- Deleted tenants whose purge date has passed (variable asOf: now, as the job's clock says), oldest
-- date first, at most orgsync.lifecycle.purge.batch-size: AuthVital tenants (state deleted) and Clerk
-- organisations (deleted, not purged yet; they have no schema or storage). Used by route purge-due-tenants.
SELECT tenant_id, source, slug, tenant_schema, storage_bucket, storage_prefix, scheduled_purge_at
FROM (
    SELECT id AS tenant_id, 'authvital' AS source, slug, tenant_schema, storage_bucket, storage_prefix, scheduled_purge_at
    FROM av_organizations
    WHERE lifecycle = 'deleted' AND scheduled_purge_at <= CAST(:#${variable.asOf} AS timestamptz)
    UNION ALL
    SELECT id, 'clerk', slug, NULL, NULL, NULL, scheduled_purge_at
    FROM organizations
    WHERE status = 'deleted' AND purged_at IS NULL AND scheduled_purge_at <= CAST(:#${variable.asOf} AS timestamptz)
) AS due
ORDER BY scheduled_purge_at, tenant_id
LIMIT CAST(:#${variable.batchSize} AS integer)
