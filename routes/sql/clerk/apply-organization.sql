-- Applies organization.created | organization.updated | organization.deleted to organizations.
-- Used by route apply-clerk-event (routes/apply-clerk.camel.yaml). Input: variable "events", a JSON
-- array of canonical events. One statement: records the batch's events once (dedupe by svix-id,
-- audit and outbox rows by trigger), then applies each with the organisation mapping
-- (routes/sql/functions/R__clerk_organization.sql: ordering guard on Clerk's updated_at;
-- organization.deleted, only {id, deleted}, tombstones it and its memberships).
-- Returns one row per event that was new: n, its position in the input (group commit answers each request by it).
SELECT n, event_id, event_type,
       orgsync_clerk_organization(d, e -> 'data', event_type = 'organization.deleted', occurred_at, event_id, false) AS applied
FROM orgsync_record_events(CAST(:#${variable.events} AS jsonb), 'organization', '{data,id}')
