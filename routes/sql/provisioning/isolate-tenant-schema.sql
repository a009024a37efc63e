-- Puts every table of the tenant's schema under row-level security, as the mirror is (R__tenant_schemas.sql).
-- Used by routes target-provisioning and tenant-schema-migrations (variable schema), after the tenant migrations.
SELECT orgsync_isolate_tenant_schema(:#${variable.schema}) AS tables
