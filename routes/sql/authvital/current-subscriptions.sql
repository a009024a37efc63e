-- The subscription grants the mirror holds for one page of tenants (variable pageIds), to compare
-- with each tenant's appSubscriptions; before_run: last written before this run started (only
-- those may be revoked for missing from AuthVital). Used by route authvital-reconcile.
SELECT id, tenant_id, application_id, subscription_id, subscription_status, quantity_purchased, license_type_id, status,
       GREATEST(attrs_event_at, status_event_at) AS event_at,
       synced_at < CAST(:#${variable.runStartedAt} AS timestamptz) AND last_event_at < CAST(:#${variable.runStartedAt} AS timestamptz) AS before_run
FROM av_tenant_app_access
WHERE grant_kind = 'subscription'
  AND tenant_id IN (SELECT jsonb_array_elements_text(CAST(:#${variable.pageIds} AS jsonb)))
