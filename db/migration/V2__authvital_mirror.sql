-- The AuthVital mirror: the tables of the seed schema (seeds/002, snake_case as its @map names them)
-- plus what ordering and tombstones need. Deliberate differences from the seed, each for correct
-- out-of-order delivery:
--   * no UNIQUE on slug / client_id / (organization_id, provider_type): a rename and a reuse that
--     arrive out of order would collide for a moment and a correct delivery would fail; they are indexed;
--   * no foreign keys between mirror tables: an application may arrive before its tenant;
--   * columns a later event may not carry are nullable (NULL = not yet known); the seed's defaults are
--     applied by the *.created event that defines them (see routes/sql/authvital/*.sql).
-- Ordering columns on every mirror table:
--   attrs_event_at   time of the newest event whose attributes the row holds
--   status_event_at  time of the newest event that set the status (created / suspended / deleted …)
--   last_event_at    the newest of the two: the entity's last event time

CREATE TABLE av_organizations (
    id                       text        PRIMARY KEY,          -- tenant_id
    name                     text,
    slug                     text,
    plan                     text,                             -- free, starter, pro, enterprise
    allow_signups            boolean,
    require_mfa              boolean,
    allowed_email_domains    text[],
    session_lifetime_minutes integer,
    password_policy          text,
    settings                 jsonb,                            -- settings object as sent (free JSON on the system channel)
    status                   text        NOT NULL DEFAULT 'active', -- active | suspended | deleted
    suspended_at             timestamptz,
    suspended_by_sub         text,
    suspended_reason         text,
    deleted_at               timestamptz,
    deleted_by_sub           text,
    created_by_sub           text,
    owner_email              text,
    updated_by_sub           text,
    source_created_at        timestamptz,                      -- data.created_at: when AuthVital created the tenant
    data                     jsonb       NOT NULL DEFAULT '{}'::jsonb, -- every field sent, merged by event time
    attrs_event_at           timestamptz NOT NULL DEFAULT '-infinity',
    status_event_at          timestamptz,
    last_event_at            timestamptz NOT NULL,
    last_event_id            text,
    synced_at                timestamptz NOT NULL DEFAULT now(),
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX av_organizations_slug_idx   ON av_organizations (slug);
CREATE INDEX av_organizations_plan_idx   ON av_organizations (plan);
CREATE INDEX av_organizations_status_idx ON av_organizations (status);

CREATE TABLE av_applications (
    id                         text        PRIMARY KEY,        -- application_id
    organization_id            text,                           -- tenant_id (null for instance-wide applications)
    name                       text,
    slug                       text,
    description                text,
    client_id                  text,
    application_type           text,                           -- web, spa, native, machine
    redirect_uris              text[],
    post_logout_redirect_uris  text[],
    allowed_scopes             text[],
    grant_types                text[],
    token_endpoint_auth_method text,
    initiate_login_uri         text,
    access_token_ttl_seconds   integer,
    refresh_token_ttl_seconds  integer,
    is_active                  boolean,
    config                     jsonb,
    licensing                  jsonb,
    status                     text        NOT NULL DEFAULT 'active', -- active | deleted
    deleted_at                 timestamptz,
    created_by_sub             text,
    source_created_at          timestamptz,
    data                       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    attrs_event_at             timestamptz NOT NULL DEFAULT '-infinity',
    status_event_at            timestamptz,
    last_event_at              timestamptz NOT NULL,
    last_event_id              text,
    synced_at                  timestamptz NOT NULL DEFAULT now(),
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX av_applications_organization_idx ON av_applications (organization_id);
CREATE INDEX av_applications_client_id_idx    ON av_applications (client_id);
CREATE INDEX av_applications_is_active_idx    ON av_applications (is_active);

CREATE TABLE av_sso_providers (
    id                     text        PRIMARY KEY,            -- provider_id
    organization_id        text,                               -- tenant_id (null for instance-wide providers)
    provider_type          text,                               -- google, microsoft, okta, saml, oidc
    display_name           text,
    client_id              text,
    issuer                 text,
    authorization_endpoint text,
    token_endpoint         text,
    userinfo_endpoint      text,
    domains                text[],
    attribute_mapping      jsonb,
    is_enabled             boolean,
    config                 jsonb,
    status                 text        NOT NULL DEFAULT 'active', -- active | deleted
    deleted_at             timestamptz,                        -- removed_at
    created_by_sub         text,
    data                   jsonb       NOT NULL DEFAULT '{}'::jsonb,
    attrs_event_at         timestamptz NOT NULL DEFAULT '-infinity',
    status_event_at        timestamptz,
    last_event_at          timestamptz NOT NULL,
    last_event_id          text,
    synced_at              timestamptz NOT NULL DEFAULT now(),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX av_sso_providers_organization_idx ON av_sso_providers (organization_id);
CREATE INDEX av_sso_providers_type_idx         ON av_sso_providers (provider_type);
CREATE INDEX av_sso_providers_enabled_idx      ON av_sso_providers (is_enabled);

-- tenant.app.granted / tenant.app.revoked: who (a user, or a tenant subscription) may use which
-- application in which tenant. id = "<tenant_id>:<application_id>:user:<user_id>" or
-- "<tenant_id>:<application_id>:subscription:<subscription_id>". A revoke is not terminal: a later grant re-opens it.
CREATE TABLE av_tenant_app_access (
    id                    text        PRIMARY KEY,
    tenant_id             text        NOT NULL,
    tenant_slug           text,
    application_id        text        NOT NULL,
    application_name      text,
    application_slug      text,
    grant_kind            text        NOT NULL,                -- user | subscription
    user_id               text,
    user_email            text,
    access_type           text,                                -- GRANTED | INVITED | AUTO_FREE | AUTO_TENANT | AUTO_OWNER
    granted_by_id         text,
    license_assignment_id text,
    role_id               text,
    role_name             text,
    subscription_id       text,
    license_type_id       text,
    license_type_name     text,
    quantity_purchased    integer,
    subscription_status   text,
    status                text        NOT NULL,                -- granted | revoked
    granted_at            timestamptz,
    revoked_at            timestamptz,
    revoked_by_id         text,
    data                  jsonb       NOT NULL DEFAULT '{}'::jsonb,
    attrs_event_at        timestamptz NOT NULL DEFAULT '-infinity',
    status_event_at       timestamptz,
    last_event_at         timestamptz NOT NULL,
    last_event_id         text,
    synced_at             timestamptz NOT NULL DEFAULT now(),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX av_tenant_app_access_tenant_idx ON av_tenant_app_access (tenant_id);
CREATE INDEX av_tenant_app_access_app_idx    ON av_tenant_app_access (application_id);
CREATE INDEX av_tenant_app_access_user_idx   ON av_tenant_app_access (user_id);

-- One row per applied event (seeds/002 "Audit Log Model"), written by the database itself in the
-- same transaction that records the event: an event is never recorded without its audit row.
CREATE TABLE av_organization_audit_logs (
    id              bigserial   PRIMARY KEY,
    organization_id text,                                      -- the tenant; null for instance-wide entities
    event_type      text        NOT NULL,
    entity_type     text        NOT NULL,
    entity_id       text        NOT NULL,
    changed_fields  text[]      NOT NULL DEFAULT '{}',
    previous_values jsonb       NOT NULL DEFAULT '{}'::jsonb,
    new_values      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    changed_by_sub  text,
    source          text        NOT NULL,
    event_id        text        NOT NULL,
    occurred_at     timestamptz NOT NULL,                      -- the event's time
    created_at      timestamptz NOT NULL DEFAULT now()         -- when orgsync recorded it
);
-- the seed's queries: by organisation, by event type, by entity, by actor, by time; "plan changes
-- last month" uses changed_fields @> '{plan}' with the GIN index.
CREATE INDEX av_audit_organization_idx ON av_organization_audit_logs (organization_id, occurred_at DESC);
CREATE INDEX av_audit_event_type_idx   ON av_organization_audit_logs (event_type, occurred_at DESC);
CREATE INDEX av_audit_entity_idx       ON av_organization_audit_logs (entity_type, entity_id);
CREATE INDEX av_audit_actor_idx        ON av_organization_audit_logs (changed_by_sub, occurred_at DESC);
CREATE INDEX av_audit_created_at_idx   ON av_organization_audit_logs (created_at);
CREATE INDEX av_audit_changed_fields_idx ON av_organization_audit_logs USING gin (changed_fields);

CREATE FUNCTION orgsync_audit_recorded_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO av_organization_audit_logs (organization_id, event_type, entity_type, entity_id, changed_fields,
                                            previous_values, new_values, changed_by_sub, source, event_id, occurred_at)
    SELECT n.tenant_id, n.event_type, n.entity_type, n.entity_id,
           COALESCE(orgsync_text_array(n.data -> 'changed_fields'), '{}'),
           COALESCE(NULLIF(n.data -> 'previous_values', 'null'::jsonb), '{}'::jsonb),
           n.data - 'changed_fields' - 'previous_values',
           COALESCE(n.data ->> 'created_by_sub', n.data ->> 'updated_by_sub', n.data ->> 'deleted_by_sub',
                    n.data ->> 'suspended_by_sub', n.data ->> 'removed_by_sub', n.data ->> 'granted_by_id',
                    n.data ->> 'revoked_by_id'),
           n.source, n.event_id, n.occurred_at
    FROM new_events n
    WHERE n.outcome = 'applied';
    RETURN NULL;
END
$$;

CREATE TRIGGER orgsync_events_audit
    AFTER INSERT ON orgsync_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION orgsync_audit_recorded_events();
