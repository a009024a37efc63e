-- Applies sso.provider_added | sso.provider_updated | sso.provider_removed to av_sso_providers.
-- Used by route apply-authvital-event (routes/apply-authvital.camel.yaml).
-- Input: variable "events", a JSON array of canonical events. Same shape as apply-tenant.sql:
-- record once (dedupe + audit), then upsert with the ordering guard; sso.provider_removed is a tombstone.
-- Returns one row per event that was new: n, its position in the input (group commit answers each request by it).
WITH fresh AS (
    SELECT r.n, r.event_id, r.event_type, r.occurred_at AS ts, r.d, r.e -> 'data' AS sent,
           r.e ->> 'tenant_id' AS tenant_id,
           r.event_type IN ('sso.provider_added', 'sso.provider_updated') AS carries_attrs,
           r.event_type = 'sso.provider_added' AS defines_defaults
    FROM orgsync_record_events(CAST(:#${variable.events} AS jsonb), 'sso_provider', '{data,provider_id}') AS r
),
mirrored AS (
    INSERT INTO av_sso_providers AS t (
        id, organization_id, provider_type, display_name, client_id, issuer, authorization_endpoint,
        token_endpoint, userinfo_endpoint, domains, attribute_mapping, is_enabled, config, status, deleted_at,
        created_by_sub, data, attrs_event_at, status_event_at, last_event_at, last_event_id)
    SELECT
        d ->> 'provider_id',
        tenant_id,
        d ->> 'provider_type',
        d ->> 'display_name',
        d -> 'config' ->> 'client_id',
        d -> 'config' ->> 'issuer',
        d -> 'config' ->> 'authorization_endpoint',
        d -> 'config' ->> 'token_endpoint',
        d -> 'config' ->> 'userinfo_endpoint',
        CASE WHEN defines_defaults THEN COALESCE(orgsync_text_array(d -> 'config' -> 'domains'), '{}')
             ELSE orgsync_text_array(d -> 'config' -> 'domains') END,
        CASE WHEN defines_defaults THEN COALESCE(d -> 'config' -> 'attribute_mapping', '{}'::jsonb)
             ELSE d -> 'config' -> 'attribute_mapping' END,
        CASE WHEN defines_defaults THEN COALESCE(CAST(d ->> 'is_enabled' AS boolean), true)
             ELSE CAST(d ->> 'is_enabled' AS boolean) END,
        CASE WHEN carries_attrs THEN sent -> 'config' END,
        CASE WHEN event_type = 'sso.provider_removed' THEN 'deleted' ELSE 'active' END,
        CAST(d ->> 'removed_at' AS timestamptz),
        d ->> 'created_by_sub',
        CASE WHEN carries_attrs THEN sent ELSE '{}'::jsonb END,
        CASE WHEN carries_attrs THEN ts ELSE '-infinity'::timestamptz END,
        CASE WHEN event_type <> 'sso.provider_updated' THEN ts END,
        ts,
        event_id
    FROM fresh
    ON CONFLICT (id) DO UPDATE SET
        -- attributes: a newer event overwrites what it carries, an older one only fills gaps (orgsync_pick)
        (organization_id, provider_type, display_name, client_id, issuer, authorization_endpoint,
         token_endpoint, userinfo_endpoint, domains, attribute_mapping, is_enabled, created_by_sub) = (
            SELECT orgsync_pick(newer, EXCLUDED.organization_id,        t.organization_id),
                   orgsync_pick(newer, EXCLUDED.provider_type,          t.provider_type),
                   orgsync_pick(newer, EXCLUDED.display_name,           t.display_name),
                   orgsync_pick(newer, EXCLUDED.client_id,              t.client_id),
                   orgsync_pick(newer, EXCLUDED.issuer,                 t.issuer),
                   orgsync_pick(newer, EXCLUDED.authorization_endpoint, t.authorization_endpoint),
                   orgsync_pick(newer, EXCLUDED.token_endpoint,         t.token_endpoint),
                   orgsync_pick(newer, EXCLUDED.userinfo_endpoint,      t.userinfo_endpoint),
                   orgsync_pick(newer, EXCLUDED.domains,                t.domains),
                   orgsync_pick(newer, EXCLUDED.attribute_mapping,      t.attribute_mapping),
                   orgsync_pick(newer, EXCLUDED.is_enabled,             t.is_enabled),
                   orgsync_pick(newer, EXCLUDED.created_by_sub,         t.created_by_sub)
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
