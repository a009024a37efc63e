-- orgsync's schema as it stands: orgsync's own tables (the event log, the outbox), the AuthVital and
-- Clerk mirrors, and the SQL helpers the statements in routes/sql share. One migration per schema
-- change from here on (V2__..., V3__...); this file is never edited once a database has run it.
--
-- Contents: 1. helpers  2. the event log  3. the AuthVital mirror and its audit log  4. the outbox
-- 5. the Clerk mirror.

-- ---- 1. Helpers ------------------------------------------------------------------------------

-- Ordering guard: is an incoming event time at least as new as the one a value came from?
CREATE FUNCTION orgsync_newer(incoming timestamptz, current_ts timestamptz) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT incoming IS NOT NULL AND incoming >= COALESCE(current_ts, '-infinity'::timestamptz)
$$;

-- Merge rule for one mirror column: a newer event overwrites with what it carries (an absent
-- field keeps the current value); an older event only fills what is still unknown. Applying
-- events in any order therefore ends in the same row as applying them in order.
CREATE FUNCTION orgsync_pick(newer boolean, incoming anyelement, current_value anyelement) RETURNS anyelement
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN newer THEN COALESCE(incoming, current_value) ELSE COALESCE(current_value, incoming) END
$$;

-- The same rule for a whole JSON object, key by key.
CREATE FUNCTION orgsync_merge(newer boolean, incoming jsonb, current_value jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN newer THEN COALESCE(current_value, '{}'::jsonb) || COALESCE(incoming, '{}'::jsonb)
                ELSE COALESCE(incoming, '{}'::jsonb) || COALESCE(current_value, '{}'::jsonb) END
$$;

-- A JSON array of strings as text[]; NULL when the field is absent or null (so it merges as "unknown").
CREATE FUNCTION orgsync_text_array(j jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN j IS NULL OR jsonb_typeof(j) = 'null' THEN NULL
                ELSE ARRAY(SELECT jsonb_array_elements_text(j)) END
$$;

-- Clerk's epoch milliseconds as a timestamp (NULL stays NULL).
CREATE FUNCTION orgsync_epoch_ms(j jsonb) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN j IS NULL OR jsonb_typeof(j) <> 'number' THEN NULL
                ELSE to_timestamp(CAST(j AS text)::numeric / 1000) END
$$;

-- Clerk's role key as a member role: org:owner|admin|member|viewer map to themselves,
-- any other (custom) key to member. The role column keeps Clerk's key as sent.
CREATE FUNCTION orgsync_member_role(role text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN role IS NULL THEN NULL
                WHEN regexp_replace(role, '^org:', '') IN ('owner', 'admin', 'member', 'viewer') THEN regexp_replace(role, '^org:', '')
                ELSE 'member' END
$$;

-- ---- 2. The event log ---------------------------------------------------------------------

-- Every verified event, recorded exactly once. dedupe_key is the sender's event id
-- ("authvital:evt_…", "clerk:msg_…") or, for AuthVital system webhooks that carry no id,
-- "authvital:sha256:<hex of the raw body>". A second delivery finds its key here and changes nothing.
CREATE TABLE orgsync_events (
    id            bigserial   PRIMARY KEY,
    dedupe_key    text        NOT NULL UNIQUE,
    source        text        NOT NULL,            -- authvital | clerk
    channel       text        NOT NULL,            -- system | sync | svix
    event_id      text        NOT NULL,            -- the sender's id, or sha256:<hex> when it has none
    event_type    text        NOT NULL,
    entity_type   text,                            -- organization | application | sso_provider | app_access; null when ignored
    entity_id     text,
    tenant_id     text,
    occurred_at   timestamptz NOT NULL,            -- the event's own (signed) timestamp: the ordering key
    received_at   timestamptz NOT NULL DEFAULT now(),
    key_id        text,                            -- the signing key's kid (AuthVital)
    outcome       text        NOT NULL,            -- applied | ignored
    data          jsonb       NOT NULL,            -- the event's data object exactly as sent
    headers       jsonb       NOT NULL DEFAULT '{}'::jsonb, -- the delivery headers that matter (never a secret)
    raw_body      text                             -- the exact bytes that were signed (UTF-8 JSON); dropped by
                                                   -- retention once the archive holds them (routes/retention.camel.yaml)
);
CREATE INDEX orgsync_events_type_time_idx   ON orgsync_events (event_type, occurred_at);
CREATE INDEX orgsync_events_entity_idx      ON orgsync_events (entity_type, entity_id);
CREATE INDEX orgsync_events_received_at_idx ON orgsync_events (received_at);

-- Records a whole batch of canonical events in one INSERT (group commit: many requests, one
-- statement), so the audit and outbox triggers fire once per batch. Input: a JSON array of
-- {"n", "entity_type", "entity_id", "tenant_id", "event"}; n is the event's position in the
-- statement's input. Returns the events that were new: one whose dedupe key was recorded before, or
-- that appears twice in the batch, is returned once at most (its first n). PL/pgSQL rather than SQL:
-- it keeps its query's plan for the session (a LANGUAGE sql function that writes is planned on
-- every call, about 0.3 ms of every apply statement).
CREATE FUNCTION orgsync_record_all(batch jsonb)
RETURNS TABLE (n bigint, e jsonb, event_id text, event_type text, occurred_at timestamptz, d jsonb)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH input AS (
        SELECT CAST(b ->> 'n' AS bigint) AS n, b -> 'event' AS e, b ->> 'entity_type' AS entity_type,
               b ->> 'entity_id' AS entity_id, b ->> 'tenant_id' AS tenant_id
        FROM jsonb_array_elements(batch) AS b
    ),
    inserted AS (
        INSERT INTO orgsync_events AS ev (dedupe_key, source, channel, event_id, event_type, entity_type, entity_id,
                                          tenant_id, occurred_at, key_id, outcome, data, headers, raw_body)
        SELECT i.e ->> 'dedupe_key', i.e ->> 'source', i.e ->> 'channel', i.e ->> 'event_id', i.e ->> 'type', i.entity_type,
               i.entity_id, i.tenant_id, CAST(i.e ->> 'occurred_at' AS timestamptz), i.e ->> 'key_id',
               CASE WHEN i.entity_type IS NULL THEN 'ignored' ELSE 'applied' END,
               COALESCE(i.e -> 'data', '{}'::jsonb), COALESCE(i.e -> 'headers', '{}'::jsonb), i.e ->> 'raw_body'
        FROM input i
        ON CONFLICT ON CONSTRAINT orgsync_events_dedupe_key_key DO NOTHING
        RETURNING ev.dedupe_key
    )
    SELECT DISTINCT ON (i.e ->> 'dedupe_key') i.n, i.e, i.e ->> 'event_id', i.e ->> 'type',
           CAST(i.e ->> 'occurred_at' AS timestamptz), COALESCE(i.e -> 'data', '{}'::jsonb)
    FROM input i JOIN inserted r ON r.dedupe_key = i.e ->> 'dedupe_key'
    ORDER BY i.e ->> 'dedupe_key', i.n;
END
$$;

-- ---- 3. The AuthVital mirror -------------------------------------------------------------------

-- The AuthVital mirror: AuthVital's tenants, applications, SSO providers and access grants, in
-- snake_case, plus what ordering and tombstones need. Deliberately, each for correct out-of-order
-- delivery:
--   * no UNIQUE on slug / client_id / (organization_id, provider_type): a rename and a reuse that
--     arrive out of order would collide for a moment and a correct delivery would fail; they are indexed;
--   * no foreign keys between mirror tables: an application may arrive before its tenant;
--   * columns a later event may not carry are nullable (NULL = not yet known); defaults are
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
    updated_at               timestamptz NOT NULL DEFAULT now(),
    -- what the fan-out targets write back (routes/sql/stripe, routes/sql/provisioning)
    stripe_customer_id          text,
    stripe_subscription_id      text,
    stripe_subscription_item_id text,
    stripe_plan                 text,                          -- the plan Stripe was last brought to
    stripe_event_at             timestamptz,                   -- time of the newest event applied to Stripe
    storage_bucket              text,                          -- provisioning: the tenant's bucket ...
    storage_prefix              text                           -- ... or its prefix in the shared bucket
);
CREATE INDEX av_organizations_slug_idx   ON av_organizations (slug);
CREATE INDEX av_organizations_plan_idx   ON av_organizations (plan);
CREATE INDEX av_organizations_status_idx ON av_organizations (status);
-- a tenant's storage is its own: names carry a hash of the tenant id, and a collision (a template
-- without it) fails the provisioning delivery into a dead letter instead of sharing a bucket
CREATE UNIQUE INDEX av_organizations_storage_bucket_key ON av_organizations (storage_bucket) WHERE storage_bucket IS NOT NULL;
CREATE UNIQUE INDEX av_organizations_storage_prefix_key ON av_organizations (storage_prefix) WHERE storage_prefix IS NOT NULL;

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

-- The audit log: one row per applied event, written by the database itself in the
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
-- the usual questions: by organisation, by event type, by entity, by actor, by time; "plan changes
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

-- ---- 4. The outbox ----------------------------------------------------------------------------

-- The fan-out. Every recorded event gets a 'dispatch' row in the
-- outbox in the same transaction that records it (trigger below): no event is applied without its
-- fan-out recorded, nor the reverse. The dispatcher route (routes/fanout-engine.camel.yaml)
-- turns that row into one row per target, chosen by event type in YAML; each target route then
-- delivers its rows with its own retries. Rows that run out of attempts, or fail for good, are the
-- dead letters (status 'dead'): the admin API lists, replays and discards them.
CREATE TABLE orgsync_outbox (
    id               bigserial   PRIMARY KEY,
    event_pk         bigint      NOT NULL REFERENCES orgsync_events (id),
    target           text        NOT NULL,            -- dispatch | archive | audit-sink | stripe | provisioning | …
    order_key        text        NOT NULL,            -- side effects of one key (the tenant) happen in event order
    event_type       text        NOT NULL,
    occurred_at      timestamptz NOT NULL,
    status           text        NOT NULL DEFAULT 'pending', -- pending | done | dead | discarded
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_owner      text,                            -- the instance delivering it now …
    lease_until      timestamptz,                     -- … until then; after that another instance takes over
    error_category   text,                            -- retryable | permanent | exhausted
    last_error       text,
    first_attempt_at timestamptz,
    last_attempt_at  timestamptz,
    done_at          timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orgsync_outbox_once UNIQUE (event_pk, target)
);
-- The claims (routes/sql/outbox/claim*.sql) plan right even before PostgreSQL has statistics:
-- a target's claim walks its pending rows in event order and stops at the batch size (next_idx,
-- without the dispatch rows); its "older pending row of this tenant?" probe looks the tenant up
-- (order_idx), as the "older dead letter of this tenant?" probe of a target whose on-dead policy
-- is hold does (dead_order_idx); the dispatcher takes dispatch rows in id order (dispatch_idx).
-- Done-marks and reschedules address rows by id and lease: the primary key serves them.
CREATE INDEX orgsync_outbox_next_idx       ON orgsync_outbox (target, occurred_at, id) WHERE status = 'pending' AND target <> 'dispatch';
CREATE INDEX orgsync_outbox_order_idx      ON orgsync_outbox (target, order_key, occurred_at, id) WHERE status = 'pending';
CREATE INDEX orgsync_outbox_dispatch_idx   ON orgsync_outbox (id) WHERE status = 'pending' AND target = 'dispatch';
CREATE INDEX orgsync_outbox_dead_idx       ON orgsync_outbox (target, last_attempt_at) WHERE status = 'dead';
CREATE INDEX orgsync_outbox_dead_order_idx ON orgsync_outbox (target, order_key, occurred_at, id) WHERE status = 'dead';
-- a queue table: analysed and vacuumed after 2 % of its rows changed rather than 10-20 %
ALTER TABLE orgsync_outbox SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

-- Order key: the tenant; with no tenant, the entity (an application, an SSO provider); with
-- neither (Clerk's user.* and session.* events, recorded and ignored), the event alone, so such
-- events never wait for each other's retries.

CREATE FUNCTION orgsync_outbox_recorded_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO orgsync_outbox (event_pk, target, order_key, event_type, occurred_at)
    SELECT n.id, 'dispatch', COALESCE(n.tenant_id, n.entity_id, n.source || ':' || n.event_id), n.event_type, n.occurred_at
    FROM new_events n;
    RETURN NULL;
END
$$;

CREATE TRIGGER orgsync_events_outbox
    AFTER INSERT ON orgsync_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION orgsync_outbox_recorded_events();

-- ---- 5. The Clerk mirror ------------------------------------------------------------------------

-- The Clerk mirror: organizations and organization_members, with what ordering and
-- tombstones need. Clerk's own created_at / updated_at (epoch ms in the payload) are kept as
-- timestamps; updated_at is the ordering key (an older payload never overwrites a newer one).
CREATE TABLE organizations (
    id                      text        PRIMARY KEY,          -- org_…
    name                    text,
    slug                    text,
    image_url               text,
    has_image               boolean,
    public_metadata         jsonb,
    private_metadata        jsonb,
    members_count           integer,
    max_allowed_memberships integer,
    admin_delete_enabled    boolean,
    created_by              text,
    created_at              timestamptz,                      -- Clerk's created_at
    updated_at              timestamptz,                      -- Clerk's updated_at: the version the row holds
    deleted_at              timestamptz,                      -- tombstone: organization.deleted or gone from Clerk
    status                  text        NOT NULL DEFAULT 'active', -- active | deleted
    from_membership         boolean     NOT NULL DEFAULT false, -- known so far only from a membership's embedded copy
    data                    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    last_event_id           text,
    synced_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organizations_slug_idx ON organizations (slug);

CREATE TABLE organization_members (
    id              text        PRIMARY KEY,                  -- Clerk's membership id (orgmem_…)
    organization_id text        NOT NULL,
    user_id         text,
    role            text,                                     -- as Clerk sends it: org:admin, org:member, custom keys
    member_role     text,                                     -- owner | admin | member | viewer
    role_name       text,
    identifier      text,                                     -- the user's email or username
    first_name      text,
    last_name       text,
    permissions     text[],
    public_metadata jsonb,
    joined_at       timestamptz,                              -- Clerk's created_at
    updated_at      timestamptz,                              -- Clerk's updated_at: the ordering key
    deleted_at      timestamptz,
    status          text        NOT NULL DEFAULT 'active',    -- active | deleted
    data            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    last_event_id   text,
    synced_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organization_members_org_idx  ON organization_members (organization_id);
CREATE INDEX organization_members_user_idx ON organization_members (user_id);

-- Applies one Clerk organisation payload to organizations: the organization.* events, and the copy
-- every membership event embeds (so a membership that arrives before its organisation leaves a
-- row, marked from_membership, that the organisation's own events then complete). Clerk sends
-- whole objects: a payload with a newer updated_at replaces the row's fields, an older one only
-- fills what is unknown. deleted: a tombstone that no event undoes, and the organisation's
-- memberships with it. Used by routes/sql/clerk/apply-*.sql.
CREATE FUNCTION orgsync_clerk_organization(o jsonb, p_deleted boolean, p_deleted_at timestamptz, p_event_id text,
                                           p_from_membership boolean) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF o IS NULL OR jsonb_typeof(o) <> 'object' OR o ->> 'id' IS NULL THEN
        RETURN false;
    END IF;
    INSERT INTO organizations AS t (id, name, slug, image_url, has_image, public_metadata, private_metadata,
                                    members_count, max_allowed_memberships, admin_delete_enabled, created_by,
                                    created_at, updated_at, deleted_at, status, from_membership, data, last_event_id)
    VALUES (o ->> 'id', o ->> 'name', o ->> 'slug', o ->> 'image_url', CAST(o ->> 'has_image' AS boolean),
            o -> 'public_metadata', o -> 'private_metadata', CAST(o ->> 'members_count' AS integer),
            CAST(o ->> 'max_allowed_memberships' AS integer), CAST(o ->> 'admin_delete_enabled' AS boolean),
            o ->> 'created_by', orgsync_epoch_ms(o -> 'created_at'),
            CASE WHEN p_deleted THEN NULL ELSE orgsync_epoch_ms(o -> 'updated_at') END,
            CASE WHEN p_deleted THEN p_deleted_at END, CASE WHEN p_deleted THEN 'deleted' ELSE 'active' END,
            p_from_membership, CASE WHEN p_deleted THEN '{}'::jsonb ELSE o END, p_event_id)
    ON CONFLICT (id) DO UPDATE SET
        name                    = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.name ELSE COALESCE(t.name, EXCLUDED.name) END,
        slug                    = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.slug ELSE COALESCE(t.slug, EXCLUDED.slug) END,
        image_url               = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.image_url ELSE COALESCE(t.image_url, EXCLUDED.image_url) END,
        has_image               = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.has_image ELSE COALESCE(t.has_image, EXCLUDED.has_image) END,
        public_metadata         = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.public_metadata ELSE COALESCE(t.public_metadata, EXCLUDED.public_metadata) END,
        private_metadata        = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.private_metadata ELSE COALESCE(t.private_metadata, EXCLUDED.private_metadata) END,
        members_count           = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.members_count ELSE COALESCE(t.members_count, EXCLUDED.members_count) END,
        max_allowed_memberships = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.max_allowed_memberships ELSE COALESCE(t.max_allowed_memberships, EXCLUDED.max_allowed_memberships) END,
        admin_delete_enabled    = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.admin_delete_enabled ELSE COALESCE(t.admin_delete_enabled, EXCLUDED.admin_delete_enabled) END,
        created_by              = COALESCE(t.created_by, EXCLUDED.created_by),
        created_at              = COALESCE(t.created_at, EXCLUDED.created_at),
        data                    = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) THEN EXCLUDED.data ELSE t.data END,
        last_event_id           = CASE WHEN orgsync_newer(EXCLUDED.updated_at, t.updated_at) OR EXCLUDED.status = 'deleted' THEN EXCLUDED.last_event_id ELSE t.last_event_id END,
        updated_at              = GREATEST(t.updated_at, EXCLUDED.updated_at),
        from_membership         = t.from_membership AND EXCLUDED.from_membership,
        status                  = CASE WHEN t.status = 'deleted' OR EXCLUDED.status = 'deleted' THEN 'deleted' ELSE 'active' END,
        deleted_at              = COALESCE(t.deleted_at, EXCLUDED.deleted_at),
        synced_at               = now();
    IF p_deleted THEN
        UPDATE organization_members m
        SET status = 'deleted', deleted_at = COALESCE(m.deleted_at, p_deleted_at), synced_at = now()
        WHERE m.organization_id = o ->> 'id' AND m.status <> 'deleted';
    END IF;
    RETURN true;
END
$$;

-- No active member of a deleted organisation, even when a membership event and the organisation's
-- organization.deleted are applied at the same moment by two transactions (the deletion tombstones
-- only the memberships it can see): a membership written active first makes sure its organisation's
-- row exists and locks it (FOR SHARE). A deletion running at the same moment either committed first,
-- and is seen here, or waits for this transaction, and then tombstones this membership too.
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
