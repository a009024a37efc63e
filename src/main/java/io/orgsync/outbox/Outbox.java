package io.orgsync.outbox;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

import com.stripe.exception.ApiConnectionException;
import com.stripe.exception.StripeException;
import io.orgsync.ops.EventMdc;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkServiceException;

/**
 * What the outbox routes ask Java: who this instance is (the owner of its leases), and the rule
 * after a failed delivery ({@link #decide}, applied by each target's {@link RetryPolicy}): retry with
 * exponential back-off, jitter and a ceiling (honouring {@code Retry-After}), or park it as a dead
 * letter. The schedule is written to the outbox row, so it survives a restart.
 */
public class Outbox {

    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);
    private static final Logger TRAIL = LoggerFactory.getLogger("io.orgsync.trail");

    private final String owner;

    public Outbox() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "localhost";
        }
        this.owner = host + "/" + ManagementFactory.getRuntimeMXBean().getPid() + "/" + UUID.randomUUID().toString().substring(0, 8);
    }

    public String owner() {
        return owner;
    }

    /** The ids of a claim's rows (routes/sql/outbox/claim.sql), comma-separated: a batch delivered at once, for mark-done.sql. */
    public static String ids(List<Map<String, Object>> rows) {
        return rows.stream().map(row -> String.valueOf(row.get("outbox_id"))).collect(Collectors.joining(","));
    }

    /** How many of a claim's rows deliver each event type, as [{type, count}]: the delivery counters of a batch. */
    public static List<Map<String, Object>> countsByType(List<Map<String, Object>> rows) {
        Map<String, Long> counts = rows.stream().collect(Collectors.groupingBy(row -> String.valueOf(row.get("event_type")),
                TreeMap::new, Collectors.counting()));
        return counts.entrySet().stream().map(e -> Map.<String, Object>of("type", e.getKey(), "count", e.getValue())).toList();
    }

    /**
     * The event trail of a batch: for each of a claim's rows delivered at once, the line one row's
     * delivery writes ("Delivered {type} {id} to {target} (outbox row {n}, attempt {a})", logger
     * io.orgsync.trail at INFO), with the same MDC keys (docs/observability.md). Nothing when the trail is off.
     */
    public static void trail(String target, List<Map<String, Object>> rows) {
        if (!TRAIL.isInfoEnabled()) {
            return;
        }
        for (Map<String, Object> row : rows) {
            Map<String, Object> event = new HashMap<>();
            event.put("eventId", row.get("event_id"));
            event.put("source", row.get("source"));
            event.put("eventType", row.get("event_type"));
            event.put("target", target);
            event.put("outboxId", row.get("outbox_id"));
            EventMdc.around(event, () -> TRAIL.info("Delivered {} {} to {} (outbox row {}, attempt {})", row.get("event_type"),
                    row.get("event_id"), target, row.get("outbox_id"), row.get("attempts")));
        }
    }

    /** The outcome of one failed attempt. */
    public record Decision(String status, long delayMs, String category) {
    }

    static Decision decide(Throwable failure, int attempts, int maxAttempts, long initialBackoffMs, long maxBackoffMs, double random) {
        Classification c = classify(failure);
        if (!c.retryable()) {
            return new Decision("dead", 0, "permanent");
        }
        if (attempts >= maxAttempts) {
            return new Decision("dead", 0, "exhausted");
        }
        long backoff = initialBackoffMs * (1L << Math.min(30, Math.max(0, attempts - 1)));
        backoff = Math.min(maxBackoffMs, backoff);
        // full jitter on the upper half: between backoff/2 and backoff
        long delay = (long) (backoff / 2.0 + random * backoff / 2.0);
        if (c.retryAfterMs() > delay) {
            delay = c.retryAfterMs();
        }
        return new Decision("pending", delay, "retryable");
    }

    /** Retryable: connection errors, timeouts, 5xx and 429, and what Kafka calls retriable. Anything else is permanent. */
    record Classification(boolean retryable, long retryAfterMs) {
    }

    static Classification classify(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof HttpOperationFailedException http) {
                int status = http.getStatusCode();
                long retryAfter = retryAfterMs(http.getResponseHeaders() == null ? null : http.getResponseHeaders().get("Retry-After"));
                return new Classification(status >= 500 || status == 429 || status == 408, retryAfter);
            }
            if (t instanceof ApiConnectionException) {
                return new Classification(true, 0);
            }
            if (t instanceof StripeException stripe) {
                Integer status = stripe.getStatusCode();
                return new Classification(status == null || status >= 500 || status == 429 || status == 409, 0);
            }
            if (t instanceof SdkServiceException aws) {
                return new Classification(aws.statusCode() >= 500 || aws.statusCode() == 429 || aws.isThrottlingException(), 0);
            }
            if (t instanceof org.apache.kafka.common.errors.RetriableException) {
                // Kafka's own word: no broker, no leader, a timeout (the changefeed)
                return new Classification(true, 0);
            }
            if (t instanceof SdkClientException || t instanceof IOException || t instanceof java.util.concurrent.TimeoutException
                    || t instanceof java.sql.SQLTransientException || t instanceof java.sql.SQLRecoverableException
                    || t instanceof org.springframework.dao.TransientDataAccessException
                    || t instanceof org.springframework.dao.DataAccessResourceFailureException) {
                return new Classification(true, 0);
            }
        }
        return new Classification(false, 0);
    }

    /** A Retry-After header (seconds or an HTTP date) in ms, at most an hour; 0 when absent or unreadable. */
    public static long retryAfterMs(String header) {
        if (header == null || header.isBlank()) {
            return 0;
        }
        try {
            return Math.min(3_600_000L, Long.parseLong(header.strip()) * 1000L);
        } catch (NumberFormatException e) {
            try {
                long at = java.time.ZonedDateTime.parse(header.strip(), java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME)
                        .toInstant().toEpochMilli();
                return Math.max(0, Math.min(3_600_000L, at - System.currentTimeMillis()));
            } catch (java.time.format.DateTimeParseException ignored) {
                return 0;
            }
        }
    }

    static String describe(Throwable failure) {
        if (failure == null) {
            return "unknown failure";
        }
        Throwable shown = failure;
        while (shown.getCause() != null && shown.getCause() != shown && shown.getMessage() == null) {
            shown = shown.getCause();
        }
        String message = shown.getClass().getSimpleName() + ": " + shown.getMessage();
        return message.length() > 1000 ? message.substring(0, 1000) : message;
    }
}
