-- Applies tenant.created | tenant.updated | tenant.suspended | tenant.deleted to av_organizations.
-- Used by route apply-authvital-event (routes/apply-authvital.camel.yaml).
-- Input: variable "events", a JSON array of canonical events (docs/extending.md, "The canonical event").
-- One statement, so one atomic step: orgsync_record_all() records the batch's events once (a duplicate returns
-- no row and changes nothing; the audit row is written by a trigger), then the organisation is
-- upserted with the ordering guard (orgsync_pick: newer events overwrite, older ones only fill gaps).
-- Returns one row per event that was new: n, its position in the input (group commit answers each request by it).
WITH fresh AS (
    SELECT r.n, r.event_id, r.event_type, r.occurred_at AS ts, r.d, r.e -> 'data' AS sent,
           r.e ->> 'tenant_id' AS tenant_id,
           r.event_type IN ('tenant.created', 'tenant.updated') AS carries_attrs,
           -- a tenant.updated that says the status ("active" after a suspension, or "suspended") is a status event
           r.event_type = 'tenant.updated' AND r.d ->> 'status' IN ('active', 'suspended') AS says_status
    FROM orgsync_record_events(CAST(:#${variable.events} AS jsonb), 'organization', '{tenant_id}') AS r
),
mirrored AS (
    INSERT INTO av_organizations AS t (
        id, name, slug, plan, allow_signups, require_mfa, allowed_email_domains, session_lifetime_minutes,
        password_policy, settings, status, suspended_at, suspended_by_sub, suspended_reason, deleted_at,
        deleted_by_sub, created_by_sub, owner_email, updated_by_sub, source_created_at, data,
        attrs_event_at, status_event_at, last_event_at, last_event_id)
    SELECT
        tenant_id,
        d ->> 'name',
        d ->> 'slug',
        -- the created event defines the seed's defaults; later events carry only what changed or is known
        CASE WHEN event_type = 'tenant.created' THEN COALESCE(d ->> 'plan', 'free') ELSE d ->> 'plan' END,
        CASE WHEN event_type = 'tenant.created' THEN COALESCE(CAST(d -> 'settings' ->> 'allow_signups' AS boolean), true)
             WHEN carries_attrs THEN CAST(d -> 'settings' ->> 'allow_signups' AS boolean) END,
        CASE WHEN event_type = 'tenant.created' THEN COALESCE(CAST(d -> 'settings' ->> 'require_mfa' AS boolean), false)
             WHEN carries_attrs THEN CAST(d -> 'settings' ->> 'require_mfa' AS boolean) END,
        CASE WHEN event_type = 'tenant.created' THEN COALESCE(orgsync_text_array(d -> 'settings' -> 'allowed_email_domains'), '{}')
             WHEN carries_attrs THEN orgsync_text_array(d -> 'settings' -> 'allowed_email_domains') END,
        CASE WHEN event_type = 'tenant.created' THEN COALESCE(CAST(d -> 'settings' ->> 'session_lifetime_minutes' AS integer), 480)
             WHEN carries_attrs THEN CAST(d -> 'settings' ->> 'session_lifetime_minutes' AS integer) END,
        CASE WHEN event_type = 'tenant.created' THEN COALESCE(d -> 'settings' ->> 'password_policy', 'standard')
             WHEN carries_attrs THEN d -> 'settings' ->> 'password_policy' END,
        CASE WHEN carries_attrs THEN sent -> 'settings' END,
        CASE WHEN event_type = 'tenant.suspended' THEN 'suspended' WHEN event_type = 'tenant.deleted' THEN 'deleted'
             WHEN says_status THEN d ->> 'status' ELSE 'active' END,
        CAST(d ->> 'suspended_at' AS timestamptz),
        d ->> 'suspended_by_sub',
        d ->> 'reason',
        CAST(d ->> 'deleted_at' AS timestamptz),
        d ->> 'deleted_by_sub',
        d ->> 'created_by_sub',
        d ->> 'owner_email',
        d ->> 'updated_by_sub',
        CAST(d ->> 'created_at' AS timestamptz),
        CASE WHEN carries_attrs THEN sent ELSE '{}'::jsonb END,
        -- suspended/deleted carry name and slug only as a description: they fill, never overwrite
        CASE WHEN carries_attrs THEN ts ELSE '-infinity'::timestamptz END,
        CASE WHEN event_type <> 'tenant.updated' OR says_status THEN ts END,
        ts,
        event_id
    FROM fresh
    ON CONFLICT (id) DO UPDATE SET
        -- attributes: a newer event overwrites what it carries, an older one only fills gaps (orgsync_pick)
        (name, slug, plan, allow_signups, require_mfa, allowed_email_domains, session_lifetime_minutes,
         password_policy, settings, created_by_sub, owner_email, updated_by_sub, source_created_at) = (
            SELECT orgsync_pick(newer, EXCLUDED.name,                     t.name),
                   orgsync_pick(newer, EXCLUDED.slug,                     t.slug),
                   orgsync_pick(newer, EXCLUDED.plan,                     t.plan),
                   orgsync_pick(newer, EXCLUDED.allow_signups,            t.allow_signups),
                   orgsync_pick(newer, EXCLUDED.require_mfa,              t.require_mfa),
                   orgsync_pick(newer, EXCLUDED.allowed_email_domains,    t.allowed_email_domains),
                   orgsync_pick(newer, EXCLUDED.session_lifetime_minutes, t.session_lifetime_minutes),
                   orgsync_pick(newer, EXCLUDED.password_policy,          t.password_policy),
                   orgsync_pick(newer, EXCLUDED.settings,                 t.settings),
                   orgsync_pick(newer, EXCLUDED.created_by_sub,           t.created_by_sub),
                   orgsync_pick(newer, EXCLUDED.owner_email,              t.owner_email),
                   orgsync_pick(newer, EXCLUDED.updated_by_sub,           t.updated_by_sub),
                   orgsync_pick(newer, EXCLUDED.source_created_at,        t.source_created_at)
            FROM orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at) AS newer),
        data = orgsync_merge(orgsync_newer(EXCLUDED.attrs_event_at, t.attrs_event_at), EXCLUDED.data, t.data),
        -- status: deleted is a tombstone, no event undoes it
        status = orgsync_status(t.status, EXCLUDED.status, orgsync_newer(EXCLUDED.status_event_at, t.status_event_at)),
        (suspended_at, suspended_by_sub, suspended_reason) = (
            SELECT orgsync_pick(newer, EXCLUDED.suspended_at, t.suspended_at),
                   orgsync_pick(newer, EXCLUDED.suspended_by_sub, t.suspended_by_sub),
                   orgsync_pick(newer, EXCLUDED.suspended_reason, t.suspended_reason)
            FROM orgsync_newer(EXCLUDED.status_event_at, t.status_event_at) AS newer),
        deleted_at = COALESCE(t.deleted_at, EXCLUDED.deleted_at),
        deleted_by_sub = COALESCE(t.deleted_by_sub, EXCLUDED.deleted_by_sub),
        -- the ordering columns keep the newest event times (orgsync_clocks)
        (attrs_event_at, status_event_at, last_event_at, last_event_id, synced_at, updated_at) = (
            SELECT *, now(), now() FROM orgsync_clocks(t.attrs_event_at, t.status_event_at, t.last_event_at, t.last_event_id,
                   EXCLUDED.attrs_event_at, EXCLUDED.status_event_at, EXCLUDED.last_event_at, EXCLUDED.last_event_id))
    RETURNING 1
)
SELECT n, event_id, event_type FROM fresh ORDER BY n
