-- Records a Clerk event whose type no route applies (user.*, session.*, …; outcome "ignored"): it is
-- deduplicated by svix-id and answered 202 "ignored". Used by route apply-clerk-event, "otherwise".
SELECT r.n, r.event_id, r.event_type
FROM orgsync_record_all((
             SELECT jsonb_agg(jsonb_build_object('n', n, 'entity_type', NULL, 'entity_id', NULL,
                                                 'tenant_id', NULL, 'event', e))
             FROM jsonb_array_elements(CAST(:#${variable.events} AS jsonb)) WITH ORDINALITY AS x(e, n))) AS r
