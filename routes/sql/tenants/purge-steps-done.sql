-- The purge steps done for the tenant so far, as ",step,step," (empty: ",,"). Used by route purge-tenant.
SELECT :#${variable.tenantId} AS tenant_id, ',' || COALESCE(string_agg(step, ','), '') || ',' AS done
FROM orgsync_purge_steps
WHERE tenant_id = :#${variable.tenantId}
