package io.orgsync.http;

import java.time.Clock;
import java.time.Instant;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;

/**
 * Bean {@code quarantine} (routes/quarantine.camel.yaml): an authentic delivery that cannot be
 * applied, as the record orgsync_quarantine keeps. Its replay reads it back with the receiver of
 * its source ({@link WebhookReceiver#fromQuarantine}).
 */
public class Quarantine {

    private final Clock clock;

    public Quarantine(Clock clock) {
        this.clock = clock;
    }

    /**
     * An authentic delivery that cannot be applied, as one JSON document for
     * routes/sql/quarantine/store.sql: source, channel, event id and type (when known), the code and
     * reason it was answered with, the raw bytes (base64) and their SHA-256, the request headers,
     * what verification proved, the time of receipt. The code is the one the sender was answered
     * (variable errorCode); the reason the rejection's message, or what the database said.
     */
    public String toQuarantine(Exchange exchange) throws Exception {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String code = exchange.getVariable("errorCode", "internal_error", String.class);
        String reason = failure instanceof WebhookRejection rejection ? rejection.getMessage() : WebhookReplies.rootMessage(failure);
        byte[] body = exchange.getVariable("rawBody", byte[].class);
        VerifiedDelivery proof = exchange.getVariable("verified", VerifiedDelivery.class);
        ObjectNode record = Json.MAPPER.createObjectNode();
        record.put("source", exchange.getVariable("source", String.class));
        record.put("channel", proof.describe().path("channel").asText(null));
        record.put("event_id", exchange.getVariable("eventId", String.class));
        record.put("event_type", exchange.getVariable("eventType", String.class));
        record.put("code", code);
        record.put("reason", reason == null || reason.length() <= 2000 ? reason : reason.substring(0, 2000));
        record.put("raw_body", body);
        record.put("body_sha256", java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(body)));
        record.set("headers", WebhookReceiver.keptHeaders(exchange));
        record.set("verification", proof.describe());
        Instant receivedAt = exchange.getVariable("receivedAt", Instant.class);
        record.put("received_at", (receivedAt != null ? receivedAt : clock.instant()).toString());
        return Json.MAPPER.writeValueAsString(record);
    }

}
