-- Records what Stripe now holds for the tenant (ids, plan, the event that brought it there).
-- Used by route target-stripe, with the map StripeBilling.apply() returns as the body. Guarded by
-- event time: a delivery that finishes late (its lease taken over, a slow call) never rolls the state
-- back past what a newer event already brought it to.
UPDATE av_organizations
SET stripe_customer_id = :#stripe_customer_id,
    stripe_subscription_id = :#stripe_subscription_id,
    stripe_subscription_item_id = :#stripe_subscription_item_id,
    stripe_plan = :#stripe_plan,
    stripe_event_at = :#stripe_event_at
WHERE id = :#tenant_id
  AND (stripe_event_at IS NULL OR stripe_event_at <= CAST(:#stripe_event_at AS timestamptz))
