-- The mirror as one JSON document, for a newcomer's first look (route dev-mirror, development only).
SELECT jsonb_pretty(jsonb_build_object(
    'av_organizations', COALESCE((SELECT jsonb_agg(to_jsonb(o) - 'data' ORDER BY o.id) FROM av_organizations o), '[]'::jsonb),
    'av_applications', COALESCE((SELECT jsonb_agg(to_jsonb(a) - 'data' ORDER BY a.id) FROM av_applications a), '[]'::jsonb),
    'av_sso_providers', COALESCE((SELECT jsonb_agg(to_jsonb(s) - 'data' ORDER BY s.id) FROM av_sso_providers s), '[]'::jsonb),
    'av_tenant_app_access', COALESCE((SELECT jsonb_agg(to_jsonb(g) - 'data' ORDER BY g.id) FROM av_tenant_app_access g), '[]'::jsonb),
    'av_organization_audit_logs', COALESCE((SELECT jsonb_agg(to_jsonb(l) ORDER BY l.id DESC)
                                            FROM (SELECT * FROM av_organization_audit_logs ORDER BY id DESC LIMIT 20) l), '[]'::jsonb)
)) AS mirror
