-- The mirror's version (Clerk's updated_at, epoch ms) and status of the memberships on one page
-- of Clerk's API (variable pageIds). Used by route clerk-reconcile.
SELECT id, CAST(round(extract(epoch FROM updated_at) * 1000) AS bigint) AS updated_ms, status
FROM organization_members
WHERE id IN (SELECT jsonb_array_elements_text(CAST(:#${variable.pageIds} AS jsonb)))
