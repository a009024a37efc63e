-- One tenant as GET /admin/tenants/{id} shows it: its state and times, its resources, its lifecycle
-- history and the purge steps done. Used by route admin-show-tenant.
SELECT CAST(jsonb_build_object(
    'id', o.id, 'name', o.name, 'slug', o.slug, 'plan', o.plan, 'status', o.status, 'lifecycle', o.lifecycle,
    'lifecycle_at', o.lifecycle_at, 'activated_at', o.activated_at, 'provisioned_at', o.provisioned_at,
    'suspended_at', o.suspended_at, 'suspended_reason', o.suspended_reason, 'deleted_at', o.deleted_at,
    'scheduled_purge_at', o.scheduled_purge_at, 'purged_at', o.purged_at,
    'tenant_schema', o.tenant_schema, 'storage_bucket', o.storage_bucket, 'storage_prefix', o.storage_prefix,
    'history', (SELECT COALESCE(jsonb_agg(jsonb_build_object('from', h.from_state, 'to', h.to_state, 'cause', h.cause, 'at', h.at)
                                          ORDER BY h.id), '[]'::jsonb)
                FROM av_organization_lifecycle h WHERE h.organization_id = o.id),
    'purge_steps', (SELECT COALESCE(jsonb_agg(jsonb_build_object('step', s.step, 'done_at', s.done_at, 'detail', s.detail)
                                              ORDER BY s.done_at, s.step), '[]'::jsonb)
                    FROM orgsync_purge_steps s WHERE s.tenant_id = o.id)) AS text) AS tenant
FROM av_organizations o
WHERE o.id = :#${variable.tenantId}
