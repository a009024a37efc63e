-- Records the tenant's provisioned storage (bucket, or prefix in the shared bucket) on its row.
-- Used by route target-provisioning, with the map Provisioning.plan() returns as the body.
UPDATE av_organizations
SET storage_bucket = :#bucket, storage_prefix = :#prefix
WHERE id = :#tenant_id
