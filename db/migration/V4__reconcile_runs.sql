-- Reconciliation runs as jobs (routes/authvital-reconcile.camel.yaml): started on demand (the admin
-- API answers 202 with the run's id) or on a schedule, their progress written as they go, so any
-- instance can show it. At most one run per source at a time across instances: a PostgreSQL
-- advisory lock held by the running instance (ReconcileRuns), released when it ends or dies.
CREATE TABLE orgsync_reconcile_runs (
    id          bigserial   PRIMARY KEY,
    source      text        NOT NULL,                  -- authvital | clerk
    dry_run     boolean     NOT NULL,                  -- a drift report only: nothing applied
    trigger     text        NOT NULL,                  -- admin | schedule
    status      text        NOT NULL DEFAULT 'running', -- running | succeeded | failed
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    progress    jsonb       NOT NULL DEFAULT '{}'::jsonb, -- pages, entities, created, updated, tombstoned, unchanged, errors
    report      jsonb,                                 -- the drift: per kind, what was (or would be) created, updated, tombstoned
    error       text
);
CREATE INDEX orgsync_reconcile_runs_source_idx ON orgsync_reconcile_runs (source, started_at DESC);
