-- One tenant as one JSON document: its mirror rows (organisation, applications, SSO providers, access
-- grants), its audit trail and lifecycle history, and every table of its own schema; or a Clerk
-- organisation with its members and audit trail. Personal data
-- (orgsync_is_personal) is left out, at any depth, unless variable personalData is true.
-- No row: no such tenant. Used by route export-tenant.
WITH tenant AS (
    SELECT o.id, CAST(:#${variable.personalData} AS boolean) AS personal, jsonb_build_object(
        'format', 'orgsync.tenant-export/1',
        'tenant_id', o.id,
        'source', 'authvital',
        'exported_at', now(),
        'personal_data', CAST(:#${variable.personalData} AS boolean),
        'organization', to_jsonb(o),
        'applications', (SELECT COALESCE(jsonb_agg(to_jsonb(a) ORDER BY a.id), '[]'::jsonb)
                         FROM av_applications a WHERE a.organization_id = o.id),
        'sso_providers', (SELECT COALESCE(jsonb_agg(to_jsonb(p) ORDER BY p.id), '[]'::jsonb)
                          FROM av_sso_providers p WHERE p.organization_id = o.id),
        'access_grants', (SELECT COALESCE(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]'::jsonb)
                          FROM av_tenant_app_access x WHERE x.tenant_id = o.id),
        'audit_trail', (SELECT COALESCE(jsonb_agg(to_jsonb(l) ORDER BY l.occurred_at, l.id), '[]'::jsonb)
                        FROM av_organization_audit_logs l WHERE l.organization_id = o.id),
        'lifecycle', (SELECT COALESCE(jsonb_agg(to_jsonb(h) ORDER BY h.id), '[]'::jsonb)
                      FROM av_organization_lifecycle h WHERE h.organization_id = o.id),
        'tenant_schema', orgsync_tenant_schema_export(o.tenant_schema)) AS doc
    FROM av_organizations o
    WHERE o.id = :#${variable.tenantId}
),
clerk AS (
    SELECT c.id, CAST(:#${variable.personalData} AS boolean) AS personal, jsonb_build_object(
        'format', 'orgsync.tenant-export/1',
        'tenant_id', c.id,
        'source', 'clerk',
        'exported_at', now(),
        'personal_data', CAST(:#${variable.personalData} AS boolean),
        'organization', to_jsonb(c),
        'members', (SELECT COALESCE(jsonb_agg(to_jsonb(m) ORDER BY m.id), '[]'::jsonb)
                    FROM organization_members m WHERE m.organization_id = c.id),
        'audit_trail', (SELECT COALESCE(jsonb_agg(to_jsonb(l) ORDER BY l.occurred_at, l.id), '[]'::jsonb)
                        FROM av_organization_audit_logs l WHERE l.organization_id = c.id)) AS doc
    FROM organizations c
    WHERE c.id = :#${variable.tenantId} AND NOT EXISTS (SELECT 1 FROM tenant)
)
SELECT id AS tenant_id, CAST(CASE WHEN personal THEN doc ELSE orgsync_scrub(doc, true) END AS text) AS document
FROM (SELECT * FROM tenant UNION ALL SELECT * FROM clerk) AS found
