-- The mirror's version (Clerk's updated_at, epoch ms) and status of the organisations on one page
-- of Clerk's API (variable pageIds, a JSON array of ids). Used by route clerk-reconcile.
SELECT id, CAST(round(extract(epoch FROM updated_at) * 1000) AS bigint) AS updated_ms, status
FROM organizations
WHERE id IN (SELECT jsonb_array_elements_text(CAST(:#${variable.pageIds} AS jsonb)))
