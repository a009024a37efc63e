-- Applies organization.created | organization.updated | organization.deleted to organizations.
-- Used by route apply-clerk-event (routes/apply-clerk.camel.yaml). Input: variable "events", a JSON
-- array of canonical events. One statement: orgsync_record_all() records the batch's events once (dedupe by
-- svix-id, audit row by trigger), orgsync_clerk_organization() applies it with the ordering guard on
-- Clerk's updated_at; organization.deleted (only {id, deleted}) tombstones it and its memberships.
-- Returns one row per event that was new: n, its position in the input (group commit answers each request by it).
WITH fresh AS (
    SELECT r.n, r.event_id, r.event_type, r.occurred_at AS ts, r.d
    FROM orgsync_record_all((
             SELECT jsonb_agg(jsonb_build_object('n', n, 'entity_type', 'organization', 'entity_id', e -> 'data' ->> 'id',
                                                 'tenant_id', e -> 'data' ->> 'id', 'event', e))
             FROM jsonb_array_elements(CAST(:#${variable.events} AS jsonb)) WITH ORDINALITY AS x(e, n))) AS r
)
SELECT n, event_id, event_type,
       orgsync_clerk_organization(d, event_type = 'organization.deleted', ts, event_id, false) AS applied
FROM fresh
