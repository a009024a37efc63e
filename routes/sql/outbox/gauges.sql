-- Outbox rows per target for the metrics: pending, dead, pending rows held back by an older dead
-- letter of their tenant (targets whose on-dead policy is hold), and the age in seconds of the
-- oldest pending row (how long it has waited in the outbox: the backlog's age). Rows of target
-- 'dispatch' are events recorded while no routing table had been written (an upgrade from a version
-- before V6), planned at the next start (bean fanoutRules). Used by route outbox-gauges.
SELECT o.target,
       count(*) FILTER (WHERE o.status = 'pending') AS pending,
       count(*) FILTER (WHERE o.status = 'dead') AS dead,
       count(*) FILTER (WHERE o.status = 'pending' AND o.target <> 'dispatch' AND EXISTS (
           SELECT 1 FROM orgsync_outbox d
           WHERE d.target = o.target AND d.order_key = o.order_key AND d.status = 'dead'
             AND (d.occurred_at, d.id) < (o.occurred_at, o.id))) AS held,
       COALESCE(EXTRACT(EPOCH FROM now() - min(o.created_at) FILTER (WHERE o.status = 'pending')), 0)
           AS oldest_pending_age_seconds
FROM orgsync_outbox o
WHERE o.status IN ('pending', 'dead')
GROUP BY o.target
