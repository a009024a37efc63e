-- Records an AuthVital event whose type no route applies (outcome "ignored"), so it is deduplicated,
-- visible in orgsync_events and answered 202 "ignored" rather than an error.
-- Used by route apply-authvital-event (routes/apply-authvital.camel.yaml), the "otherwise" branch.
-- Returns one row per event that was new: n, its position in the input (group commit answers each request by it).
SELECT r.n, r.event_id, r.event_type
FROM orgsync_record_events(CAST(:#${variable.events} AS jsonb), NULL, NULL) AS r
