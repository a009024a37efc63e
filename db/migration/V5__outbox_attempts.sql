-- Each failed delivery attempt, kept beside its outbox row, so an operator sees every error a dead
-- letter (or a row still retrying) met, not only the last one (GET /admin/dead-letters/{id}, the
-- console). Written by routes/sql/outbox/reschedule.sql in the statement that reschedules the row;
-- deleted with the row (retention). A replay starts the attempt count again from 1: the rows keep
-- their order by id.
CREATE TABLE orgsync_outbox_attempts (
    id         bigserial   PRIMARY KEY,
    outbox_id  bigint      NOT NULL REFERENCES orgsync_outbox (id) ON DELETE CASCADE,
    attempt    integer     NOT NULL,
    failed_at  timestamptz NOT NULL DEFAULT now(),
    category   text        NOT NULL,            -- retryable | permanent | exhausted
    error      text
);
CREATE INDEX orgsync_outbox_attempts_row_idx ON orgsync_outbox_attempts (outbox_id, id);
