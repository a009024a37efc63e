-- Every SSO provider the mirror holds (keyed by AuthVital's provider enum key, as the events name
-- them): what reconciliation compares AuthVital's list with.
SELECT id, client_id, CAST(to_jsonb(domains) AS text) AS domains, is_enabled, attrs_event_at, status FROM av_sso_providers
