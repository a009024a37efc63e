-- The purge job runs on one instance at a time: this instance takes (or renews) the job's lease for
-- orgsync.lifecycle.purge.lease-seconds, unless another instance holds it. A row back: the lease is
-- ours. Used by route purge-due-tenants, before the job and before each tenant.
UPDATE orgsync_job_leases
SET owner = :#${variable.owner},
    lease_until = now() + make_interval(secs => CAST(:#${variable.leaseSeconds} AS integer))
WHERE job = 'purge' AND (owner = :#${variable.owner} OR lease_until IS NULL OR lease_until < now())
RETURNING job, owner, lease_until
