-- Outbox rows per target for the metrics: pending, dead, and pending rows held back by an older dead
-- letter of their tenant (targets whose on-dead policy is hold). Used by route outbox-gauges.
SELECT o.target,
       count(*) FILTER (WHERE o.status = 'pending') AS pending,
       count(*) FILTER (WHERE o.status = 'dead') AS dead,
       count(*) FILTER (WHERE o.status = 'pending' AND EXISTS (
           SELECT 1 FROM orgsync_outbox d
           WHERE d.target = o.target AND d.order_key = o.order_key AND d.status = 'dead'
             AND (d.occurred_at, d.id) < (o.occurred_at, o.id))) AS held
FROM orgsync_outbox o
WHERE o.status IN ('pending', 'dead') AND o.target <> 'dispatch'
GROUP BY o.target
