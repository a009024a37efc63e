-- orgsync's own tables and helpers: the event log (dedupe record) and the functions the
-- apply statements in routes/sql share. Mirror tables follow in V2.

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
    raw_body      text        NOT NULL             -- the exact bytes that were signed (UTF-8 JSON)
);
CREATE INDEX orgsync_events_type_time_idx   ON orgsync_events (event_type, occurred_at);
CREATE INDEX orgsync_events_entity_idx      ON orgsync_events (entity_type, entity_id);
CREATE INDEX orgsync_events_received_at_idx ON orgsync_events (received_at);

-- Records one canonical event (the JSON the normaliser builds) in the event log.
-- Returns the event when it is new, nothing when its dedupe key is already there.
CREATE FUNCTION orgsync_record(e jsonb, p_entity_type text, p_entity_id text, p_tenant_id text)
RETURNS TABLE (dedupe_key text, event_id text, event_type text, occurred_at timestamptz, d jsonb)
LANGUAGE sql AS $$
    INSERT INTO orgsync_events AS ev (dedupe_key, source, channel, event_id, event_type, entity_type, entity_id,
                                      tenant_id, occurred_at, key_id, outcome, data, headers, raw_body)
    VALUES (e ->> 'dedupe_key', e ->> 'source', e ->> 'channel', e ->> 'event_id', e ->> 'type',
            p_entity_type, p_entity_id, p_tenant_id, CAST(e ->> 'occurred_at' AS timestamptz), e ->> 'key_id',
            CASE WHEN p_entity_type IS NULL THEN 'ignored' ELSE 'applied' END,
            COALESCE(e -> 'data', '{}'::jsonb), COALESCE(e -> 'headers', '{}'::jsonb), e ->> 'raw_body')
    ON CONFLICT ON CONSTRAINT orgsync_events_dedupe_key_key DO NOTHING
    RETURNING ev.dedupe_key, ev.event_id, ev.event_type, ev.occurred_at, ev.data
$$;

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
