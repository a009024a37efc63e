-- Records a Clerk event whose type no route applies (user.*, session.*, …; outcome "ignored"): it is
-- deduplicated by svix-id and answered 202 "ignored". Used by route apply-clerk-event, "otherwise".
SELECT r.n, r.event_id, r.event_type
FROM orgsync_record_events(CAST(:#${variable.events} AS jsonb), NULL, NULL) AS r
