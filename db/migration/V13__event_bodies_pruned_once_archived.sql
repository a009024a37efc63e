-- Retention (route retention): an event's raw body is dropped once its archive delivery is done and
-- past orgsync.retention.keep-hours; the archive holds it from then on. The event row itself stays:
-- it is the dedupe record that keeps a late redelivery from applying twice.
ALTER TABLE orgsync_events ALTER COLUMN raw_body DROP NOT NULL;
