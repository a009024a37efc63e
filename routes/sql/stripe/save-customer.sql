-- Records the tenant's Stripe customer the moment Stripe returns it, before any other Stripe call
-- of the delivery: a later call that fails cannot leave a customer orgsync does not know about.
-- Never replaces a customer already recorded. Used by route target-stripe, body = ensureCustomer()'s map.
UPDATE av_organizations
SET stripe_customer_id = :#stripe_customer_id
WHERE id = :#tenant_id AND stripe_customer_id IS NULL
