-- A target whose policy is "hold" (orgsync.target.<name>.on-dead) keeps a tenant's later rows waiting
-- while the tenant has an older dead letter for that target. The claim's probe for such a dead letter
-- looks the tenant up here, as the pending probe does in orgsync_outbox_order_idx.
CREATE INDEX orgsync_outbox_dead_order_idx ON orgsync_outbox (target, order_key, occurred_at, id) WHERE status = 'dead';
