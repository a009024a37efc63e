-- A tenant's own schema (provisioning mode "schema"): the tables every new tenant gets, migrated by
-- Flyway in schema tenant_<slug>_<hash> when its tenant.created is delivered (docs/tenancy.md).
-- Unqualified names are the tenant's schema. Every table needs an organization_id column: orgsync
-- puts each under the same row-level security as the mirror after the migrations have run.
-- Add V2__…, V3__… for later changes; never edit a migration a tenant schema has run.

CREATE TABLE workspaces (
    id              bigserial   PRIMARY KEY,
    organization_id text        NOT NULL,
    name            text        NOT NULL,
    is_default      boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX workspaces_one_default ON workspaces (organization_id) WHERE is_default;

CREATE TABLE organization_settings (
    organization_id       text        PRIMARY KEY,
    theme                 text        NOT NULL DEFAULT 'light',
    timezone              text        NOT NULL DEFAULT 'UTC',
    notifications_enabled boolean     NOT NULL DEFAULT true,
    updated_at            timestamptz NOT NULL DEFAULT now()
);
