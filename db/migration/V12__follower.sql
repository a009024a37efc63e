-- A follower region (orgsync.mode = follower, docs/changefeed.md): it applies the changefeed's messages
-- to its own mirror with orgsync_follow(message). A message's state is kept only over a row with a
-- smaller change_seq, so a message delivered twice, late or out of order does nothing; the row keeps
-- the primary's change_seq (orgsync_stamp_change leaves it alone while orgsync.following is on, for
-- the transaction that applies a message). The row is written whole, every column as the primary has
-- it; the follower's own triggers run as on the primary (the read cache's NOTIFY, the lifecycle log).

CREATE OR REPLACE FUNCTION orgsync_stamp_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF current_setting('orgsync.following', true) IS DISTINCT FROM 'on' THEN
        NEW.change_seq := nextval('orgsync_change_seq');
    END IF;
    RETURN NEW;
END
$$;

-- A tenant's lifecycle columns come with the message, as the primary derived them: while a follower
-- applies a message, V7's derivation does not run (its trigger, made again with a condition).
DROP TRIGGER av_organizations_lifecycle ON av_organizations;
CREATE TRIGGER av_organizations_lifecycle
    BEFORE INSERT OR UPDATE ON av_organizations
    FOR EACH ROW WHEN (current_setting('orgsync.following', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION orgsync_tenant_lifecycle();

-- The table of a message's source and kind; NULL for none.
CREATE FUNCTION orgsync_follow_table(source text, kind text) RETURNS regclass
LANGUAGE sql STABLE AS $$
    SELECT CASE source || '.' || kind
        WHEN 'authvital.organization' THEN 'av_organizations'::regclass
        WHEN 'authvital.application' THEN 'av_applications'::regclass
        WHEN 'authvital.sso_provider' THEN 'av_sso_providers'::regclass
        WHEN 'authvital.app_access' THEN 'av_tenant_app_access'::regclass
        WHEN 'clerk.organization' THEN 'organizations'::regclass
        WHEN 'clerk.membership' THEN 'organization_members'::regclass
    END
$$;

-- Applies one changefeed message (schema version 1); true when it changed the mirror, false when the
-- mirror had that state or a newer one already. A message orgsync cannot read is an error (the
-- follower stops on it and says why, rather than skip a change).
CREATE FUNCTION orgsync_follow(message jsonb) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    target regclass := orgsync_follow_table(message ->> 'source', message ->> 'kind');
    columns text;
    changed integer;
BEGIN
    IF jsonb_typeof(message) <> 'object' OR message -> 'schema_version' IS DISTINCT FROM '1'::jsonb THEN
        RAISE EXCEPTION 'orgsync_follow: not a changefeed message of schema version 1' USING ERRCODE = '22023';
    END IF;
    IF target IS NULL OR jsonb_typeof(message -> 'state') <> 'object' OR message #>> '{state,id}' IS NULL
       OR jsonb_typeof(message #> '{state,change_seq}') <> 'number' THEN
        RAISE EXCEPTION 'orgsync_follow: message of %.% has no table or no state with id and change_seq',
            message ->> 'source', message ->> 'kind' USING ERRCODE = '22023';
    END IF;
    PERFORM set_config('orgsync.following', 'on', true);
    SELECT string_agg(format('%I = EXCLUDED.%I', a.attname, a.attname), ', ' ORDER BY a.attnum) INTO columns
    FROM pg_attribute a WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> 'id';
    EXECUTE format('INSERT INTO %s AS t SELECT * FROM jsonb_populate_record(NULL::%s, $1) '
                   'ON CONFLICT (id) DO UPDATE SET %s WHERE t.change_seq < EXCLUDED.change_seq', target, target, columns)
        USING message -> 'state';
    GET DIAGNOSTICS changed = ROW_COUNT;
    PERFORM set_config('orgsync.following', 'off', true);
    RETURN changed > 0;
END
$$;

-- A change of a mirror row that no event made (a target's write-back: Stripe ids, storage names,
-- provisioning dates; the purge's anonymisation) queues the row for the changefeed once more, so that
-- followers get it too: the changefeed row of the row's latest event goes back to pending (or, when it
-- is being delivered right now and may have read the row before this change, is delivered once more
-- after: column again, honoured by routes/sql/outbox/mark-done.sql). Only while the changefeed runs
-- (it is in the routing table), and never for a follower applying the feed.
ALTER TABLE orgsync_outbox ADD COLUMN again boolean NOT NULL DEFAULT false;

-- SECURITY DEFINER: a role that may change a row under row-level security (orgsync_reader within its
-- tenant) has no right on the outbox, and needs none
CREATE FUNCTION orgsync_changefeed_again() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    row_source text := CASE WHEN TG_TABLE_NAME IN ('organizations', 'organization_members') THEN 'clerk' ELSE 'authvital' END;
    row_kind text := CASE TG_TABLE_NAME
        WHEN 'av_organizations' THEN 'organization' WHEN 'av_applications' THEN 'application'
        WHEN 'av_sso_providers' THEN 'sso_provider' WHEN 'av_tenant_app_access' THEN 'app_access'
        WHEN 'organizations' THEN 'organization' WHEN 'organization_members' THEN 'membership' END;
    latest orgsync_events%ROWTYPE;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM orgsync_fanout_rules WHERE 'changefeed' = ANY (targets)) THEN
        RETURN NULL;
    END IF;
    SELECT * INTO latest FROM orgsync_events e
    WHERE e.entity_type = row_kind AND e.entity_id = NEW.id AND e.source = row_source
    ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1;
    IF FOUND THEN
        INSERT INTO orgsync_outbox AS o (event_pk, target, order_key, event_type, occurred_at)
        VALUES (latest.id, 'changefeed', COALESCE(latest.tenant_id, latest.entity_id, latest.source || ':' || latest.event_id),
                latest.event_type, latest.occurred_at)
        ON CONFLICT ON CONSTRAINT orgsync_outbox_once DO UPDATE
        SET again = o.status = 'pending',
            status = 'pending',
            attempts = CASE WHEN o.status = 'done' THEN 0 ELSE o.attempts END,
            next_attempt_at = CASE WHEN o.status = 'done' THEN now() ELSE o.next_attempt_at END,
            done_at = NULL
        WHERE o.status IN ('done', 'pending');
    END IF;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['av_organizations', 'av_applications', 'av_sso_providers', 'av_tenant_app_access',
                             'organizations', 'organization_members'] LOOP
        -- the condition keeps the function out of every event's own update (it changes last_event_id)
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I FOR EACH ROW '
                       'WHEN (OLD.last_event_id IS NOT DISTINCT FROM NEW.last_event_id '
                       'AND current_setting(''orgsync.following'', true) IS DISTINCT FROM ''on'') '
                       'EXECUTE FUNCTION orgsync_changefeed_again()', t || '_changefeed_again', t);
    END LOOP;
END
$$;

-- change_seq continues from the time this database was made, in microseconds since 1970: a primary
-- whose database was lost and made anew (then filled again by reconciliation, or by its senders)
-- numbers its rows above anything the lost one published, so that its followers take them. (It would
-- not if the lost database had made a million changes a second for its whole life.)
SELECT setval('orgsync_change_seq', GREATEST((SELECT last_value FROM orgsync_change_seq),
                                             CAST(extract(epoch FROM clock_timestamp()) * 1000000 AS bigint)));
