-- The rows a claim delivered (variable doneIds, comma-separated ids): done, in one statement.
-- Only rows this instance still holds (a held row has a lease; done and rescheduled rows have none,
-- and the condition leaves the plan to the primary key). A row asked to deliver once more while it
-- was in flight (again: the changefeed's row changed meanwhile, V12) is pending again instead.
-- Used by the route template outbox-target.
UPDATE orgsync_outbox
SET status = CASE WHEN again THEN 'pending' ELSE 'done' END, done_at = CASE WHEN again THEN NULL ELSE now() END, again = false,
    last_attempt_at = now(), lease_until = NULL, error_category = NULL, last_error = NULL
WHERE id = ANY (CAST(string_to_array(:#${variable.doneIds}, ',') AS bigint[]))
  AND lease_owner = :#${variable.owner} AND lease_until IS NOT NULL
