-- Applies tenant.app.granted | tenant.app.revoked to av_tenant_app_access.
-- Used by route apply-authvital-event (routes/apply-authvital.camel.yaml).
-- A grant is either a user grant (user_id, access_type, …) or a tenant subscription grant
-- (subscription_id, license_type_*, quantity_purchased, status). Status follows the newest
-- event (a revoke is not a tombstone: a later grant re-opens access). Returns one row per new event.
-- The grant's id is computed from several fields, so this statement builds the batch for
-- orgsync_record_all itself (the others name an id field: orgsync_record_events).
WITH input AS (
    SELECT x.n, x.e,
           (x.e ->> 'tenant_id') || ':' || (x.e -> 'data' ->> 'application_id')
               || CASE WHEN x.e -> 'data' ->> 'user_id' IS NOT NULL THEN ':user:' || (x.e -> 'data' ->> 'user_id')
                       ELSE ':subscription:' || (x.e -> 'data' ->> 'subscription_id') END AS access_id
    FROM jsonb_array_elements(CAST(:#${variable.events} AS jsonb)) WITH ORDINALITY AS x(e, n)
),
fresh AS (
    SELECT r.n, r.event_id, r.event_type, r.occurred_at AS ts, r.d, r.e -> 'data' AS sent, r.e ->> 'tenant_id' AS tenant_id, i.access_id,
           r.event_type = 'tenant.app.granted' AS carries_attrs
    FROM orgsync_record_all((SELECT jsonb_agg(jsonb_build_object('n', n, 'entity_type', 'app_access', 'entity_id', access_id,
                                                                 'tenant_id', e ->> 'tenant_id', 'event', e))
                             FROM input)) AS r
    JOIN input i ON i.n = r.n
),
mirrored AS (
    INSERT INTO av_tenant_app_access AS t (
        id, tenant_id, tenant_slug, application_id, application_name, application_slug, grant_kind, user_id,
        user_email, access_type, granted_by_id, license_assignment_id, role_id, role_name, subscription_id,
        license_type_id, license_type_name, quantity_purchased, subscription_status, status, granted_at,
        revoked_at, revoked_by_id, data, attrs_event_at, status_event_at, last_event_at, last_event_id)
    SELECT
        access_id,
        tenant_id,
        d ->> 'tenant_slug',
        d ->> 'application_id',
        d ->> 'application_name',
        d ->> 'application_slug',
        CASE WHEN d ->> 'user_id' IS NOT NULL THEN 'user' ELSE 'subscription' END,
        d ->> 'user_id',
        d ->> 'user_email',
        d ->> 'access_type',
        d ->> 'granted_by_id',
        d ->> 'license_assignment_id',
        d ->> 'role_id',
        d ->> 'role_name',
        d ->> 'subscription_id',
        d ->> 'license_type_id',
        d ->> 'license_type_name',
        CAST(d ->> 'quantity_purchased' AS integer),
        d ->> 'status',
        CASE WHEN event_type = 'tenant.app.revoked' THEN 'revoked' ELSE 'granted' END,
        CASE WHEN event_type = 'tenant.app.granted' THEN ts END,
        CASE WHEN event_type = 'tenant.app.revoked' THEN ts END,
        d ->> 'revoked_by_id',
        CASE WHEN carries_attrs THEN sent ELSE '{}'::jsonb END,
        CASE WHEN carries_attrs THEN ts ELSE '-infinity'::timestamptz END,
        ts,
        ts,
        event_id
    FROM fresh
    ON CONFLICT (id) DO UPDATE SET
        -- attributes: a newer event overwrites what it carries, an older one only fills gaps (orgsync_pick)
        (tenant_slug, application_name, application_slug, user_email, access_type, granted_by_id,
         license_assignment_id, role_id, role_name, license_type_id, license_type_name, quantity_purchased,
         subscription_status) = (
            SELECT orgsync_pick(newer, EXCLUDED.tenant_slug,           t.tenant_slug),
                   orgsync_pick(newer, EXCLUDED.application_name,      t.application_name),
                   orgsync_pick(newer, EXCLUDED.application_slug,      t.application_slug),
                   orgsync_pick(newer, EXCLUDED.user_email,            t.user_email),
                   orgsync_pick(newer, EXCLUDED.access_type,           t.access_type),
                   orgsync_pick(newer, EXCLUDED.granted_by_id,         t.granted_by_id),
                   orgsync_pick(newer, EXCLUDED.license_assignment_id, t.license_assignment_id),
                   orgsync_pick(newer, EXCLUDED.role_id,               t.role_id),
                   orgsync_pick(newer, EXCLUDED.role_name,             t.role_name),
                   orgsync_pick(newer, EXCLUDED.license_type_id,       t.license_type_id),
                   orgsync_pick(newer, EXCLUDED.license_type_name,     t.license_type_name),
                   orgsync_pick(newer, EXCLUDED.quantity_purchased,    t.quantity_purchased),
                   orgsync_pick(newer, EXCLUDED.subscription_status,   t.subscription_status)
            FROM orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at) AS newer),
        data = orgsync_merge(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.data, t.data),
        -- status: the newest event's (a revoke is not a tombstone: a later grant re-opens access)
        status = CASE WHEN orgsync_newer(EXCLUDED.status_event_at, t.status_event_at) THEN EXCLUDED.status ELSE t.status END,
        granted_at = GREATEST(t.granted_at, EXCLUDED.granted_at),
        revoked_at = GREATEST(t.revoked_at, EXCLUDED.revoked_at),
        revoked_by_id = orgsync_pick(orgsync_newer(EXCLUDED.revoked_at, t.revoked_at), EXCLUDED.revoked_by_id, t.revoked_by_id),
        -- the ordering columns keep the newest event times (orgsync_clocks)
        (attrs_event_at, status_event_at, last_event_at, last_event_id, synced_at, updated_at) = (
            SELECT *, now(), now() FROM orgsync_clocks(t.attrs_event_at, t.status_event_at, t.last_event_at, t.last_event_id,
                   EXCLUDED.attrs_event_at, EXCLUDED.status_event_at, EXCLUDED.last_event_at, EXCLUDED.last_event_id))
    RETURNING 1
)
SELECT n, event_id, event_type FROM fresh ORDER BY n
