package io.orgsync.stripe;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Stripe refuses an Idempotency-Key over 255 characters; an event id may be up to 255 on its own. */
class IdempotencyKeyTest {

    @Test
    void keysStayWithinStripesLimitAndStayDistinctAndStable() {
        assertThat(StripeBilling.key("evt_1", "customer.create").getIdempotencyKey()).isEqualTo("orgsync:evt_1:customer.create");
        String longId = "evt_" + "x".repeat(251);
        String key = StripeBilling.key(longId, "subscription.create").getIdempotencyKey();
        assertThat(key).hasSizeLessThanOrEqualTo(255).startsWith("orgsync:sha256:").endsWith(":subscription.create");
        assertThat(StripeBilling.key(longId, "subscription.create").getIdempotencyKey()).as("stable across retries").isEqualTo(key);
        assertThat(StripeBilling.key(longId + "y", "subscription.create").getIdempotencyKey()).isNotEqualTo(key);
        String systemId = "sha256:" + "a".repeat(64);
        assertThat(StripeBilling.key(systemId, "customer.create").getIdempotencyKey()).isEqualTo("orgsync:" + systemId + ":customer.create");
    }
}
