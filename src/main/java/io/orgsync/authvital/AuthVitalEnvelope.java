package io.orgsync.authvital;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.http.CanonicalEvents;
import io.orgsync.http.Json;
import io.orgsync.http.WebhookRejection;

/**
 * Turns a verified AuthVital body into the canonical event every apply statement reads
 * (docs/extending.md, "The canonical event"). Both envelopes are accepted:
 * <ul>
 * <li>system webhooks {@code {event, timestamp, data}}: no id, so the dedupe key is the SHA-256 of
 * the raw body; the signed body's timestamp must be fresh (the only signed time this channel has);</li>
 * <li>sync events and the seed documents' envelope {@code {id, type, timestamp, tenant_id, application_id, data}}.</li>
 * </ul>
 * Unsigned headers that describe the body ({@code X-Webhook-Event}, {@code X-AuthVital-Event-Id}, …)
 * must agree with it: a contradiction is refused rather than guessed at.
 */
public class AuthVitalEnvelope {

    public static final String SOURCE = "authvital";

    private static final int MAX_ID_LENGTH = 255;

    /** The headers kept with the event for the archive: what identifies and proves the delivery, no secret. */
    private static final String[] KEPT_HEADERS = {
        "Content-Type", "User-Agent",
        "X-Webhook-Event", "X-Webhook-Timestamp", "X-Webhook-Key-Id", "X-Webhook-Signature",
        "X-AuthVital-Event-Id", "X-AuthVital-Event-Type", "X-AuthVital-Timestamp", "X-AuthVital-Key-Id",
        "X-AuthVital-Signature"
    };

    private final AuthVitalVerifier verifier;

    public AuthVitalEnvelope(AuthVitalVerifier verifier) {
        this.verifier = verifier;
    }

    public ObjectNode normalise(AuthVitalVerifier.Verified verified, UnaryOperator<String> header, byte[] body, Instant receivedAt) {
        JsonNode root = Json.parseObject(body);

        String type;
        Instant occurredAt;
        String eventId;
        JsonNode tenantId;
        if (AuthVitalVerifier.SYSTEM.equals(verified.channel())) {
            if (root.has("id") && root.has("type") && !root.has("event")) {
                throw WebhookRejection.badRequest("invalid_envelope",
                        "A sync event ({id, type, …}) was sent with system-webhook signature headers (X-Webhook-*)");
            }
            type = Json.requiredText(root, "event", "The system webhook");
            occurredAt = Json.requiredInstant(root, "timestamp", "The system webhook");
            eventId = "sha256:" + sha256Hex(body);
            agree(header, "X-Webhook-Event", type, "event");
            String headerTime = header.apply("X-Webhook-Timestamp");
            if (headerTime != null && !sameInstant(headerTime, occurredAt)) {
                throw WebhookRejection.badRequest("header_mismatch",
                        "X-Webhook-Timestamp does not match the signed body's timestamp");
            }
            // the system channel signs no separate time: the signed body's own timestamp must be fresh
            verifier.checkFreshness(occurredAt, receivedAt);
            tenantId = root.path("data").get("tenant_id");
        } else {
            if (root.has("event") && !root.has("type")) {
                throw WebhookRejection.badRequest("invalid_envelope",
                        "A system webhook ({event, …}) was sent with sync-event signature headers (X-AuthVital-*)");
            }
            eventId = Json.requiredText(root, "id", "The event");
            if (eventId.length() > MAX_ID_LENGTH) {
                throw WebhookRejection.badRequest("invalid_envelope", "The event id is longer than " + MAX_ID_LENGTH + " characters");
            }
            type = Json.requiredText(root, "type", "The event");
            occurredAt = Json.requiredInstant(root, "timestamp", "The event");
            agree(header, "X-AuthVital-Event-Id", eventId, "id");
            agree(header, "X-AuthVital-Event-Type", type, "type");
            tenantId = root.get("tenant_id");
            if (tenantId != null && !tenantId.isNull() && !tenantId.isTextual()) {
                throw WebhookRejection.badRequest("invalid_envelope", "The event \"tenant_id\" must be a string or null");
            }
            JsonNode applicationId = root.get("application_id");
            if (applicationId != null && !applicationId.isNull() && !applicationId.isTextual()) {
                throw WebhookRejection.badRequest("invalid_envelope", "The event \"application_id\" must be a string or null");
            }
        }
        CanonicalEvents.checkType(type);
        JsonNode data = CanonicalEvents.data(root);
        // the event's tenant: the one its data names, else the sync envelope's (the statements read only this)
        if (data.path("tenant_id").isTextual()) {
            tenantId = data.get("tenant_id");
        }
        return CanonicalEvents.event(SOURCE, verified.channel(), eventId, type, occurredAt, receivedAt,
                tenantId != null && tenantId.isTextual() ? tenantId.textValue() : null, verified.keyId(),
                CanonicalEvents.kept(header, KEPT_HEADERS), data, body);
    }

    private static void agree(UnaryOperator<String> header, String name, String signedValue, String field) {
        String value = header.apply(name);
        if (value != null && !Objects.equals(value.strip(), signedValue)) {
            throw WebhookRejection.badRequest("header_mismatch",
                    name + " does not match the signed body's \"" + field + "\"");
        }
    }

    private static boolean sameInstant(String text, Instant instant) {
        try {
            return java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(text.strip(), Instant::from).equals(instant);
        } catch (java.time.format.DateTimeParseException e) {
            return false;
        }
    }

    static String sha256Hex(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
