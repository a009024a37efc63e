-- The Clerk mirror (seeds/004): organizations and organization_members, with what ordering and
-- tombstones need. Clerk's own created_at / updated_at (epoch ms in the payload) are kept as
-- timestamps; updated_at is the ordering key (an older payload never overwrites a newer one).
CREATE TABLE organizations (
    id                      text        PRIMARY KEY,          -- org_…
    name                    text,
    slug                    text,
    image_url               text,
    has_image               boolean,
    public_metadata         jsonb,
    private_metadata        jsonb,
    members_count           integer,
    max_allowed_memberships integer,
    admin_delete_enabled    boolean,
    created_by              text,
    created_at              timestamptz,                      -- Clerk's created_at
    updated_at              timestamptz,                      -- Clerk's updated_at: the version the row holds
    deleted_at              timestamptz,                      -- tombstone: organization.deleted or gone from Clerk
    status                  text        NOT NULL DEFAULT 'active', -- active | deleted
    from_membership         boolean     NOT NULL DEFAULT false, -- known so far only from a membership's embedded copy
    data                    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    last_event_id           text,
    synced_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organizations_slug_idx ON organizations (slug);

CREATE TABLE organization_members (
    id              text        PRIMARY KEY,                  -- Clerk's membership id (orgmem_…)
    organization_id text        NOT NULL,
    user_id         text,
    role            text,                                     -- as Clerk sends it: org:admin, org:member, custom keys
    member_role     text,                                     -- the seed's owner | admin | member | viewer
    role_name       text,
    identifier      text,                                     -- the user's email or username
    first_name      text,
    last_name       text,
    permissions     text[],
    public_metadata jsonb,
    joined_at       timestamptz,                              -- Clerk's created_at
    updated_at      timestamptz,                              -- Clerk's updated_at: the ordering key
    deleted_at      timestamptz,
    status          text        NOT NULL DEFAULT 'active',    -- active | deleted
    data            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    last_event_id   text,
    synced_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organization_members_org_idx  ON organization_members (organization_id);
CREATE INDEX organization_members_user_idx ON organization_members (user_id);

-- Clerk's epoch milliseconds as a timestamp (NULL stays NULL).
CREATE FUNCTION orgsync_epoch_ms(j jsonb) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN j IS NULL OR jsonb_typeof(j) <> 'number' THEN NULL
                ELSE to_timestamp(CAST(j AS text)::numeric / 1000) END
$$;

-- Clerk's role key as the seed's member role: org:owner|admin|member|viewer map to themselves,
-- any other (custom) key to member. The role column keeps Clerk's key as sent.
CREATE FUNCTION orgsync_member_role(role text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN role IS NULL THEN NULL
                WHEN regexp_replace(role, '^org:', '') IN ('owner', 'admin', 'member', 'viewer') THEN regexp_replace(role, '^org:', '')
                ELSE 'member' END
$$;

-- Applies one Clerk organisation payload to organizations: the organization.* events, and the copy
-- every membership event embeds (so a membership that arrives before its organisation leaves a
-- row, marked from_membership, that the organisation's own events then complete). Clerk sends
-- whole objects: a payload with a newer updated_at replaces the row's fields, an older one only
-- fills what is unknown. deleted: a tombstone that no event undoes, and the organisation's
-- memberships with it. Used by routes/sql/clerk/apply-*.sql.
CREATE FUNCTION orgsync_clerk_organization(o jsonb, p_deleted boolean, p_deleted_at timestamptz, p_event_id text,
                                           p_from_membership boolean) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF o IS NULL OR jsonb_typeof(o) <> 'object' OR o ->> 'id' IS NULL THEN
        RETURN false;
    END IF;
    INSERT INTO organizations AS t (id, name, slug, image_url, has_image, public_metadata, private_metadata,
                                    members_count, max_allowed_memberships, admin_delete_enabled, created_by,
                                    created_at, updated_at, deleted_at, status, from_membership, data, last_event_id)
    VALUES (o ->> 'id', o ->> 'name', o ->> 'slug', o ->> 'image_url', CAST(o ->> 'has_image' AS boolean),
            o -> 'public_metadata', o -> 'private_metadata', CAST(o ->> 'members_count' AS integer),
            CAST(o ->> 'max_allowed_memberships' AS integer), CAST(o ->> 'admin_delete_enabled' AS boolean),
            o ->> 'created_by', orgsync_epoch_ms(o -> 'created_at'),
            CASE WHEN p_deleted THEN NULL ELSE orgsync_epoch_ms(o -> 'updated_at') END,
            CASE WHEN p_deleted THEN p_deleted_at END, CASE WHEN p_deleted THEN 'deleted' ELSE 'active' END,
            p_from_membership, CASE WHEN p_deleted THEN '{}'::jsonb ELSE o END, p_event_id)
    ON CONFLICT (id) DO UPDATE SET
        name                    = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.name ELSE COALESCE(t.name, EXCLUDED.name) END,
        slug                    = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.slug ELSE COALESCE(t.slug, EXCLUDED.slug) END,
        image_url               = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.image_url ELSE COALESCE(t.image_url, EXCLUDED.image_url) END,
        has_image               = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.has_image ELSE COALESCE(t.has_image, EXCLUDED.has_image) END,
        public_metadata         = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.public_metadata ELSE COALESCE(t.public_metadata, EXCLUDED.public_metadata) END,
        private_metadata        = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.private_metadata ELSE COALESCE(t.private_metadata, EXCLUDED.private_metadata) END,
        members_count           = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.members_count ELSE COALESCE(t.members_count, EXCLUDED.members_count) END,
        max_allowed_memberships = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.max_allowed_memberships ELSE COALESCE(t.max_allowed_memberships, EXCLUDED.max_allowed_memberships) END,
        admin_delete_enabled    = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.admin_delete_enabled ELSE COALESCE(t.admin_delete_enabled, EXCLUDED.admin_delete_enabled) END,
        created_by              = COALESCE(t.created_by, EXCLUDED.created_by),
        created_at              = COALESCE(t.created_at, EXCLUDED.created_at),
        data                    = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.data ELSE t.data END,
        last_event_id           = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) OR EXCLUDED.status = 'deleted' THEN EXCLUDED.last_event_id ELSE t.last_event_id END,
        updated_at              = GREATEST(t.updated_at, EXCLUDED.updated_at),
        from_membership         = t.from_membership AND EXCLUDED.from_membership,
        status                  = CASE WHEN t.status = 'deleted' OR EXCLUDED.status = 'deleted' THEN 'deleted' ELSE 'active' END,
        deleted_at              = COALESCE(t.deleted_at, EXCLUDED.deleted_at),
        synced_at               = now();
    IF p_deleted THEN
        UPDATE organization_members m
        SET status = 'deleted', deleted_at = COALESCE(m.deleted_at, p_deleted_at), synced_at = now()
        WHERE m.organization_id = o ->> 'id' AND m.status <> 'deleted';
    END IF;
    RETURN true;
END
$$;
