-- One batch of retention: outbox rows done (or discarded) more than orgsync.retention.keep-hours ago
-- are deleted, at most orgsync.retention.batch-size of them, oldest first, skipping any row another
-- transaction holds; and the raw body of each event whose archive row goes with them is dropped
-- (the archive holds it; the event row stays as the dedupe record). Pending and dead rows are never
-- pruned. Returns the number of rows deleted: a full batch means there may be more.
-- Used by route retention.
WITH gone AS (
    DELETE FROM orgsync_outbox o
    WHERE o.id IN (SELECT x.id FROM orgsync_outbox x
                   WHERE x.status IN ('done', 'discarded')
                     AND COALESCE(x.done_at, x.last_attempt_at, x.occurred_at)
                         < now() - make_interval(hours => CAST(:#${variable.keepHours} AS integer))
                   ORDER BY x.id
                   LIMIT CAST(:#${variable.batchSize} AS integer)
                   FOR UPDATE SKIP LOCKED)
    RETURNING o.event_pk, o.target, o.status
),
bodies AS (
    UPDATE orgsync_events e
    SET raw_body = NULL
    WHERE e.id IN (SELECT g.event_pk FROM gone g WHERE g.target = 'archive' AND g.status = 'done')
      AND e.raw_body IS NOT NULL
    RETURNING 1
)
SELECT (SELECT count(*) FROM gone) AS pruned, (SELECT count(*) FROM bodies) AS bodies
