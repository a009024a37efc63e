-- Records the tenant's provisioned resources (its bucket, or prefix in the shared bucket or local
-- folder; its schema) on its row, and that its provisioning is done: a tenant in state provisioning
-- becomes active (the lifecycle trigger, V7). Recorded for a tenant deleted while this delivery ran too,
-- so that its purge finds what was made; never for a purged one. A name recorded is never forgotten
-- (a mode changed since keeps the older resources known to the purge).
-- Used by route target-provisioning, with the map Provisioning.plan() returns as the body.
UPDATE av_organizations
SET storage_bucket = COALESCE(:#bucket, storage_bucket), storage_prefix = COALESCE(:#prefix, storage_prefix),
    tenant_schema = COALESCE(:#schema, tenant_schema),
    provisioned_at = COALESCE(provisioned_at, now())
WHERE id = :#tenant_id AND lifecycle <> 'purged'
