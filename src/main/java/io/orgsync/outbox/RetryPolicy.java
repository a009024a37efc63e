package io.orgsync.outbox;

import java.util.concurrent.ThreadLocalRandom;

import io.orgsync.ops.EventMdc;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One fan-out target's retry policy: a bean local to each route made from the template
 * {@code outbox-target} (routes/fanout-engine.camel.yaml), its properties set there by name from the
 * template's parameters. After a failed delivery it decides between a retry (exponential back-off,
 * jitter, a ceiling, {@code Retry-After} honoured) and a dead letter ({@link Outbox#decide}).
 * <p>
 * Reads variable {@code attempts} (this delivery's attempt, counted by claim.sql) and the caught
 * exception; writes variables {@code retryStatus} (pending | dead), {@code retryDelaySeconds},
 * {@code errorCategory} (retryable | permanent | exhausted) and {@code errorMessage}, which
 * routes/sql/outbox/reschedule.sql writes to the row.
 */
public class RetryPolicy {

    private static final Logger LOG = LoggerFactory.getLogger(RetryPolicy.class);

    private int maxAttempts = 10;
    private long initialBackoffMs = 1000;
    private long maxBackoffMs = 300_000;

    public void setMaxAttempts(int maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    public void setInitialBackoffMs(long initialBackoffMs) {
        this.initialBackoffMs = initialBackoffMs;
    }

    public void setMaxBackoffMs(long maxBackoffMs) {
        this.maxBackoffMs = maxBackoffMs;
    }

    public void failed(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        int attempts = exchange.getVariable("attempts", 1, Integer.class);
        Outbox.Decision decision = Outbox.decide(failure, attempts, maxAttempts, initialBackoffMs, maxBackoffMs,
                ThreadLocalRandom.current().nextDouble());
        exchange.setVariable("retryStatus", decision.status());
        exchange.setVariable("retryDelaySeconds", decision.delayMs() / 1000.0);
        exchange.setVariable("errorCategory", decision.category());
        exchange.setVariable("errorMessage", Outbox.describe(failure));
        EventMdc.around(exchange, () -> LOG.warn("Delivery of {} {} to {} failed (attempt {}): {} -> {}{}", exchange.getVariable("eventType"),
                exchange.getVariable("eventId"), exchange.getVariable("target"), attempts, Outbox.describe(failure),
                decision.category(), "pending".equals(decision.status()) ? " retry in " + decision.delayMs() + " ms" : " (dead letter)"));
    }
}
