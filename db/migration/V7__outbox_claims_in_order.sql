-- Claims stay cheap when the fan-out is behind. A target's claim takes its pending rows oldest first
-- (occurred_at, id) and skips rows whose tenant has an older one pending; with only the due index
-- (V3) PostgreSQL sorted every pending row of the target on every poll, ~150 ms at 40,000 pending
-- rows, so a backlog made each poll slower and the fan-out fell further behind. With this index it
-- walks the rows in order and stops at the batch size (~6 ms at the same backlog).
CREATE INDEX orgsync_outbox_next_idx ON orgsync_outbox (target, occurred_at, id) WHERE status = 'pending';
-- The dispatcher's claim takes the dispatch rows in id order.
CREATE INDEX orgsync_outbox_dispatch_idx ON orgsync_outbox (id) WHERE status = 'pending' AND target = 'dispatch';
