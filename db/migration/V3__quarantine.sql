-- Invariant: an authentic event is never dropped. Two ways it is kept when it does not fit:
--  * applied with warnings: a field of an unexpected type is stored as unknown (NULL) in its
--    column, kept as sent in data, and named in orgsync_events.warnings;
--  * quarantined: an event that cannot be applied at all (no id, an envelope orgsync does not
--    know, a value PostgreSQL refuses) is kept here with its raw bytes, the headers that came
--    with it and what its verification proved, to be replayed once the schema, the statement or
--    the mapping is fixed (admin API, routes/quarantine.camel.yaml).

-- [{"field": "/data/settings/password_policy", "problem": "…"}]; NULL when the event fitted.
ALTER TABLE orgsync_events ADD COLUMN warnings jsonb;

CREATE TABLE orgsync_quarantine (
    id             bigserial   PRIMARY KEY,
    source         text        NOT NULL,            -- authvital | clerk
    channel        text,                            -- system | sync | svix
    event_id       text,                            -- when the body names one
    event_type     text,                            -- when the body names one
    code           text        NOT NULL,            -- the code the sender was answered (invalid_event, invalid_envelope, …)
    reason         text        NOT NULL,            -- what was wrong, as the sender was told (or PostgreSQL said)
    raw_body       bytea       NOT NULL,            -- the exact bytes that were signed
    body_sha256    text        NOT NULL,            -- a redelivery of the same body is kept once
    headers        jsonb       NOT NULL,            -- the request headers (never Authorization or Cookie)
    verification   jsonb       NOT NULL,            -- what verification proved: channel, key or message id, signed time
    received_at    timestamptz NOT NULL,
    quarantined_at timestamptz NOT NULL DEFAULT now(),
    status         text        NOT NULL DEFAULT 'held', -- held | replayed | discarded
    attempts       integer     NOT NULL DEFAULT 0,  -- replays tried
    last_replay_at timestamptz,
    outcome        text,                            -- the last replay's: applied | duplicate | ignored | still failing: <code>
    discarded_at   timestamptz,
    discard_reason text,
    archived_at    timestamptz,                     -- written to the archive (quarantine/<source>/…)
    CONSTRAINT orgsync_quarantine_once UNIQUE (source, body_sha256)
);
CREATE INDEX orgsync_quarantine_held_idx ON orgsync_quarantine (source, event_type, code) WHERE status = 'held';
CREATE INDEX orgsync_quarantine_unarchived_idx ON orgsync_quarantine (id) WHERE archived_at IS NULL;

-- A warned field is unknown to the mirror: the data the apply statements map from has it as null
-- (an unknown value never overwrites a known one), while data stays as sent. Warnings name the
-- field as a JSON pointer from the canonical event (/data/…).
CREATE FUNCTION orgsync_unknown(data jsonb, warnings jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    w    jsonb;
    path text[];
BEGIN
    IF warnings IS NULL OR jsonb_typeof(warnings) <> 'array' THEN
        RETURN data;
    END IF;
    FOR w IN SELECT * FROM jsonb_array_elements(warnings) LOOP
        IF w ->> 'field' LIKE '/data/%' THEN
            SELECT array_agg(replace(replace(p, '~1', '/'), '~0', '~') ORDER BY k)
            INTO path
            FROM unnest(string_to_array(substr(w ->> 'field', 7), '/')) WITH ORDINALITY AS x(p, k);
            data := jsonb_set(data, path, 'null'::jsonb, false);
        END IF;
    END LOOP;
    RETURN data;
END
$$;

-- As in V1, and: the event's warnings are recorded, and d (what the statements map from) has the
-- warned fields as unknown. The statements keep data as sent: e -> 'data'.
CREATE OR REPLACE FUNCTION orgsync_record_all(batch jsonb)
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
                                          tenant_id, occurred_at, key_id, outcome, data, headers, raw_body, warnings)
        SELECT i.e ->> 'dedupe_key', i.e ->> 'source', i.e ->> 'channel', i.e ->> 'event_id', i.e ->> 'type', i.entity_type,
               i.entity_id, i.tenant_id, CAST(i.e ->> 'occurred_at' AS timestamptz), i.e ->> 'key_id',
               CASE WHEN i.entity_type IS NULL THEN 'ignored' ELSE 'applied' END,
               COALESCE(i.e -> 'data', '{}'::jsonb), COALESCE(i.e -> 'headers', '{}'::jsonb), i.e ->> 'raw_body',
               i.e -> 'warnings'
        FROM input i
        ON CONFLICT ON CONSTRAINT orgsync_events_dedupe_key_key DO NOTHING
        RETURNING ev.dedupe_key
    )
    SELECT DISTINCT ON (i.e ->> 'dedupe_key') i.n, i.e, i.e ->> 'event_id', i.e ->> 'type',
           CAST(i.e ->> 'occurred_at' AS timestamptz), orgsync_unknown(COALESCE(i.e -> 'data', '{}'::jsonb), i.e -> 'warnings')
    FROM input i JOIN inserted r ON r.dedupe_key = i.e ->> 'dedupe_key'
    ORDER BY i.e ->> 'dedupe_key', i.n;
END
$$;
