-- Every change of the mirror tells which organisation it touched: NOTIFY orgsync_mirror, '<id>',
-- sent by the statement that changes the row and delivered to listeners when its transaction
-- commits (never for one that rolls back). The read API's cache (MirrorCache, docs/read-api.md)
-- listens and drops that organisation's entry, on every instance. PostgreSQL folds the same
-- notification sent twice in one transaction into one.

CREATE FUNCTION orgsync_notify_by_id() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('orgsync_mirror', NEW.id);
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.id IS DISTINCT FROM NEW.id THEN
        PERFORM pg_notify('orgsync_mirror', OLD.id);
    END IF;
    RETURN NULL;
END
$$;

-- rows of an organisation (its applications, SSO providers, access grants, members); rows of no
-- organisation (instance-wide) are in no organisation's answer
CREATE FUNCTION orgsync_notify_by_organization() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' AND NEW.organization_id IS NOT NULL THEN
        PERFORM pg_notify('orgsync_mirror', NEW.organization_id);
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.organization_id IS NOT NULL AND OLD.organization_id IS DISTINCT FROM NEW.organization_id THEN
        PERFORM pg_notify('orgsync_mirror', OLD.organization_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER av_organizations_notify AFTER INSERT OR UPDATE OR DELETE ON av_organizations
    FOR EACH ROW EXECUTE FUNCTION orgsync_notify_by_id();
CREATE TRIGGER organizations_notify AFTER INSERT OR UPDATE OR DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION orgsync_notify_by_id();
CREATE TRIGGER av_applications_notify AFTER INSERT OR UPDATE OR DELETE ON av_applications
    FOR EACH ROW EXECUTE FUNCTION orgsync_notify_by_organization();
CREATE TRIGGER av_sso_providers_notify AFTER INSERT OR UPDATE OR DELETE ON av_sso_providers
    FOR EACH ROW EXECUTE FUNCTION orgsync_notify_by_organization();
CREATE TRIGGER organization_members_notify AFTER INSERT OR UPDATE OR DELETE ON organization_members
    FOR EACH ROW EXECUTE FUNCTION orgsync_notify_by_organization();

-- TRUNCATE changes every organisation at once: '*' drops the whole cache
CREATE FUNCTION orgsync_notify_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('orgsync_mirror', '*');
    RETURN NULL;
END
$$;

CREATE TRIGGER av_organizations_notify_truncate AFTER TRUNCATE ON av_organizations FOR EACH STATEMENT EXECUTE FUNCTION orgsync_notify_all();
CREATE TRIGGER organizations_notify_truncate AFTER TRUNCATE ON organizations FOR EACH STATEMENT EXECUTE FUNCTION orgsync_notify_all();
CREATE TRIGGER av_applications_notify_truncate AFTER TRUNCATE ON av_applications FOR EACH STATEMENT EXECUTE FUNCTION orgsync_notify_all();
CREATE TRIGGER av_sso_providers_notify_truncate AFTER TRUNCATE ON av_sso_providers FOR EACH STATEMENT EXECUTE FUNCTION orgsync_notify_all();
CREATE TRIGGER organization_members_notify_truncate AFTER TRUNCATE ON organization_members FOR EACH STATEMENT EXECUTE FUNCTION orgsync_notify_all();
