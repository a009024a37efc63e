-- Records a Clerk event whose type no route applies (user.*, session.*, …; outcome "ignored"): it is
-- deduplicated by svix-id and answered 202 "ignored". Used by route apply-clerk-event, "otherwise".
SELECT x.n, r.event_id, r.event_type
FROM jsonb_array_elements(CAST(:#${variable.events} AS jsonb)) WITH ORDINALITY AS x(e, n),
     LATERAL orgsync_record(e, NULL, NULL, NULL) AS r
