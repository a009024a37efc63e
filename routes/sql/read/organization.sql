-- One organisation as the read API serves it, read as orgsync_reader under its tenant context
-- (orgsync_read_organization, V9): row-level security decides what it may see. NULL: none.
-- Used by the routes of routes/read-api.camel.yaml, with variable organizationId.
SELECT CAST(orgsync_read_organization(:#${variable.organizationId}) AS text) AS organization
