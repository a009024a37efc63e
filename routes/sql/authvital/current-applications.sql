-- Every application the mirror holds: what reconciliation compares AuthVital's list with.
SELECT id, name, slug, description, client_id, is_active, attrs_event_at, status FROM av_applications
