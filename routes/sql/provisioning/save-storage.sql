-- Records the tenant's provisioned resources (its bucket, or prefix in the shared bucket or local
-- folder; its schema) on its row, and that its provisioning is done: a tenant in state provisioning
-- becomes active (the lifecycle trigger, V7). Not for a tenant deleted meanwhile.
-- Used by route target-provisioning, with the map Provisioning.plan() returns as the body.
UPDATE av_organizations
SET storage_bucket = :#bucket, storage_prefix = :#prefix, tenant_schema = COALESCE(:#schema, tenant_schema),
    provisioned_at = COALESCE(provisioned_at, now())
WHERE id = :#tenant_id AND lifecycle NOT IN ('deleted', 'purged')
