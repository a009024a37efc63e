-- The purge job is done for now: its lease is given back. Used by route purge-due-tenants.
UPDATE orgsync_job_leases SET lease_until = NULL
WHERE job = 'purge' AND owner = :#${variable.owner}
