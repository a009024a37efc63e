-- Applies sso.provider_added | sso.provider_updated | sso.provider_removed to av_sso_providers.
-- Used by route apply-authvital-event (routes/apply-authvital.camel.yaml).
-- Input: variable "events", a JSON array of canonical events. Same shape as apply-tenant.sql:
-- record once (dedupe + audit), then upsert with the ordering guard; sso.provider_removed is a tombstone.
-- Returns one row per event that was new: n, its position in the input (group commit answers each request by it).
WITH fresh AS (
    SELECT r.n, r.event_id, r.event_type, r.occurred_at AS ts, r.d,
           COALESCE(r.d ->> 'tenant_id', r.e ->> 'tenant_id') AS tenant_id,
           r.event_type IN ('sso.provider_added', 'sso.provider_updated') AS carries_attrs,
           r.event_type = 'sso.provider_added' AS defines_defaults
    FROM orgsync_record_all((
             SELECT jsonb_agg(jsonb_build_object('n', n, 'entity_type', 'sso_provider', 'entity_id', e -> 'data' ->> 'provider_id',
                                                 'tenant_id', COALESCE(e -> 'data' ->> 'tenant_id', e ->> 'tenant_id'), 'event', e))
             FROM jsonb_array_elements(CAST(:#${variable.events} AS jsonb)) WITH ORDINALITY AS x(e, n))) AS r
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
        CASE WHEN carries_attrs THEN d -> 'config' END,
        CASE WHEN event_type = 'sso.provider_removed' THEN 'deleted' ELSE 'active' END,
        CAST(d ->> 'removed_at' AS timestamptz),
        d ->> 'created_by_sub',
        CASE WHEN carries_attrs THEN d ELSE '{}'::jsonb END,
        CASE WHEN carries_attrs THEN ts ELSE '-infinity'::timestamptz END,
        CASE WHEN event_type <> 'sso.provider_updated' THEN ts END,
        ts,
        event_id
    FROM fresh
    ON CONFLICT (id) DO UPDATE SET
        organization_id        = orgsync_pick(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.organization_id, t.organization_id),
        provider_type          = orgsync_pick(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.provider_type, t.provider_type),
        display_name           = orgsync_pick(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.display_name, t.display_name),
        client_id              = orgsync_pick(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.client_id, t.client_id),
        issuer                 = orgsync_pick(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.issuer, t.issuer),
        authorization_endpoint = orgsync_pick(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.authorization_endpoint, t.authorization_endpoint),
        token_endpoint         = orgsync_pick(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.token_endpoint, t.token_endpoint),
        userinfo_endpoint      = orgsync_pick(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.userinfo_endpoint, t.userinfo_endpoint),
        domains                = orgsync_pick(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.domains, t.domains),
        attribute_mapping      = orgsync_pick(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.attribute_mapping, t.attribute_mapping),
        is_enabled             = orgsync_pick(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.is_enabled, t.is_enabled),
        config                 = orgsync_merge(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.config, t.config),
        created_by_sub         = orgsync_pick(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.created_by_sub, t.created_by_sub),
        data                   = orgsync_merge(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.data, t.data),
        attrs_event_at         = GREATEST(t.attrs_event_at, EXCLUDED.attrs_event_at),
        status                 = CASE WHEN t.status = 'deleted' THEN t.status
                                      WHEN orgsync_newer(EXCLUDED.status_event_at, t.status_event_at) THEN EXCLUDED.status
                                      ELSE t.status END,
        deleted_at             = COALESCE(t.deleted_at, EXCLUDED.deleted_at),
        status_event_at        = GREATEST(t.status_event_at, EXCLUDED.status_event_at),
        last_event_id          = CASE WHEN EXCLUDED.last_event_at >= t.last_event_at THEN EXCLUDED.last_event_id ELSE t.last_event_id END,
        last_event_at          = GREATEST(t.last_event_at, EXCLUDED.last_event_at),
        synced_at              = now(),
        updated_at             = now()
    RETURNING 1
)
SELECT n, event_id, event_type FROM fresh ORDER BY n
