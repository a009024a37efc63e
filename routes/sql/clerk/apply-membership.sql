-- Applies organizationMembership.created | updated | deleted to organization_members, and the
-- organisation copy each one embeds to organizations (a membership may arrive before its
-- organisation: it is kept, and so is a row for its organisation). Used by route apply-clerk-event.
-- Ordering guard on Clerk's updated_at; deleted is a tombstone; a membership of an organisation
-- already deleted is stored deleted. Returns one row per event that was new.
WITH fresh AS (
    SELECT n, event_id, event_type, occurred_at AS ts, d, e -> 'data' AS sent
    FROM orgsync_record_events(CAST(:#${variable.events} AS jsonb), 'membership', '{data,id}')
),
mirrored AS (
    INSERT INTO organization_members AS t (id, organization_id, user_id, role, member_role, role_name, identifier,
                                           first_name, last_name, permissions, public_metadata, joined_at, updated_at,
                                           deleted_at, status, data, last_event_id)
    SELECT d ->> 'id',
           d -> 'organization' ->> 'id',
           d -> 'public_user_data' ->> 'user_id',
           d ->> 'role',
           orgsync_member_role(d ->> 'role'),
           d ->> 'role_name',
           d -> 'public_user_data' ->> 'identifier',
           d -> 'public_user_data' ->> 'first_name',
           d -> 'public_user_data' ->> 'last_name',
           orgsync_text_array(d -> 'permissions'),
           sent -> 'public_metadata',
           orgsync_epoch_ms(d -> 'created_at'),
           orgsync_epoch_ms(d -> 'updated_at'),
           CASE WHEN event_type = 'organizationMembership.deleted' OR o.status = 'deleted' THEN ts END,
           CASE WHEN event_type = 'organizationMembership.deleted' OR o.status = 'deleted' THEN 'deleted' ELSE 'active' END,
           sent,
           event_id
    FROM fresh LEFT JOIN organizations o ON o.id = fresh.d -> 'organization' ->> 'id'
    ON CONFLICT (id) DO UPDATE SET
        organization_id = EXCLUDED.organization_id,
        (user_id, role, member_role, role_name, identifier, first_name, last_name, permissions,
         public_metadata, data, last_event_id) = (
            SELECT orgsync_replace(newer, EXCLUDED.user_id,         t.user_id),
                   orgsync_replace(newer, EXCLUDED.role,            t.role),
                   orgsync_replace(newer, EXCLUDED.member_role,     t.member_role),
                   orgsync_replace(newer, EXCLUDED.role_name,       t.role_name),
                   orgsync_replace(newer, EXCLUDED.identifier,      t.identifier),
                   orgsync_replace(newer, EXCLUDED.first_name,      t.first_name),
                   orgsync_replace(newer, EXCLUDED.last_name,       t.last_name),
                   orgsync_replace(newer, EXCLUDED.permissions,     t.permissions),
                   orgsync_replace(newer, EXCLUDED.public_metadata, t.public_metadata),
                   orgsync_replace(newer, EXCLUDED.data,            t.data),
                   orgsync_replace(newer, EXCLUDED.last_event_id,   t.last_event_id)
            FROM orgsync_newer(EXCLUDED.updated_at, t.updated_at) AS newer),
        joined_at       = COALESCE(t.joined_at, EXCLUDED.joined_at),
        updated_at      = GREATEST(t.updated_at, EXCLUDED.updated_at),
        -- deleted is a tombstone: no event brings the membership back
        status          = CASE WHEN t.status = 'deleted' OR EXCLUDED.status = 'deleted' THEN 'deleted' ELSE 'active' END,
        deleted_at      = COALESCE(t.deleted_at, EXCLUDED.deleted_at),
        synced_at       = now()
    RETURNING 1
)
SELECT n, event_id, event_type,
       orgsync_clerk_organization(d -> 'organization', sent -> 'organization', false, NULL, event_id, true) AS organization_applied
FROM fresh
