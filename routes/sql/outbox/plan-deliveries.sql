-- Turns the claimed 'dispatch' rows into one pending row per target the dispatcher chose and marks
-- the dispatch rows done, in one statement for the whole claim. Input: variable plans, a JSON array
-- of {"id": <dispatch row id>, "targets": ["archive", …]} (bean fanoutRules, method plans). The target rows are added in
-- event order (the dispatch rows' order), which the claims keep per tenant.
-- Idempotent: a target row exists once per event (constraint orgsync_outbox_once), so a dispatch
-- repeated after a crash adds nothing; only rows this instance still holds (leased) are marked done.
-- The rows are looked up as "id = ANY (ids)" so that the primary key serves them whatever the
-- table's statistics say. Used by route outbox-dispatcher.
WITH plan AS (
    SELECT CAST(p ->> 'id' AS bigint) AS id, p -> 'targets' AS targets
    FROM jsonb_array_elements(CAST(:#${variable.plans} AS jsonb)) AS p
),
planned AS (
    INSERT INTO orgsync_outbox (event_pk, target, order_key, event_type, occurred_at)
    SELECT d.event_pk, t.target, d.order_key, d.event_type, d.occurred_at
    FROM orgsync_outbox d
    JOIN plan ON plan.id = d.id
    CROSS JOIN LATERAL jsonb_array_elements_text(plan.targets) WITH ORDINALITY AS t(target, k)
    WHERE d.id = ANY (ARRAY(SELECT id FROM plan))
    ORDER BY d.id, t.k
    ON CONFLICT ON CONSTRAINT orgsync_outbox_once DO NOTHING
    RETURNING 1
)
UPDATE orgsync_outbox
SET status = 'done', done_at = now(), lease_until = NULL
WHERE id = ANY (ARRAY(SELECT id FROM plan)) AND lease_owner = :#${variable.owner} AND lease_until IS NOT NULL
