-- The tenant's Stripe state as orgsync last left it. Used by route target-stripe.
SELECT id, name, plan, status, stripe_customer_id, stripe_subscription_id, stripe_subscription_item_id,
       stripe_plan, stripe_event_at
FROM av_organizations
WHERE id = :#${variable.tenantId}
