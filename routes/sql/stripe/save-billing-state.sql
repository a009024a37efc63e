-- Records what Stripe now holds for the tenant (ids, plan, the event that brought it there).
-- Used by route target-stripe, with the map StripeBilling.apply() returns as the body.
UPDATE av_organizations
SET stripe_customer_id = :#stripe_customer_id,
    stripe_subscription_id = :#stripe_subscription_id,
    stripe_subscription_item_id = :#stripe_subscription_item_id,
    stripe_plan = :#stripe_plan,
    stripe_event_at = :#stripe_event_at
WHERE id = :#tenant_id
