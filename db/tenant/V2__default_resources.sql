-- The default resources of a new tenant: a default workspace and its settings row. The tenant's id
-- is in orgsync_tenant (written by orgsync, as a bound parameter, before these migrations run).
-- Change the defaults here (a new migration for tenants that exist already).

INSERT INTO workspaces (organization_id, name, is_default)
SELECT organization_id, 'Default Workspace', true FROM orgsync_tenant
ON CONFLICT DO NOTHING;

INSERT INTO organization_settings (organization_id)
SELECT organization_id FROM orgsync_tenant
ON CONFLICT DO NOTHING;
