-- The id of the organisation with this slug (orgsync_organization_by_slug, V9): looked up across
-- tenants by orgsync's own role; the organisation is then read under its own tenant context.
-- Used by route read-organization-by-slug, with variable slug.
SELECT orgsync_organization_by_slug(:#${variable.slug}) AS id
