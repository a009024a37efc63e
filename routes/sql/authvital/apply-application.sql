-- Applies application.created | application.updated | application.deleted to av_applications.
-- Used by route apply-authvital-event (routes/apply-authvital.camel.yaml).
-- Input: variable "events", a JSON array of canonical events. Same shape as apply-tenant.sql:
-- record once (dedupe + audit), then upsert with the ordering guard; application.deleted is a tombstone.
-- Returns one row per event that was new: n, its position in the input (group commit answers each request by it).
WITH fresh AS (
    SELECT r.n, r.event_id, r.event_type, r.occurred_at AS ts, r.d, r.e -> 'data' AS sent,
           r.e ->> 'tenant_id' AS tenant_id,
           r.event_type IN ('application.created', 'application.updated') AS carries_attrs,
           r.event_type = 'application.created' AS defines_defaults
    FROM orgsync_record_events(CAST(:#${variable.events} AS jsonb), 'application', '{data,application_id}') AS r
),
mirrored AS (
    INSERT INTO av_applications AS t (
        id, organization_id, name, slug, description, client_id, application_type, redirect_uris,
        post_logout_redirect_uris, allowed_scopes, grant_types, token_endpoint_auth_method, initiate_login_uri,
        access_token_ttl_seconds, refresh_token_ttl_seconds, is_active, config, licensing, status, deleted_at,
        created_by_sub, source_created_at, data, attrs_event_at, status_event_at, last_event_at, last_event_id)
    SELECT
        d ->> 'application_id',
        tenant_id,
        d ->> 'name',
        d ->> 'slug',
        d ->> 'description',
        d ->> 'client_id',
        d ->> 'application_type',
        CASE WHEN defines_defaults THEN COALESCE(orgsync_text_array(d -> 'config' -> 'redirect_uris'), '{}')
             ELSE orgsync_text_array(d -> 'config' -> 'redirect_uris') END,
        CASE WHEN defines_defaults THEN COALESCE(orgsync_text_array(d -> 'config' -> 'post_logout_redirect_uris'), '{}')
             ELSE orgsync_text_array(d -> 'config' -> 'post_logout_redirect_uris') END,
        CASE WHEN defines_defaults THEN COALESCE(orgsync_text_array(d -> 'config' -> 'allowed_scopes'), '{}')
             ELSE orgsync_text_array(d -> 'config' -> 'allowed_scopes') END,
        CASE WHEN defines_defaults THEN COALESCE(orgsync_text_array(d -> 'config' -> 'grant_types'), '{}')
             ELSE orgsync_text_array(d -> 'config' -> 'grant_types') END,
        CASE WHEN defines_defaults THEN COALESCE(d -> 'config' ->> 'token_endpoint_auth_method', 'client_secret_basic')
             ELSE d -> 'config' ->> 'token_endpoint_auth_method' END,
        d -> 'config' ->> 'initiate_login_uri',
        CASE WHEN defines_defaults THEN COALESCE(CAST(d -> 'config' ->> 'access_token_ttl_seconds' AS integer), 3600)
             ELSE CAST(d -> 'config' ->> 'access_token_ttl_seconds' AS integer) END,
        CASE WHEN defines_defaults THEN COALESCE(CAST(d -> 'config' ->> 'refresh_token_ttl_seconds' AS integer), 604800)
             ELSE CAST(d -> 'config' ->> 'refresh_token_ttl_seconds' AS integer) END,
        CASE WHEN defines_defaults THEN COALESCE(CAST(d ->> 'is_active' AS boolean), true)
             ELSE CAST(d ->> 'is_active' AS boolean) END,
        CASE WHEN carries_attrs THEN sent -> 'config' END,
        CASE WHEN carries_attrs THEN sent -> 'licensing' END,
        CASE WHEN event_type = 'application.deleted' THEN 'deleted' ELSE 'active' END,
        CAST(d ->> 'deleted_at' AS timestamptz),
        d ->> 'created_by_sub',
        CAST(d ->> 'created_at' AS timestamptz),
        CASE WHEN carries_attrs THEN sent ELSE '{}'::jsonb END,
        CASE WHEN carries_attrs THEN ts ELSE '-infinity'::timestamptz END,
        CASE WHEN event_type <> 'application.updated' THEN ts END,
        ts,
        event_id
    FROM fresh
    ON CONFLICT (id) DO UPDATE SET
        -- attributes: a newer event overwrites what it carries, an older one only fills gaps (orgsync_pick)
        (organization_id, name, slug, description, client_id, application_type, redirect_uris,
         post_logout_redirect_uris, allowed_scopes, grant_types, token_endpoint_auth_method,
         initiate_login_uri, access_token_ttl_seconds, refresh_token_ttl_seconds, is_active, licensing,
         created_by_sub, source_created_at) = (
            SELECT orgsync_pick(newer, EXCLUDED.organization_id,            t.organization_id),
                   orgsync_pick(newer, EXCLUDED.name,                       t.name),
                   orgsync_pick(newer, EXCLUDED.slug,                       t.slug),
                   orgsync_pick(newer, EXCLUDED.description,                t.description),
                   orgsync_pick(newer, EXCLUDED.client_id,                  t.client_id),
                   orgsync_pick(newer, EXCLUDED.application_type,           t.application_type),
                   orgsync_pick(newer, EXCLUDED.redirect_uris,              t.redirect_uris),
                   orgsync_pick(newer, EXCLUDED.post_logout_redirect_uris,  t.post_logout_redirect_uris),
                   orgsync_pick(newer, EXCLUDED.allowed_scopes,             t.allowed_scopes),
                   orgsync_pick(newer, EXCLUDED.grant_types,                t.grant_types),
                   orgsync_pick(newer, EXCLUDED.token_endpoint_auth_method, t.token_endpoint_auth_method),
                   orgsync_pick(newer, EXCLUDED.initiate_login_uri,         t.initiate_login_uri),
                   orgsync_pick(newer, EXCLUDED.access_token_ttl_seconds,   t.access_token_ttl_seconds),
                   orgsync_pick(newer, EXCLUDED.refresh_token_ttl_seconds,  t.refresh_token_ttl_seconds),
                   orgsync_pick(newer, EXCLUDED.is_active,                  t.is_active),
                   orgsync_pick(newer, EXCLUDED.licensing,                  t.licensing),
                   orgsync_pick(newer, EXCLUDED.created_by_sub,             t.created_by_sub),
                   orgsync_pick(newer, EXCLUDED.source_created_at,          t.source_created_at)
            FROM orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at) AS newer),
        config = orgsync_merge(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.config, t.config),
        data = orgsync_merge(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.data, t.data),
        -- status: deleted is a tombstone, no event undoes it
        status = orgsync_status(t.status, EXCLUDED.status, orgsync_newer(EXCLUDED.status_event_at, t.status_event_at)),
        deleted_at = COALESCE(t.deleted_at, EXCLUDED.deleted_at),
        -- the ordering columns keep the newest event times (orgsync_clocks)
        (attrs_event_at, status_event_at, last_event_at, last_event_id, synced_at, updated_at) = (
            SELECT *, now(), now() FROM orgsync_clocks(t.attrs_event_at, t.status_event_at, t.last_event_at, t.last_event_id,
                   EXCLUDED.attrs_event_at, EXCLUDED.status_event_at, EXCLUDED.last_event_at, EXCLUDED.last_event_id))
    RETURNING 1
)
SELECT n, event_id, event_type FROM fresh ORDER BY n
