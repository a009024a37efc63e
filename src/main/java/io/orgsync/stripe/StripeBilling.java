package io.orgsync.stripe;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.databind.JsonNode;
import com.stripe.StripeClient;
import com.stripe.model.Customer;
import com.stripe.model.Subscription;
import com.stripe.net.RequestOptions;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.CustomerSearchParams;
import com.stripe.param.SubscriptionCancelParams;
import com.stripe.param.SubscriptionListParams;
import com.stripe.param.SubscriptionCreateParams;
import com.stripe.param.SubscriptionUpdateParams;
import io.orgsync.http.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stripe billing with stripe-java: a customer per tenant, a
 * subscription while the plan is not free, swapped or cancelled as the plan changes, and
 * everything cancelled and deleted with the tenant.
 * <p>
 * Every POST carries an idempotency key derived from the event and the call
 * ({@code orgsync:<event id>:<call>}), so a retried delivery never creates a second customer; the
 * customer is made sure of, and saved, before any other call ({@link #ensureCustomer}).
 * The Stripe state orgsync brought the tenant to is kept on its row (routes/sql/stripe), with the
 * time of the event that did it: an event older than that is stale and changes nothing, so plan
 * changes that arrive shuffled still end on the newest plan.
 */
public class StripeBilling {

    private static final Logger LOG = LoggerFactory.getLogger(StripeBilling.class);
    static final String FREE = "free";

    private final StripeClient client;
    private final UnaryOperator<String> priceForPlan;
    private final String prorationBehavior;

    public StripeBilling(String apiKey, String apiBase, UnaryOperator<String> priceForPlan, String prorationBehavior) {
        if (apiKey == null || apiKey.isBlank()) {
            this.client = null;
        } else {
            StripeClient.StripeClientBuilder builder = StripeClient.builder().setApiKey(apiKey).setMaxNetworkRetries(0)
                    .setConnectTimeout(10_000).setReadTimeout(10_000); // within the outbox lease (application.properties)
            if (apiBase != null && !apiBase.isBlank()) {
                builder.setApiBase(apiBase);
            }
            this.client = builder.build();
        }
        this.priceForPlan = priceForPlan;
        this.prorationBehavior = prorationBehavior;
        LOG.info(client == null ? "Stripe billing is off (STRIPE_API_KEY is not set)" : "Stripe billing is on");
    }

    public boolean isEnabled() {
        return client != null;
    }

    /**
     * Brings Stripe in line with one tenant event. {@code event} is the outbox row, {@code state}
     * the tenant's row (routes/sql/stripe/billing-state.sql). Returns the new billing state for
     * save-billing-state.sql, with {@code calls}: what was done, for the log.
     */
    public Map<String, Object> apply(Map<String, Object> event, Map<String, Object> state) throws Exception {
        String type = String.valueOf(event.get("event_type"));
        String eventId = String.valueOf(event.get("event_id"));
        Instant occurredAt = io.orgsync.outbox.FanoutDocuments.instantOf(event.get("occurred_at"));
        JsonNode data = Json.MAPPER.readTree(String.valueOf(event.get("data")));
        Map<String, Object> next = new LinkedHashMap<>();
        next.put("tenant_id", event.get("tenant_id"));
        next.put("stripe_customer_id", state.get("stripe_customer_id"));
        next.put("stripe_subscription_id", state.get("stripe_subscription_id"));
        next.put("stripe_subscription_item_id", state.get("stripe_subscription_item_id"));
        next.put("stripe_plan", state.get("stripe_plan"));
        Instant appliedAt = state.get("stripe_event_at") == null ? null : io.orgsync.outbox.FanoutDocuments.instantOf(state.get("stripe_event_at"));
        next.put("stripe_event_at", appliedAt == null ? null : java.sql.Timestamp.from(appliedAt));
        List<String> calls = new ArrayList<>();
        next.put("calls", calls);

        boolean deleted = type.equals("tenant.deleted");
        if (!deleted && appliedAt != null && occurredAt.isBefore(appliedAt)) {
            calls.add("none (stale: an event of " + appliedAt + " was applied already)");
            return next;
        }
        if (deleted) {
            if (next.get("stripe_subscription_id") != null) {
                client.v1().subscriptions().cancel((String) next.get("stripe_subscription_id"),
                        SubscriptionCancelParams.builder().build(), key(eventId, "subscription.cancel"));
                calls.add("subscription.cancel");
            }
            if (next.get("stripe_customer_id") != null) {
                client.v1().customers().delete((String) next.get("stripe_customer_id"), key(eventId, "customer.delete"));
                calls.add("customer.delete");
            }
            next.put("stripe_subscription_id", null);
            next.put("stripe_subscription_item_id", null);
            next.put("stripe_plan", null);
            next.put("stripe_event_at", java.sql.Timestamp.from(occurredAt));
            return next;
        }

        if (next.get("stripe_customer_id") == null) {
            // ensureCustomer() runs first and its result is saved before this (route target-stripe)
            throw new IllegalStateException("The tenant has no Stripe customer yet");
        }

        String subscription = (String) next.get("stripe_subscription_id");
        // null: a subscription found again in Stripe, its plan not known (adoptSubscription)
        String current = next.get("stripe_plan") != null ? (String) next.get("stripe_plan") : subscription == null ? FREE : null;
        String target = data.hasNonNull("plan") ? data.get("plan").asText()
                : type.equals("tenant.created") ? FREE : current;
        if (target == null) {
            calls.add("none (the event names no plan and the subscription's is not known)");
            return next;
        }
        String price = FREE.equals(target) ? null : priceForPlan.apply(target);
        if (!FREE.equals(target) && (price == null || price.isBlank())) {
            throw new IllegalArgumentException("No Stripe price is configured for plan \"" + target
                    + "\" (orgsync.stripe.price." + target + ")");
        }
        if (price == null && subscription != null) {
            client.v1().subscriptions().cancel(subscription, SubscriptionCancelParams.builder().build(),
                    key(eventId, "subscription.cancel"));
            next.put("stripe_subscription_id", null);
            next.put("stripe_subscription_item_id", null);
            calls.add("subscription.cancel");
        } else if (price != null && subscription == null) {
            Subscription created = client.v1().subscriptions().create(SubscriptionCreateParams.builder()
                    .setCustomer((String) next.get("stripe_customer_id"))
                    .addItem(SubscriptionCreateParams.Item.builder().setPrice(price).build())
                    .putMetadata("authvital_tenant_id", String.valueOf(event.get("tenant_id")))
                    .putMetadata("plan", target)
                    .build(), key(eventId, "subscription.create"));
            next.put("stripe_subscription_id", created.getId());
            next.put("stripe_subscription_item_id", created.getItems() == null || created.getItems().getData().isEmpty()
                    ? null : created.getItems().getData().get(0).getId());
            calls.add("subscription.create");
        } else if (price != null && !target.equals(current)) {
            Subscription updated = client.v1().subscriptions().update(subscription, SubscriptionUpdateParams.builder()
                    .addItem(SubscriptionUpdateParams.Item.builder()
                            .setId((String) next.get("stripe_subscription_item_id")).setPrice(price).build())
                    .putMetadata("plan", target)
                    .setProrationBehavior(SubscriptionUpdateParams.ProrationBehavior.valueOf(prorationBehavior.toUpperCase(java.util.Locale.ROOT)))
                    .build(), key(eventId, "subscription.update"));
            if (updated.getItems() != null && !updated.getItems().getData().isEmpty()) {
                next.put("stripe_subscription_item_id", updated.getItems().getData().get(0).getId());
            }
            calls.add("subscription.update");
        }
        next.put("stripe_plan", target);
        next.put("stripe_event_at", java.sql.Timestamp.from(occurredAt));
        return next;
    }

    /**
     * The tenant's Stripe customer, made sure of before anything else, so that its id is saved
     * (routes/sql/stripe/save-customer.sql) as soon as Stripe returns it: a later call that fails
     * cannot leave a customer orgsync does not know about. In order: the one on the tenant's row;
     * one Stripe already holds for this tenant ({@code authvital_tenant_id} metadata: a delivery
     * replayed after Stripe's 24 h idempotency window, or a customer created but never saved); else
     * a new one. Returns the billing state with {@code stripe_customer_id} set and {@code calls}.
     */
    public Map<String, Object> ensureCustomer(Map<String, Object> event, Map<String, Object> state) throws Exception {
        Map<String, Object> next = new LinkedHashMap<>(state);
        String tenantId = String.valueOf(event.get("tenant_id"));
        next.put("tenant_id", tenantId);
        List<String> calls = new ArrayList<>();
        next.put("calls", calls);
        if (state.get("stripe_customer_id") != null) {
            return next;
        }
        // search is eventually consistent (about a minute); a customer created moments ago is
        // covered by the idempotency key of the create below instead
        List<Customer> found = client.v1().customers().search(CustomerSearchParams.builder()
                .setQuery("metadata['authvital_tenant_id']:'" + tenantId.replace("\\", "\\\\").replace("'", "\\'") + "'")
                .setLimit(1L).build()).getData();
        calls.add("customer.search");
        if (!found.isEmpty()) {
            next.put("stripe_customer_id", found.get(0).getId());
            if (next.get("stripe_subscription_id") == null) {
                adoptSubscription(next, tenantId, calls);
            }
            return next;
        }
        JsonNode data = Json.MAPPER.readTree(String.valueOf(event.get("data")));
        CustomerCreateParams.Builder customer = CustomerCreateParams.builder()
                .setName(data.path("name").asText(tenantId))
                .putMetadata("authvital_tenant_id", tenantId);
        if (data.hasNonNull("created_by_sub")) {
            customer.putMetadata("created_by", data.get("created_by_sub").asText());
        }
        if (data.hasNonNull("owner_email")) {
            customer.setEmail(data.get("owner_email").asText());
        }
        Customer created = client.v1().customers().create(customer.build(), key(String.valueOf(event.get("event_id")), "customer.create"));
        next.put("stripe_customer_id", created.getId());
        calls.add("customer.create");
        return next;
    }

    /**
     * A customer found again may have this tenant's subscription too (a mirror rebuilt from the
     * archive knows neither: docs/rebuild.md): one Stripe lists for the customer (canceled ones are
     * not listed) with this tenant's {@code authvital_tenant_id} metadata is taken as the tenant's, so
     * that a paid plan never gets a second subscription. Its plan is the one orgsync wrote in its
     * {@code plan} metadata; without one it is not known until an event names a plan.
     */
    private void adoptSubscription(Map<String, Object> next, String tenantId, List<String> calls) throws Exception {
        List<Subscription> subscriptions = client.v1().subscriptions().list(SubscriptionListParams.builder()
                .setCustomer((String) next.get("stripe_customer_id")).setLimit(100L).build()).getData();
        calls.add("subscription.list");
        for (Subscription subscription : subscriptions) {
            if (subscription.getMetadata() != null && tenantId.equals(subscription.getMetadata().get("authvital_tenant_id"))
                    && !"incomplete_expired".equals(subscription.getStatus())) {
                next.put("stripe_subscription_id", subscription.getId());
                next.put("stripe_subscription_item_id", subscription.getItems() == null || subscription.getItems().getData().isEmpty()
                        ? null : subscription.getItems().getData().get(0).getId());
                // the plan orgsync wrote on it (subscriptions it made before it wrote one: not known)
                next.put("stripe_plan", subscription.getMetadata().get("plan"));
                calls.add("subscription.adopted");
                return;
            }
        }
    }

    /**
     * {@code orgsync:<event id>:<call>}; Stripe takes at most 255 characters, so an event id that
     * would make it longer is replaced by its SHA-256 ({@code orgsync:sha256:<hex>:<call>}).
     */
    static RequestOptions key(String eventId, String call) {
        String key = "orgsync:" + eventId + ":" + call;
        if (key.length() > MAX_IDEMPOTENCY_KEY) {
            key = "orgsync:sha256:" + sha256(eventId) + ":" + call;
        }
        return RequestOptions.builder().setIdempotencyKey(key).build();
    }

    static final int MAX_IDEMPOTENCY_KEY = 255;

    private static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
