-- The purge's step drop-schema: the tenant's schema dropped with everything in it, and the step
-- recorded, in one transaction (orgsync_drop_tenant_schema, R__tenant_schemas.sql). Used by route purge-tenant.
SELECT orgsync_drop_tenant_schema(:#${variable.tenant[tenant_schema]}, :#${variable.tenantId}) AS dropped
