-- Makes the tenant's schema (if it is not there) and marks it as the tenant's (R__tenant_schemas.sql).
-- Used by route target-provisioning (variables schema, tenantId), before the tenant migrations run in it.
SELECT orgsync_prepare_tenant_schema(:#${variable.schema}, :#${variable.tenantId}) AS tenant_schema
