-- The Clerk organisation mapping: one organisation payload onto organizations. A function
-- (not a statement file) because two statements apply it: routes/sql/clerk/apply-organization.sql
-- for organization.* events, and routes/sql/clerk/apply-membership.sql for the copy of its
-- organisation that every membership event embeds (so a membership that arrives before its
-- organisation leaves a row, marked from_membership, that the organisation's own events complete).
--
-- A repeatable Flyway migration (the R__ prefix; orgsync.db.migrations lists this folder): edit the
-- mapping here and Flyway re-creates the function at the next start, no new migration needed.
--
-- o is the payload as the statements map it (a field that came with an unexpected type is null
-- there: unknown), sent the payload as Clerk sent it (kept in data and the JSON columns).
-- Clerk sends whole objects: a payload with a newer updated_at replaces the row, an older one only
-- fills what is unknown (orgsync_replace, per column). deleted: a tombstone no event undoes, and the
-- organisation's memberships with it.
-- Dropped first, so that a change to its parameters takes effect too (keep the types below in step).
DROP FUNCTION IF EXISTS orgsync_clerk_organization(jsonb, boolean, timestamptz, text, boolean);
DROP FUNCTION IF EXISTS orgsync_clerk_organization(jsonb, jsonb, boolean, timestamptz, text, boolean);
CREATE FUNCTION orgsync_clerk_organization(o jsonb, sent jsonb, deleted boolean, deleted_at timestamptz, event_id text,
                                                      from_membership boolean) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF o IS NULL OR jsonb_typeof(o) <> 'object' OR o ->> 'id' IS NULL THEN
        RETURN false;
    END IF;
    INSERT INTO organizations AS t (
        id, name, slug, image_url, has_image, public_metadata, private_metadata, members_count,
        max_allowed_memberships, admin_delete_enabled, created_by, created_at, updated_at, deleted_at, status,
        from_membership, data, last_event_id)
    VALUES (
        o ->> 'id',
        o ->> 'name',
        o ->> 'slug',
        o ->> 'image_url',
        CAST(o ->> 'has_image' AS boolean),
        sent -> 'public_metadata',
        sent -> 'private_metadata',
        CAST(o ->> 'members_count' AS integer),
        CAST(o ->> 'max_allowed_memberships' AS integer),
        CAST(o ->> 'admin_delete_enabled' AS boolean),
        o ->> 'created_by',
        orgsync_epoch_ms(o -> 'created_at'),
        CASE WHEN deleted THEN NULL ELSE orgsync_epoch_ms(o -> 'updated_at') END,
        CASE WHEN deleted THEN orgsync_clerk_organization.deleted_at END,
        CASE WHEN deleted THEN 'deleted' ELSE 'active' END,
        orgsync_clerk_organization.from_membership,
        CASE WHEN deleted THEN '{}'::jsonb ELSE sent END,
        event_id)
    ON CONFLICT (id) DO UPDATE SET
        (name, slug, image_url, has_image, public_metadata, private_metadata, members_count,
         max_allowed_memberships, admin_delete_enabled, data) = (
            SELECT orgsync_replace(newer, EXCLUDED.name,                    t.name),
                   orgsync_replace(newer, EXCLUDED.slug,                    t.slug),
                   orgsync_replace(newer, EXCLUDED.image_url,               t.image_url),
                   orgsync_replace(newer, EXCLUDED.has_image,               t.has_image),
                   orgsync_replace(newer, EXCLUDED.public_metadata,         t.public_metadata),
                   orgsync_replace(newer, EXCLUDED.private_metadata,        t.private_metadata),
                   orgsync_replace(newer, EXCLUDED.members_count,           t.members_count),
                   orgsync_replace(newer, EXCLUDED.max_allowed_memberships, t.max_allowed_memberships),
                   orgsync_replace(newer, EXCLUDED.admin_delete_enabled,    t.admin_delete_enabled),
                   orgsync_replace(newer, EXCLUDED.data,                    t.data)
            FROM orgsync_newer(EXCLUDED.updated_at, t.updated_at) AS newer),
        created_by      = COALESCE(t.created_by, EXCLUDED.created_by),
        created_at      = COALESCE(t.created_at, EXCLUDED.created_at),
        -- the event whose state the row holds: a deletion over anything else, else the newest updated_at;
        -- between equals (every membership event embeds its organisation, mostly unchanged) the
        -- greatest id, so the row is the same whatever order the events come in (a rebuild's order too)
        last_event_id   = CASE WHEN EXCLUDED.status = 'deleted' AND t.status = 'deleted' THEN GREATEST(EXCLUDED.last_event_id, t.last_event_id)
                               WHEN EXCLUDED.status = 'deleted' THEN EXCLUDED.last_event_id
                               WHEN t.status = 'deleted' THEN t.last_event_id
                               WHEN EXCLUDED.updated_at IS NOT DISTINCT FROM t.updated_at THEN GREATEST(EXCLUDED.last_event_id, t.last_event_id)
                               WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.last_event_id
                               ELSE t.last_event_id END,
        updated_at      = GREATEST(t.updated_at, EXCLUDED.updated_at),
        from_membership = t.from_membership AND EXCLUDED.from_membership,
        status          = CASE WHEN t.status = 'deleted' OR EXCLUDED.status = 'deleted' THEN 'deleted' ELSE 'active' END,
        deleted_at      = COALESCE(t.deleted_at, EXCLUDED.deleted_at),
        synced_at       = now();
    IF deleted THEN
        PERFORM orgsync_tombstone_memberships(o ->> 'id', orgsync_clerk_organization.deleted_at);
    END IF;
    RETURN true;
END
$$;
