-- Applies organizationMembership.created | updated | deleted to organization_members, and the
-- organisation copy each one embeds to organizations (a membership may arrive before its
-- organisation: it is kept, and so is a row for its organisation). Used by route apply-clerk-event.
-- Ordering guard on Clerk's updated_at; deleted is a tombstone; a membership of an organisation
-- already deleted is stored deleted. Returns one row per event that was new.
WITH fresh AS (
    SELECT r.n, r.event_id, r.event_type, r.occurred_at AS ts, r.d
    FROM orgsync_record_all((
             SELECT jsonb_agg(jsonb_build_object('n', n, 'entity_type', 'membership', 'entity_id', e -> 'data' ->> 'id',
                                                 'tenant_id', e -> 'data' -> 'organization' ->> 'id', 'event', e))
             FROM jsonb_array_elements(CAST(:#${variable.events} AS jsonb)) WITH ORDINALITY AS x(e, n))) AS r
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
           d -> 'public_metadata',
           orgsync_epoch_ms(d -> 'created_at'),
           orgsync_epoch_ms(d -> 'updated_at'),
           CASE WHEN event_type = 'organizationMembership.deleted' OR o.status = 'deleted' THEN ts END,
           CASE WHEN event_type = 'organizationMembership.deleted' OR o.status = 'deleted' THEN 'deleted' ELSE 'active' END,
           d,
           event_id
    FROM fresh LEFT JOIN organizations o ON o.id = fresh.d -> 'organization' ->> 'id'
    ON CONFLICT (id) DO UPDATE SET
        organization_id = EXCLUDED.organization_id,
        user_id         = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.user_id ELSE COALESCE(t.user_id, EXCLUDED.user_id) END,
        role            = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.role ELSE COALESCE(t.role, EXCLUDED.role) END,
        member_role     = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.member_role ELSE COALESCE(t.member_role, EXCLUDED.member_role) END,
        role_name       = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.role_name ELSE COALESCE(t.role_name, EXCLUDED.role_name) END,
        identifier      = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.identifier ELSE COALESCE(t.identifier, EXCLUDED.identifier) END,
        first_name      = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.first_name ELSE COALESCE(t.first_name, EXCLUDED.first_name) END,
        last_name       = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.last_name ELSE COALESCE(t.last_name, EXCLUDED.last_name) END,
        permissions     = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.permissions ELSE COALESCE(t.permissions, EXCLUDED.permissions) END,
        public_metadata = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.public_metadata ELSE COALESCE(t.public_metadata, EXCLUDED.public_metadata) END,
        joined_at       = COALESCE(t.joined_at, EXCLUDED.joined_at),
        data            = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.data ELSE t.data END,
        last_event_id   = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.last_event_id ELSE t.last_event_id END,
        updated_at      = GREATEST(t.updated_at, EXCLUDED.updated_at),
        -- deleted is a tombstone: no event brings the membership back
        status          = CASE WHEN t.status = 'deleted' OR EXCLUDED.status = 'deleted' THEN 'deleted' ELSE 'active' END,
        deleted_at      = COALESCE(t.deleted_at, EXCLUDED.deleted_at),
        synced_at       = now()
    RETURNING 1
)
SELECT n, event_id, event_type,
       orgsync_clerk_organization(d -> 'organization', false, NULL, event_id, true) AS organization_applied
FROM fresh
