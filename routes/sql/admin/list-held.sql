-- Rows held back by a dead letter: pending rows of a target whose policy is "hold", behind an older
-- dead letter of the same tenant and target. They go on once it is replayed or discarded.
-- Filtered by target, paged. Used by route admin-list-held.
SELECT o.id, o.target, o.event_type, e.event_id, e.tenant_id, e.occurred_at,
       (SELECT d.id FROM orgsync_outbox d
        WHERE d.target = o.target AND d.order_key = o.order_key AND d.status = 'dead'
          AND (d.occurred_at, d.id) < (o.occurred_at, o.id)
        ORDER BY d.occurred_at, d.id LIMIT 1) AS held_by
FROM orgsync_outbox o JOIN orgsync_events e ON e.id = o.event_pk
WHERE o.status = 'pending' AND o.target <> 'dispatch'
  AND o.target = ANY (string_to_array(:#${variable.holdTargets}, ','))
  AND (CAST(:#${variable.target} AS text) IS NULL OR o.target = CAST(:#${variable.target} AS text))
  AND EXISTS (SELECT 1 FROM orgsync_outbox d
              WHERE d.target = o.target AND d.order_key = o.order_key AND d.status = 'dead'
                AND (d.occurred_at, d.id) < (o.occurred_at, o.id))
ORDER BY o.occurred_at, o.id
LIMIT CAST(:#${variable.limit} AS integer) OFFSET CAST(:#${variable.offset} AS integer)
