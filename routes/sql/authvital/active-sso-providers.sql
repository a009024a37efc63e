-- SSO providers the mirror holds as active, last written before this run started (see active-tenants.sql).
SELECT id FROM av_sso_providers
WHERE status <> 'deleted' AND last_event_at < CAST(:#${variable.runStartedAt} AS timestamptz)
  AND synced_at < CAST(:#${variable.runStartedAt} AS timestamptz)
