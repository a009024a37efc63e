-- Quarantined events waiting for a replay or a discard, per source, for gauge
-- orgsync_quarantine_held. Used by route quarantine-gauges.
SELECT source, count(*) AS held FROM orgsync_quarantine WHERE status = 'held' GROUP BY source
