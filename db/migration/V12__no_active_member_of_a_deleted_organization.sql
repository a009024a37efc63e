-- A membership event and its organisation's organization.deleted applied at the same moment, by two
-- transactions: the deletion tombstoned the memberships it could see, the new membership was not one
-- of them yet, and it stayed active in a deleted organisation (a test with 200 concurrent pairs found
-- four). Now every membership written active first makes sure its organisation's row exists and
-- locks it (FOR SHARE): a deletion running at the same moment either committed first, and is seen
-- here, or waits for this transaction, and then tombstones this membership with the others.
CREATE FUNCTION orgsync_member_of_deleted_organization() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    org_status     text;
    org_deleted_at timestamptz;
BEGIN
    IF NEW.status = 'deleted' THEN
        RETURN NEW;
    END IF;
    -- a membership may come before its organisation: the row its embedded copy completes later
    INSERT INTO organizations (id, from_membership) VALUES (NEW.organization_id, true) ON CONFLICT (id) DO NOTHING;
    SELECT status, deleted_at INTO org_status, org_deleted_at
    FROM organizations WHERE id = NEW.organization_id FOR SHARE;
    IF org_status = 'deleted' THEN
        NEW.status := 'deleted';
        NEW.deleted_at := COALESCE(NEW.deleted_at, org_deleted_at, now());
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER organization_members_of_deleted_organization
    BEFORE INSERT OR UPDATE ON organization_members
    FOR EACH ROW EXECUTE FUNCTION orgsync_member_of_deleted_organization();
