-- Records a whole batch of canonical events in one INSERT (group commit: many requests, one
-- statement), so the audit and outbox triggers fire once per batch rather than once per event.
-- Input: a JSON array of {"n", "entity_type", "entity_id", "tenant_id", "event"}; n is the event's
-- position in the statement's input. Returns the events that were new: an event whose dedupe key
-- was recorded before, or that appears twice in the batch, is returned once at most (its first n).
CREATE FUNCTION orgsync_record_all(batch jsonb)
RETURNS TABLE (n bigint, e jsonb, event_id text, event_type text, occurred_at timestamptz, d jsonb)
LANGUAGE sql AS $$
    WITH input AS (
        SELECT CAST(b ->> 'n' AS bigint) AS n, b -> 'event' AS e, b ->> 'entity_type' AS entity_type,
               b ->> 'entity_id' AS entity_id, b ->> 'tenant_id' AS tenant_id
        FROM jsonb_array_elements(batch) AS b
    ),
    inserted AS (
        INSERT INTO orgsync_events AS ev (dedupe_key, source, channel, event_id, event_type, entity_type, entity_id,
                                          tenant_id, occurred_at, key_id, outcome, data, headers, raw_body)
        SELECT e ->> 'dedupe_key', e ->> 'source', e ->> 'channel', e ->> 'event_id', e ->> 'type', entity_type, entity_id,
               tenant_id, CAST(e ->> 'occurred_at' AS timestamptz), e ->> 'key_id',
               CASE WHEN entity_type IS NULL THEN 'ignored' ELSE 'applied' END,
               COALESCE(e -> 'data', '{}'::jsonb), COALESCE(e -> 'headers', '{}'::jsonb), e ->> 'raw_body'
        FROM input
        ON CONFLICT ON CONSTRAINT orgsync_events_dedupe_key_key DO NOTHING
        RETURNING ev.dedupe_key
    )
    SELECT DISTINCT ON (i.e ->> 'dedupe_key') i.n, i.e, i.e ->> 'event_id', i.e ->> 'type',
           CAST(i.e ->> 'occurred_at' AS timestamptz), COALESCE(i.e -> 'data', '{}'::jsonb)
    FROM input i JOIN inserted r ON r.dedupe_key = i.e ->> 'dedupe_key'
    ORDER BY i.e ->> 'dedupe_key', i.n
$$;

-- The one-event form it replaces: every statement now records its batch at once.
DROP FUNCTION orgsync_record(jsonb, text, text, text);
