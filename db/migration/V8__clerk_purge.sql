-- Clerk organisations end in a purge too (docs/tenancy.md, "The purge"): a deleted organisation is
-- kept for orgsync.lifecycle.retention-days after its deletion, then the purge job anonymises its
-- members' names and emails (and the rest of its personal data) and records purged_at. Clerk
-- organisations have no provisioning and no suspension: active → deleted → purged.
ALTER TABLE organizations
    ADD COLUMN scheduled_purge_at timestamptz,
    ADD COLUMN purged_at          timestamptz;
CREATE INDEX organizations_purge_idx ON organizations (scheduled_purge_at) WHERE status = 'deleted' AND purged_at IS NULL;

-- organisations deleted before this version: scheduled from now, so that no upgrade purges at once
UPDATE organizations SET scheduled_purge_at = now() + orgsync_retention() WHERE status = 'deleted';

CREATE FUNCTION orgsync_clerk_purge_schedule() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'deleted' AND NEW.scheduled_purge_at IS NULL THEN
        NEW.scheduled_purge_at := COALESCE(NEW.deleted_at, now()) + orgsync_retention();
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER organizations_purge_schedule
    BEFORE INSERT OR UPDATE OF status ON organizations
    FOR EACH ROW EXECUTE FUNCTION orgsync_clerk_purge_schedule();
