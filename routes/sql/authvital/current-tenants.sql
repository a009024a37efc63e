-- The mirror's rows of one page of AuthVital's tenants (variable pageIds, a JSON array of ids):
-- what reconciliation compares each tenant's detail with. Used by route authvital-reconcile.
SELECT id, name, slug, CAST(settings AS text) AS settings, attrs_event_at, status
FROM av_organizations
WHERE id IN (SELECT jsonb_array_elements_text(CAST(:#${variable.pageIds} AS jsonb)))
