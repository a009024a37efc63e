-- Renews the lease of one claimed row just before its delivery, when its claim is older than
-- orgsync.outbox.lease-renew-after-seconds (the rows of a large claim wait for the split's threads).
-- Returns the row only if this instance still holds it: a row whose lease ran out and was taken by
-- another instance is left to that one, so no row is delivered by two instances at once and a
-- tenant's later row cannot overtake it. Used by the route template outbox-target.
UPDATE orgsync_outbox
SET lease_until = now() + make_interval(secs => CAST(:#${variable.leaseSeconds} AS double precision))
WHERE id = CAST(:#${variable.outboxId} AS bigint) AND lease_owner = :#${variable.owner} AND lease_until > now()
RETURNING id
