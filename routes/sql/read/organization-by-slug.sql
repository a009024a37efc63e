-- One organisation by its slug: the slug looked up across tenants (orgsync_organization_by_slug, V9),
-- the organisation then read as orgsync_reader under its own tenant context. NULL: none.
-- Used by route read-organization-by-slug, with variable slug.
SELECT CAST(orgsync_read_organization(orgsync_organization_by_slug(:#${variable.slug})) AS text) AS organization
