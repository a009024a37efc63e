-- Records a purge step done outside the database (export, remove-storage), with what it did
-- (variable purgeDetail, JSON). Doing such a step again is harmless. Used by route purge-tenant.
INSERT INTO orgsync_purge_steps (tenant_id, step, detail)
VALUES (:#${variable.tenantId}, :#${variable.purgeStep}, CAST(:#${variable.purgeDetail} AS jsonb))
ON CONFLICT (tenant_id, step) DO NOTHING
