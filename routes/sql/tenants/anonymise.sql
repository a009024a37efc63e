-- The purge's step anonymise, in one transaction with its record: the tenant's personal data in the
-- mirror (AuthVital's tables, or a Clerk organisation and its members' names and emails), its audit
-- trail and the event log becomes "[anonymised]" (orgsync_is_personal, in
-- routes/sql/functions/R__personal_data.sql, says which fields), every row and key kept, so the
-- audit trail keeps its shape; the events' raw bodies are dropped. Done once: a second run finds the
-- step recorded and changes nothing. Used by route purge-tenant.
WITH todo AS (
    SELECT CAST(:#${variable.tenantId} AS text) AS id
    WHERE NOT EXISTS (SELECT 1 FROM orgsync_purge_steps s WHERE s.tenant_id = :#${variable.tenantId} AND s.step = 'anonymise')
),
tenant AS (
    UPDATE av_organizations o
    SET owner_email = orgsync_anonymised(o.owner_email), created_by_sub = orgsync_anonymised(o.created_by_sub),
        updated_by_sub = orgsync_anonymised(o.updated_by_sub), deleted_by_sub = orgsync_anonymised(o.deleted_by_sub),
        suspended_by_sub = orgsync_anonymised(o.suspended_by_sub), data = orgsync_scrub(o.data, false),
        settings = orgsync_scrub(o.settings, false)
    FROM todo WHERE o.id = todo.id
    RETURNING 1
),
applications AS (
    UPDATE av_applications a
    SET created_by_sub = orgsync_anonymised(a.created_by_sub), data = orgsync_scrub(a.data, false)
    FROM todo WHERE a.organization_id = todo.id
    RETURNING 1
),
sso_providers AS (
    UPDATE av_sso_providers p
    SET created_by_sub = orgsync_anonymised(p.created_by_sub), data = orgsync_scrub(p.data, false)
    FROM todo WHERE p.organization_id = todo.id
    RETURNING 1
),
access AS (
    UPDATE av_tenant_app_access x
    SET user_email = orgsync_anonymised(x.user_email), granted_by_id = orgsync_anonymised(x.granted_by_id),
        revoked_by_id = orgsync_anonymised(x.revoked_by_id), data = orgsync_scrub(x.data, false)
    FROM todo WHERE x.tenant_id = todo.id
    RETURNING 1
),
audit AS (
    UPDATE av_organization_audit_logs l
    SET changed_by_sub = orgsync_anonymised(l.changed_by_sub), previous_values = orgsync_scrub(l.previous_values, false),
        new_values = orgsync_scrub(l.new_values, false)
    FROM todo WHERE l.organization_id = todo.id
    RETURNING 1
),
clerk_organization AS (
    UPDATE organizations c
    SET created_by = orgsync_anonymised(c.created_by), data = orgsync_scrub(c.data, false),
        image_url = orgsync_anonymised(c.image_url)
    FROM todo WHERE c.id = todo.id
    RETURNING 1
),
members AS (
    UPDATE organization_members m
    SET identifier = orgsync_anonymised(m.identifier), first_name = orgsync_anonymised(m.first_name),
        last_name = orgsync_anonymised(m.last_name), data = orgsync_scrub(m.data, false)
    FROM todo WHERE m.organization_id = todo.id
    RETURNING 1
),
events AS (
    UPDATE orgsync_events e
    SET data = orgsync_scrub(e.data, false), raw_body = NULL
    FROM todo WHERE e.tenant_id = todo.id
    RETURNING 1
),
recorded AS (
    INSERT INTO orgsync_purge_steps (tenant_id, step, detail)
    SELECT todo.id, 'anonymise', jsonb_build_object(
               'tenant_rows', (SELECT count(*) FROM tenant), 'applications', (SELECT count(*) FROM applications),
               'sso_providers', (SELECT count(*) FROM sso_providers), 'access_grants', (SELECT count(*) FROM access),
               'audit_rows', (SELECT count(*) FROM audit), 'clerk_organizations', (SELECT count(*) FROM clerk_organization),
               'members', (SELECT count(*) FROM members), 'events', (SELECT count(*) FROM events))
    FROM todo
    RETURNING detail
)
SELECT :#${variable.tenantId} AS tenant_id, (SELECT detail FROM recorded) AS detail
