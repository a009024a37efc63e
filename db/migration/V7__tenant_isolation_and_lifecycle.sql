-- The tenant's whole life in the database (docs/tenancy.md):
--   1. row-level security: each tenant's rows visible only under its tenant context, to the role
--      applications read the mirror with (orgsync_reader); orgsync's own role writes across tenants;
--   2. the tenant's lifecycle on its row (provisioning → active ↔ suspended → deleted → purged), its
--      history in av_organization_lifecycle, and what the purge job needs;
--   3. the settings orgsync writes at start for the database to use (the retention period).

-- ---- 1. Roles and row-level security ---------------------------------------------------------------

-- Two roles without login, made once per PostgreSQL cluster (roles are cluster-wide):
--   orgsync_reader  what applications read the mirror with (GRANT orgsync_reader TO <their login>):
--                   SELECT only, and only the rows of the tenant context they set (set_tenant_context);
--   orgsync_writer  orgsync itself: every row of every tenant, explicitly, by a policy of its own.
-- A superuser (the embedded database's postgres) bypasses row-level security anyway; a table owner
-- does not here (FORCE ROW LEVEL SECURITY), so the role that runs these migrations is made a member
-- of orgsync_writer. Where that role may not create roles, an administrator creates them once:
--   CREATE ROLE orgsync_reader NOLOGIN; CREATE ROLE orgsync_writer NOLOGIN; GRANT orgsync_writer TO <orgsync's role>;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'orgsync_reader') THEN
        BEGIN
            CREATE ROLE orgsync_reader NOLOGIN;
        EXCEPTION WHEN duplicate_object THEN NULL; -- another database of the cluster made it just now
        END;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'orgsync_writer') THEN
        BEGIN
            CREATE ROLE orgsync_writer NOLOGIN;
        EXCEPTION WHEN duplicate_object THEN NULL;
        END;
    END IF;
    IF NOT pg_has_role(current_user, 'orgsync_writer', 'MEMBER') THEN
        EXECUTE format('GRANT orgsync_writer TO %I', current_user);
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE EXCEPTION 'orgsync needs the roles orgsync_reader and orgsync_writer, and % may not create or grant them. '
        'As an administrator, once: CREATE ROLE orgsync_reader NOLOGIN; CREATE ROLE orgsync_writer NOLOGIN; '
        'GRANT orgsync_writer TO %; then start orgsync again (docs/tenancy.md)', current_user, current_user;
END
$$;

-- The tenant context of this session (or transaction): the tenant id, or NULL when none is set.
CREATE FUNCTION orgsync_current_tenant() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT NULLIF(current_setting('app.current_org_id', true), '')
$$;

-- Sets the tenant context. With is_local true it lasts until the end of the transaction: what a
-- pooled connection needs (BEGIN; SELECT set_tenant_context($1, true); …; COMMIT). NULL clears it.
-- The context is the application's to set: any role may set any tenant's. What row-level security
-- guarantees is that a statement sees and changes only the rows of the context it runs under.
CREATE FUNCTION set_tenant_context(tenant_id text, is_local boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('app.current_org_id', COALESCE(tenant_id, ''), is_local);
END
$$;

-- Puts one table under tenant isolation: row-level security enabled and forced (the owner too), a
-- policy for orgsync_reader (rows whose tenant_column is the context; with instance_wide_rows, rows
-- with no tenant too, under any context), a policy for orgsync_writer (every row), and the grants.
-- Idempotent. Used below for the mirror, and for every table of a tenant's schema when it is
-- provisioned (routes/sql/provisioning/isolate-tenant-schema.sql).
CREATE FUNCTION orgsync_isolate_by_tenant(tbl regclass, tenant_column text, instance_wide_rows boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    own text := format('%I = orgsync_current_tenant()', tenant_column);
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('DROP POLICY IF EXISTS orgsync_tenant_rows ON %s', tbl);
    EXECUTE format('CREATE POLICY orgsync_tenant_rows ON %s TO orgsync_reader USING (%s) WITH CHECK (%s)', tbl,
                   CASE WHEN instance_wide_rows
                        THEN format('(%s OR (%I IS NULL AND orgsync_current_tenant() IS NOT NULL))', own, tenant_column)
                        ELSE own END, own);
    EXECUTE format('DROP POLICY IF EXISTS orgsync_all_rows ON %s', tbl);
    EXECUTE format('CREATE POLICY orgsync_all_rows ON %s TO orgsync_writer USING (true) WITH CHECK (true)', tbl);
    EXECUTE format('GRANT SELECT ON %s TO orgsync_reader', tbl);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON %s TO orgsync_writer', tbl);
END
$$;

-- ---- 2. The lifecycle -------------------------------------------------------------------------------

-- Settings orgsync writes at every start (bean tenantLifecycle) for the database's own use.
CREATE TABLE orgsync_settings (
    name       text        PRIMARY KEY,
    value      text        NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now()
);

-- How long a deleted tenant's data is kept before the purge: orgsync.lifecycle.retention-days.
CREATE FUNCTION orgsync_retention() RETURNS interval
LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT make_interval(days => CAST(s.value AS integer)) FROM orgsync_settings s
                     WHERE s.name = 'lifecycle.retention-days'), interval '30 days')
$$;

-- The lifecycle (see the state diagram in docs/tenancy.md), on the tenant row:
--   provisioning  created, its provisioning (a routed target 'provisioning') not done yet
--   active        provisioned, or nothing to provision
--   suspended     tenant.suspended; back to active when a later event says status "active"
--   deleted       tenant.deleted: kept until scheduled_purge_at = deleted_at + retention
--   purged        the purge job has run: personal data anonymised, schema and storage gone
ALTER TABLE av_organizations
    ADD COLUMN lifecycle          text NOT NULL DEFAULT 'active',
    ADD COLUMN lifecycle_at       timestamptz,   -- when it entered its current state
    ADD COLUMN provisioned_at     timestamptz,   -- when its provisioning delivery was done
    ADD COLUMN activated_at       timestamptz,   -- when it first became active
    ADD COLUMN scheduled_purge_at timestamptz,   -- deleted: when the purge job may purge it
    ADD COLUMN purged_at          timestamptz,
    ADD COLUMN tenant_schema      text;          -- provisioning mode schema: its own schema
ALTER TABLE av_organizations ADD CONSTRAINT av_organizations_lifecycle_check
    CHECK (lifecycle IN ('provisioning', 'active', 'suspended', 'deleted', 'purged'));
CREATE UNIQUE INDEX av_organizations_tenant_schema_key ON av_organizations (tenant_schema) WHERE tenant_schema IS NOT NULL;
CREATE INDEX av_organizations_purge_idx ON av_organizations (scheduled_purge_at) WHERE lifecycle = 'deleted';

-- Tenants already mirrored keep the state their status gives; a tenant deleted before this version
-- is scheduled from now, not from its deletion, so that no upgrade purges anything at once.
UPDATE av_organizations
SET lifecycle = status,
    lifecycle_at = updated_at,
    activated_at = CASE WHEN status <> 'deleted' THEN created_at END,
    provisioned_at = CASE WHEN storage_bucket IS NOT NULL OR storage_prefix IS NOT NULL THEN updated_at END,
    scheduled_purge_at = CASE WHEN status = 'deleted' THEN now() + interval '30 days' END;

-- Every change of state, with its time and the event (or the orgsync job) that caused it.
CREATE TABLE av_organization_lifecycle (
    id              bigserial   PRIMARY KEY,
    organization_id text        NOT NULL,
    from_state      text,                    -- null when the row was created
    to_state        text        NOT NULL,
    cause           text        NOT NULL,    -- the event id, or orgsync:provisioning | orgsync:purge
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX av_organization_lifecycle_org_idx ON av_organization_lifecycle (organization_id, id);

-- The state follows from the row: purged_at, then status, then whether provisioning is still due.
-- A BEFORE trigger only sets columns (an INSERT … ON CONFLICT fires it for a row it may not insert);
-- the history row is written AFTER the change, by the trigger below.
CREATE FUNCTION orgsync_tenant_lifecycle() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    next_state text;
BEGIN
    next_state := CASE
        WHEN NEW.purged_at IS NOT NULL THEN 'purged'
        WHEN NEW.status = 'deleted' THEN 'deleted'
        WHEN NEW.status = 'suspended' THEN 'suspended'
        WHEN NEW.provisioned_at IS NULL
             AND 'provisioning' = ANY (ARRAY(SELECT orgsync_fanout_targets('authvital', 'tenant.created', 'applied'))) THEN 'provisioning'
        ELSE 'active' END;
    IF TG_OP = 'UPDATE' AND next_state = OLD.lifecycle THEN
        NEW.lifecycle := OLD.lifecycle;
        RETURN NEW;
    END IF;
    NEW.lifecycle := next_state;
    NEW.lifecycle_at := now();
    IF next_state = 'active' THEN
        NEW.activated_at := COALESCE(NEW.activated_at, now());
    ELSIF next_state = 'deleted' THEN
        NEW.scheduled_purge_at := COALESCE(NEW.scheduled_purge_at, COALESCE(NEW.deleted_at, NEW.status_event_at, now()) + orgsync_retention());
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER av_organizations_lifecycle
    BEFORE INSERT OR UPDATE ON av_organizations
    FOR EACH ROW EXECUTE FUNCTION orgsync_tenant_lifecycle();

CREATE FUNCTION orgsync_tenant_lifecycle_history() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO av_organization_lifecycle (organization_id, from_state, to_state, cause)
    VALUES (NEW.id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.lifecycle END, NEW.lifecycle,
            CASE WHEN NEW.lifecycle = 'purged' THEN 'orgsync:purge'
                 WHEN TG_OP = 'UPDATE' AND NEW.provisioned_at IS DISTINCT FROM OLD.provisioned_at THEN 'orgsync:provisioning'
                 ELSE COALESCE(NEW.last_event_id, 'orgsync') END);
    RETURN NULL;
END
$$;

CREATE TRIGGER av_organizations_lifecycle_created
    AFTER INSERT ON av_organizations
    FOR EACH ROW EXECUTE FUNCTION orgsync_tenant_lifecycle_history();
CREATE TRIGGER av_organizations_lifecycle_changed
    AFTER UPDATE ON av_organizations
    FOR EACH ROW WHEN (OLD.lifecycle IS DISTINCT FROM NEW.lifecycle)
    EXECUTE FUNCTION orgsync_tenant_lifecycle_history();

-- The purge job's record: one row per tenant and step done (export, anonymise, drop-schema,
-- remove-storage, finish), written in the transaction that does the step where the step is in the
-- database, or right after it where it is not (storage; removing it again is harmless). A purge
-- interrupted at any point goes on from the first step not recorded.
CREATE TABLE orgsync_purge_steps (
    tenant_id text        NOT NULL,
    step      text        NOT NULL,
    done_at   timestamptz NOT NULL DEFAULT now(),
    detail    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (tenant_id, step)
);

-- Jobs that one instance at a time runs (the purge): a lease, taken and renewed by its owner.
CREATE TABLE orgsync_job_leases (
    job         text        PRIMARY KEY,
    owner       text,
    lease_until timestamptz
);
INSERT INTO orgsync_job_leases (job) VALUES ('purge');

-- ---- 3. Isolation of the mirror ------------------------------------------------------------------
SELECT orgsync_isolate_by_tenant('av_organizations', 'id');
SELECT orgsync_isolate_by_tenant('av_applications', 'organization_id', true);
SELECT orgsync_isolate_by_tenant('av_sso_providers', 'organization_id', true);
SELECT orgsync_isolate_by_tenant('av_tenant_app_access', 'tenant_id');
SELECT orgsync_isolate_by_tenant('av_organization_audit_logs', 'organization_id');
SELECT orgsync_isolate_by_tenant('av_organization_lifecycle', 'organization_id');
SELECT orgsync_isolate_by_tenant('organizations', 'id');
SELECT orgsync_isolate_by_tenant('organization_members', 'organization_id');
-- orgsync's own tables (the event log, the outbox, the quarantine, …): its role only, with the
-- sequences, so that orgsync may also run as a member of orgsync_writer that owns nothing
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO orgsync_writer;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO orgsync_writer;
