-- The changefeed's messages for one outbox row (variable row): the state now, after the change, of
-- what the event changed, as one JSON message each (docs/changefeed.md, routes/schemas/changefeed/
-- message.schema.json), with its Kafka key: the tenant (AuthVital) or organisation (Clerk), else the
-- entity's own id. A Clerk membership event also carries its organisation, which the event may have
-- made or changed (its embedded copy), first. Nothing when the row is not there (never applied).
-- Used by route target-changefeed.
WITH e AS (
    SELECT id, source, event_id, event_type, entity_type, entity_id, occurred_at
    FROM orgsync_events WHERE id = CAST(:#${variable.row[event_pk]} AS bigint)
),
changed AS (
    SELECT 1 AS n, 'organization' AS kind, t.id AS key, to_jsonb(t) AS state, t.status = 'deleted' AS deleted,
           t.status = 'suspended' AS suspended, t.change_seq
    FROM e JOIN av_organizations t ON e.source = 'authvital' AND e.entity_type = 'organization' AND t.id = e.entity_id
    UNION ALL
    SELECT 1, 'application', COALESCE(t.organization_id, t.id), to_jsonb(t), t.status = 'deleted', false, t.change_seq
    FROM e JOIN av_applications t ON e.source = 'authvital' AND e.entity_type = 'application' AND t.id = e.entity_id
    UNION ALL
    SELECT 1, 'sso_provider', COALESCE(t.organization_id, t.id), to_jsonb(t), t.status = 'deleted', false, t.change_seq
    FROM e JOIN av_sso_providers t ON e.source = 'authvital' AND e.entity_type = 'sso_provider' AND t.id = e.entity_id
    UNION ALL
    SELECT 1, 'app_access', t.tenant_id, to_jsonb(t), t.status = 'revoked', false, t.change_seq
    FROM e JOIN av_tenant_app_access t ON e.source = 'authvital' AND e.entity_type = 'app_access' AND t.id = e.entity_id
    UNION ALL
    SELECT 1, 'organization', t.id, to_jsonb(t), t.status = 'deleted', false, t.change_seq
    FROM e JOIN organizations t ON e.source = 'clerk' AND e.entity_type = 'organization' AND t.id = e.entity_id
    UNION ALL
    SELECT 0, 'organization', o.id, to_jsonb(o), o.status = 'deleted', false, o.change_seq
    FROM e JOIN organization_members m ON e.source = 'clerk' AND e.entity_type = 'membership' AND m.id = e.entity_id
           JOIN organizations o ON o.id = m.organization_id
    UNION ALL
    SELECT 1, 'membership', t.organization_id, to_jsonb(t), t.status = 'deleted', false, t.change_seq
    FROM e JOIN organization_members t ON e.source = 'clerk' AND e.entity_type = 'membership' AND t.id = e.entity_id
)
SELECT c.key,
       CAST(jsonb_build_object('schema_version', 1, 'source', e.source, 'kind', c.kind, 'id', c.state ->> 'id',
                               'key', c.key, 'event_id', e.event_id, 'event_type', e.event_type,
                               'event_time', e.occurred_at, 'change_seq', c.change_seq,
                               'deleted', c.deleted, 'suspended', c.suspended, 'state', c.state) AS text) AS message
FROM changed c CROSS JOIN e
ORDER BY c.n
