-- The purge's last step: the tenant is purged (purged_at; for an AuthVital tenant the lifecycle trigger records the state),
-- in one transaction with the step's record. The row stays, anonymised, as the tombstone that keeps
-- an older event from bringing the tenant back. Used by route purge-tenant.
WITH todo AS (
    SELECT CAST(:#${variable.tenantId} AS text) AS id
    WHERE NOT EXISTS (SELECT 1 FROM orgsync_purge_steps s WHERE s.tenant_id = :#${variable.tenantId} AND s.step = 'finish')
),
purged AS (
    UPDATE av_organizations o SET purged_at = now()
    FROM todo WHERE o.id = todo.id AND o.purged_at IS NULL
    RETURNING o.purged_at
),
clerk_purged AS (
    UPDATE organizations c SET purged_at = now()
    FROM todo WHERE c.id = todo.id AND c.purged_at IS NULL
    RETURNING c.purged_at
)
INSERT INTO orgsync_purge_steps (tenant_id, step, detail)
SELECT todo.id, 'finish', jsonb_build_object('purged_at', COALESCE((SELECT purged_at FROM purged), (SELECT purged_at FROM clerk_purged)))
FROM todo
RETURNING tenant_id
