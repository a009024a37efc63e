-- A tenant's own schema (provisioning mode "schema", docs/tenancy.md): made, isolated, exported and
-- dropped by these functions, never by SQL pasted together from an event. The schema name is made by
-- orgsync (tenant_<slug>_<hash of the tenant id>: Provisioning.schemaName) and checked again here;
-- every name goes into SQL through format('%I'), a quoted identifier.
-- A repeatable migration: edit it, and orgsync applies the new version at its next start.

-- Makes the schema (if it is not there) and marks it as the tenant's: table orgsync_tenant holds the
-- tenant id, which the tenant migrations read (db/tenant/V2__default_resources.sql). A schema that
-- is marked as another tenant's is an error, never shared. Used by routes/sql/provisioning/prepare-tenant-schema.sql.
CREATE OR REPLACE FUNCTION orgsync_prepare_tenant_schema(p_schema text, p_tenant_id text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    owner_id text;
BEGIN
    IF p_schema IS NULL OR p_schema !~ '^tenant_[a-z0-9_]{1,56}$' THEN
        RAISE EXCEPTION 'not a tenant schema name: %', p_schema;
    END IF;
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', p_schema);
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I.orgsync_tenant (organization_id text PRIMARY KEY, '
                   'provisioned_at timestamptz NOT NULL DEFAULT now())', p_schema);
    EXECUTE format('INSERT INTO %I.orgsync_tenant (organization_id) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM %I.orgsync_tenant)',
                   p_schema, p_schema) USING p_tenant_id;
    EXECUTE format('SELECT string_agg(organization_id, '','') FROM %I.orgsync_tenant', p_schema) INTO owner_id;
    IF owner_id IS DISTINCT FROM p_tenant_id THEN
        RAISE EXCEPTION 'schema % belongs to another tenant; a schema is never shared', p_schema;
    END IF;
    RETURN p_schema;
END
$$;

-- After the tenant migrations: every table of the schema under the same isolation as the mirror
-- (orgsync_isolate_by_tenant on its organization_id column; a table without one is an error), and
-- the schema usable by orgsync_reader and orgsync_writer. Returns the number of tables.
CREATE OR REPLACE FUNCTION orgsync_isolate_tenant_schema(p_schema text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n integer := 0;
BEGIN
    FOR t IN SELECT c.oid AS oid, c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
             WHERE s.nspname = p_schema AND c.relkind IN ('r', 'p') AND c.relname <> 'flyway_schema_history'
             ORDER BY c.relname LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'organization_id' AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'table %.% has no organization_id column: every table of a tenant schema needs one (db/tenant/)', p_schema, t.relname;
        END IF;
        PERFORM orgsync_isolate_by_tenant(CAST(t.oid AS regclass), 'organization_id');
        n := n + 1;
    END LOOP;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO orgsync_reader, orgsync_writer', p_schema);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO orgsync_writer', p_schema);
    RETURN n;
END
$$;

-- Every table of the schema as {"<table>": [rows…]} (NULL when there is no such schema). Used by the export.
CREATE OR REPLACE FUNCTION orgsync_tenant_schema_export(p_schema text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t record;
    table_rows jsonb;
    doc jsonb := '{}'::jsonb;
BEGIN
    IF p_schema IS NULL OR NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = p_schema) THEN
        RETURN NULL;
    END IF;
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
             WHERE s.nspname = p_schema AND c.relkind IN ('r', 'p') AND c.relname <> 'flyway_schema_history'
             ORDER BY c.relname LOOP
        EXECUTE format('SELECT COALESCE(jsonb_agg(to_jsonb(x)), ''[]''::jsonb) FROM %I.%I x', p_schema, t.relname) INTO table_rows;
        doc := doc || jsonb_build_object(t.relname, table_rows);
    END LOOP;
    RETURN doc;
END
$$;

-- The purge's step drop-schema: drops the tenant's schema with everything in it, and records the step,
-- in one transaction. Only a schema marked as this tenant's is dropped; one already gone is fine.
CREATE OR REPLACE FUNCTION orgsync_drop_tenant_schema(p_schema text, p_tenant_id text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    owner_id text;
    dropped boolean := false;
BEGIN
    IF EXISTS (SELECT 1 FROM orgsync_purge_steps WHERE tenant_id = p_tenant_id AND step = 'drop-schema') THEN
        RETURN false;
    END IF;
    IF p_schema IS NOT NULL AND EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = p_schema) THEN
        IF p_schema !~ '^tenant_[a-z0-9_]{1,56}$' THEN
            RAISE EXCEPTION 'not a tenant schema name: %', p_schema;
        END IF;
        BEGIN
            EXECUTE format('SELECT string_agg(organization_id, '','') FROM %I.orgsync_tenant', p_schema) INTO owner_id;
        EXCEPTION WHEN undefined_table THEN
            owner_id := NULL;
        END;
        IF owner_id IS DISTINCT FROM p_tenant_id THEN
            RAISE EXCEPTION 'schema % is not marked as tenant %''s: not dropped', p_schema, p_tenant_id;
        END IF;
        EXECUTE format('DROP SCHEMA %I CASCADE', p_schema);
        dropped := true;
    END IF;
    INSERT INTO orgsync_purge_steps (tenant_id, step, detail)
    VALUES (p_tenant_id, 'drop-schema', jsonb_build_object('schema', p_schema, 'dropped', dropped));
    RETURN dropped;
END
$$;
