-- The fan-out (issue: S3, Stripe, audit sink). Every recorded event gets a 'dispatch' row in the
-- outbox in the same transaction that records it (trigger below): no event is applied without its
-- fan-out recorded, nor the reverse. The dispatcher route (routes/outbox-dispatcher.camel.yaml)
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
CREATE INDEX orgsync_outbox_due_idx   ON orgsync_outbox (target, next_attempt_at) WHERE status = 'pending';
CREATE INDEX orgsync_outbox_order_idx ON orgsync_outbox (target, order_key, occurred_at, id) WHERE status = 'pending';
CREATE INDEX orgsync_outbox_dead_idx  ON orgsync_outbox (target, last_attempt_at) WHERE status = 'dead';

CREATE FUNCTION orgsync_outbox_recorded_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO orgsync_outbox (event_pk, target, order_key, event_type, occurred_at)
    SELECT n.id, 'dispatch', COALESCE(n.tenant_id, n.entity_id, n.source), n.event_type, n.occurred_at
    FROM new_events n;
    RETURN NULL;
END
$$;

CREATE TRIGGER orgsync_events_outbox
    AFTER INSERT ON orgsync_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION orgsync_outbox_recorded_events();

-- What the targets write back to the tenant row.
ALTER TABLE av_organizations
    ADD COLUMN stripe_customer_id     text,
    ADD COLUMN stripe_subscription_id text,
    ADD COLUMN stripe_subscription_item_id text,
    ADD COLUMN stripe_plan            text,           -- the plan Stripe was last brought to
    ADD COLUMN stripe_event_at        timestamptz,    -- time of the newest event applied to Stripe
    ADD COLUMN storage_bucket         text,           -- provisioning: the tenant's bucket …
    ADD COLUMN storage_prefix         text;           -- … or its prefix in the shared bucket
