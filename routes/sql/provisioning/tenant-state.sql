-- The tenant's state and the resources its row records already, before provisioning (variable tenant).
-- Used by route target-provisioning.
SELECT id, lifecycle, storage_bucket, storage_prefix, tenant_schema
FROM av_organizations
WHERE id = :#${variable.tenantId}
