-- The read API (docs/read-api.md) reads the mirror as applications do: as orgsync_reader, under the
-- tenant context of the organisation asked for, so it can never show more than row-level security
-- allows. orgsync's own role becomes a member of orgsync_reader so that it may take that role for a read.
DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'orgsync_reader', 'MEMBER') THEN
        EXECUTE format('GRANT orgsync_reader TO %I', current_user);
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE EXCEPTION 'the read API reads as orgsync_reader, and % may not be granted it. As an administrator, once: '
        'GRANT orgsync_reader TO %; then start orgsync again (docs/read-api.md)', current_user, current_user;
END
$$;

-- The organisation with this id as the read API serves it (a JSON document), read as orgsync_reader
-- under its tenant context, for the rest of the transaction (the caller's statement): an AuthVital
-- tenant with its active applications and enabled SSO providers, or a Clerk organisation with its
-- members; NULL when there is none (or row-level security hides it).
CREATE FUNCTION orgsync_read_organization(p_id text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    doc jsonb;
BEGIN
    SET LOCAL ROLE orgsync_reader;
    PERFORM set_config('app.current_org_id', COALESCE(p_id, ''), true);
    SELECT jsonb_build_object(
               'id', o.id, 'source', 'authvital', 'name', o.name, 'slug', o.slug, 'status', o.status,
               'lifecycle', o.lifecycle, 'plan', o.plan, 'suspended_reason', o.suspended_reason,
               'deleted_at', o.deleted_at,
               'settings', jsonb_build_object('allow_signups', o.allow_signups, 'require_mfa', o.require_mfa,
                   'allowed_email_domains', to_jsonb(o.allowed_email_domains),
                   'session_lifetime_minutes', o.session_lifetime_minutes, 'password_policy', o.password_policy,
                   'custom', o.settings),
               'applications', (SELECT COALESCE(jsonb_agg(jsonb_build_object('id', a.id, 'name', a.name, 'slug', a.slug,
                                    'client_id', a.client_id, 'application_type', a.application_type) ORDER BY a.id), '[]'::jsonb)
                                FROM av_applications a
                                WHERE a.organization_id = o.id AND a.status = 'active' AND a.is_active IS NOT FALSE),
               'sso_providers', (SELECT COALESCE(jsonb_agg(jsonb_build_object('id', p.id, 'provider_type', p.provider_type,
                                     'display_name', p.display_name, 'domains', to_jsonb(p.domains)) ORDER BY p.id), '[]'::jsonb)
                                 FROM av_sso_providers p
                                 WHERE p.organization_id = o.id AND p.status = 'active' AND p.is_enabled IS NOT FALSE),
               'updated_at', o.last_event_at)
    INTO doc
    FROM av_organizations o WHERE o.id = p_id;
    IF doc IS NULL THEN
        SELECT jsonb_build_object(
                   'id', c.id, 'source', 'clerk', 'name', c.name, 'slug', c.slug, 'status', c.status,
                   'plan', COALESCE(c.public_metadata ->> 'plan', c.public_metadata ->> 'tier'),
                   'deleted_at', c.deleted_at, 'settings', COALESCE(c.public_metadata, '{}'::jsonb),
                   'members', (SELECT COALESCE(jsonb_agg(jsonb_build_object('id', m.id, 'user_id', m.user_id, 'role', m.role,
                                   'member_role', m.member_role, 'joined_at', m.joined_at) ORDER BY m.id), '[]'::jsonb)
                               FROM organization_members m WHERE m.organization_id = c.id AND m.status = 'active'),
                   'updated_at', c.updated_at)
        INTO doc
        FROM organizations c WHERE c.id = p_id AND NOT c.from_membership;
    END IF;
    RETURN doc;
END
$$;

-- The id of the organisation with this slug, looked up across tenants by orgsync's own role (the slug
-- is what the caller knows; the read itself is then done under that id's context). A slug a deleted
-- tenant left and a new one took: the one not deleted, else the newest.
CREATE FUNCTION orgsync_organization_by_slug(p_slug text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT id FROM (
        SELECT o.id, o.status, o.last_event_at AS at FROM av_organizations o WHERE o.slug = p_slug
        UNION ALL
        SELECT c.id, c.status, c.updated_at FROM organizations c WHERE c.slug = p_slug AND NOT c.from_membership
    ) AS found
    ORDER BY status = 'deleted', at DESC NULLS LAST
    LIMIT 1
$$;
