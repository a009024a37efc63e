-- Outbox statements whose plans stay right before PostgreSQL has statistics of the table. A fresh
-- database (or one whose outbox grew faster than autovacuum analyses it, the first minute of a
-- burst) estimates one row everywhere, and the claims' "older pending row of this tenant?" probe
-- then ran on (target, next_attempt_at) or (target, occurred_at, id) instead of the tenant's own
-- index: it read the whole backlog for each candidate row (≈1 s per claim at a few thousand pending
-- rows), and a done-mark by id walked a partial index. Now:
-- * the claims' walk index leaves out the dispatch rows, so a probe that also looks at a tenant's
--   dispatch rows can only use orgsync_outbox_order_idx (target, order_key, occurred_at, id);
-- * (target, next_attempt_at) is gone: no claim uses it since V7, and every outbox row paid for it;
-- * the done-marks and reschedules address rows by id and lease (routes/sql/outbox), which only the
--   primary key serves.
DROP INDEX orgsync_outbox_due_idx;
DROP INDEX orgsync_outbox_next_idx;
CREATE INDEX orgsync_outbox_next_idx ON orgsync_outbox (target, occurred_at, id)
    WHERE status = 'pending' AND target <> 'dispatch';
-- a queue table: analysed and vacuumed after 2 % of its rows changed rather than 10-20 %
ALTER TABLE orgsync_outbox SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
