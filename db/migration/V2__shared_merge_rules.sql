-- The rules every apply statement in routes/sql shares, as named functions, so that each statement
-- reads as the mapping of its entity: which event field goes to which column. The mappings
-- themselves live in routes/sql (changing a mapped field needs no migration); what is here is how
-- an event is recorded and how an older or newer event merges into a row.
-- Also: the Clerk organisation mapping leaves the schema for routes/sql/functions.

-- ---- Recording a batch -------------------------------------------------------------------------

-- Records a batch of canonical events (the statement's input, a JSON array) once each, all of one
-- entity type, and returns those that were new (see orgsync_record_all). entity_id_path is where in
-- the canonical event the entity's id is ('{data,application_id}'); the tenant is the canonical
-- event's tenant_id. An event type no statement maps is recorded with entity_type NULL ("ignored").
-- A statement whose entity id is computed from several fields builds the batch for
-- orgsync_record_all itself (routes/sql/authvital/apply-app-access.sql).
CREATE FUNCTION orgsync_record_events(events jsonb, entity_type text, entity_id_path text[])
RETURNS TABLE (n bigint, e jsonb, event_id text, event_type text, occurred_at timestamptz, d jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT * FROM orgsync_record_all((
        SELECT jsonb_agg(jsonb_build_object('n', x.n, 'entity_type', orgsync_record_events.entity_type,
                                            'entity_id', x.e #>> entity_id_path, 'tenant_id', x.e ->> 'tenant_id', 'event', x.e))
        FROM jsonb_array_elements(events) WITH ORDINALITY AS x(e, n)));
END
$$;

-- ---- Merging an event into a row ----------------------------------------------------------------

-- orgsync_pick (V1) is AuthVital's rule, for one column: its events carry what changed. A statement
-- applies it to a group of columns that share one clock, deciding once whether the event is newer:
--   (name, slug) = (SELECT orgsync_pick(newer, EXCLUDED.name, t.name), orgsync_pick(newer, EXCLUDED.slug, t.slug)
--                   FROM orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at) AS newer)
-- (Merging whole rows at once through jsonb was tried: 4x slower on a conflicting upsert.)

-- Clerk's rule, for one column: its events carry the whole object, so a newer one replaces the
-- value (a field it sends as null is null now); an older one only fills what is still unknown.
CREATE FUNCTION orgsync_replace(newer boolean, incoming anyelement, current_value anyelement) RETURNS anyelement
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN newer THEN incoming ELSE COALESCE(current_value, incoming) END
$$;

-- A status with a tombstone: 'deleted' is never undone; otherwise the newer event's status wins.
CREATE FUNCTION orgsync_status(current_status text, incoming_status text, newer boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN current_status = 'deleted' THEN current_status
                WHEN newer THEN incoming_status ELSE current_status END
$$;

-- The ordering columns of an AuthVital mirror row after an event (attrs_event_at, status_event_at,
-- last_event_at: see the comment on the AuthVital mirror in V1): each keeps the newest time it has
-- seen, and last_event_id names the event of the newest last_event_at. Use:
--   (attrs_event_at, status_event_at, last_event_at, last_event_id) = (SELECT * FROM orgsync_clocks(t.…, EXCLUDED.…))
CREATE FUNCTION orgsync_clocks(attrs_at timestamptz, status_at timestamptz, last_at timestamptz, last_id text,
                               new_attrs_at timestamptz, new_status_at timestamptz, new_last_at timestamptz, new_last_id text)
RETURNS TABLE (attrs_event_at timestamptz, status_event_at timestamptz, last_event_at timestamptz, last_event_id text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT GREATEST(attrs_at, new_attrs_at), GREATEST(status_at, new_status_at), GREATEST(last_at, new_last_at),
           CASE WHEN new_last_at >= last_at THEN new_last_id ELSE last_id END
$$;

-- ---- The Clerk mirror ----------------------------------------------------------------------------

-- The organisation mapping (V1's orgsync_clerk_organization) is now
-- routes/sql/functions/R__clerk_organization.sql, a repeatable migration that Flyway runs again
-- whenever the file changes; it drops V1's function and creates its own.

-- Tombstones the memberships of a deleted organisation. A function, called after the organisation's
-- row is written and locked, so that its UPDATE takes a new snapshot and sees a membership that
-- committed while the deletion waited for that lock.
CREATE FUNCTION orgsync_tombstone_memberships(organization_id text, deleted_at timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    tombstoned integer;
BEGIN
    UPDATE organization_members m
    SET status = 'deleted', deleted_at = COALESCE(m.deleted_at, orgsync_tombstone_memberships.deleted_at), synced_at = now()
    WHERE m.organization_id = orgsync_tombstone_memberships.organization_id AND m.status <> 'deleted';
    GET DIAGNOSTICS tombstoned = ROW_COUNT;
    RETURN tombstoned;
END
$$;
