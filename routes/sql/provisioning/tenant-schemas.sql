-- The tenant schemas that exist (not purged): at start, each gets the tenant migrations added since it
-- was provisioned. Used by route tenant-schema-migrations.
SELECT o.id AS tenant_id, o.tenant_schema
FROM av_organizations o
WHERE o.tenant_schema IS NOT NULL AND o.purged_at IS NULL
  AND EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = o.tenant_schema)
ORDER BY o.tenant_schema
