-- The changefeed (docs/changefeed.md): every row of the mirror carries change_seq, a number from one
-- sequence, taken anew by every insert and update of the row. It orders the states of one row as they
-- were committed: a message of the changefeed carries the row's state and its change_seq, and whoever
-- applies the feed (a follower region) keeps a state only over one with a smaller number, so a
-- message delivered twice, late or out of order does nothing. Rows there before this migration are
-- numbered by it, in no particular order between rows (each row's own order is what counts).

CREATE SEQUENCE orgsync_change_seq;

-- SECURITY DEFINER: the sequence is orgsync's; a role that may change a row under row-level security
-- (orgsync_reader within its tenant) needs no right on it
CREATE FUNCTION orgsync_stamp_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    NEW.change_seq := nextval('orgsync_change_seq');
    RETURN NEW;
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['av_organizations', 'av_applications', 'av_sso_providers', 'av_tenant_app_access',
                             'organizations', 'organization_members'] LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN change_seq bigint NOT NULL DEFAULT nextval(''orgsync_change_seq'')', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION orgsync_stamp_change()',
                       t || '_change_seq', t);
    END LOOP;
END
$$;
