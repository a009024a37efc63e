-- Side effects are ordered per tenant (or, with no tenant, per entity: an application, an SSO
-- provider). An event with neither, such as Clerk's user.* and session.* events that orgsync records
-- and ignores, used the source as its order key, so every such event waited for the one before it and
-- one row in back-off held all the others for hours. Such an event is now ordered alone.
CREATE OR REPLACE FUNCTION orgsync_outbox_recorded_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO orgsync_outbox (event_pk, target, order_key, event_type, occurred_at)
    SELECT n.id, 'dispatch', COALESCE(n.tenant_id, n.entity_id, n.source || ':' || n.event_id), n.event_type, n.occurred_at
    FROM new_events n;
    RETURN NULL;
END
$$;
