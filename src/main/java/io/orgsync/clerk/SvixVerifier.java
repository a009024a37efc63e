package io.orgsync.clerk;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.UnaryOperator;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.http.Json;
import io.orgsync.http.VerifiedDelivery;
import io.orgsync.http.WebhookRejection;

/**
 * Standard Webhooks / Svix verification, as Clerk delivers: HMAC-SHA256 with the base64-decoded
 * secret (after its {@code whsec_} prefix) over {@code "<svix-id>.<svix-timestamp>.<raw body>"};
 * {@code svix-signature} holds space-separated {@code v1,<base64>} entries, any one matching is
 * enough; several secrets may be configured during a rotation; the timestamp within the
 * tolerance either way. The {@code webhook-*} header names are accepted as a fallback.
 * Comparisons are constant-time. Hand-written rather than svix-java's Webhook, which takes one
 * secret and the system clock: rotation and an injected clock are needed here.
 */
public class SvixVerifier {

    /** What a verified delivery proved. */
    public record Verified(String messageId, Instant timestamp) implements VerifiedDelivery {

        @Override
        public ObjectNode describe() {
            return Json.MAPPER.createObjectNode().put("verified", true).put("channel", "svix")
                    .put("message_id", messageId).put("signed_at", timestamp.toString());
        }

        /**
         * The proof kept with a quarantined event ({@link #describe}), read back for its replay; or
         * an archived one's, which has neither field: the event id is the message id, and the time
         * of receipt stands in for the signed time (within the tolerance of it, or it was refused).
         */
        public static Verified restore(JsonNode proof) {
            String messageId = proof.hasNonNull("message_id") ? proof.get("message_id").asText() : proof.path("event_id").asText();
            String signedAt = proof.hasNonNull("signed_at") ? proof.get("signed_at").asText() : proof.path("received_at").asText();
            return new Verified(messageId, Instant.parse(signedAt));
        }
    }

    private static final int MAX_ID_LENGTH = 255;

    private final List<byte[]> keys;
    private final Clock clock;
    private final Duration tolerance;

    /** @param secrets the configured secrets, comma-separated ({@code CLERK_WEBHOOK_SECRET}) */
    public SvixVerifier(String secrets, Clock clock, Duration tolerance) {
        this.keys = new ArrayList<>();
        if (secrets != null) {
            for (String secret : secrets.split(",")) {
                if (!secret.isBlank()) {
                    keys.add(key(secret.strip()));
                }
            }
        }
        this.clock = clock;
        this.tolerance = tolerance;
    }

    static byte[] key(String secret) {
        String encoded = secret.startsWith("whsec_") ? secret.substring("whsec_".length()) : secret;
        try {
            return Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            // the secret itself is never put in a message
            throw new IllegalArgumentException("A CLERK_WEBHOOK_SECRET entry is not whsec_<base64>");
        }
    }

    public boolean isConfigured() {
        return !keys.isEmpty();
    }

    public Verified verify(UnaryOperator<String> header, byte[] body) {
        if (keys.isEmpty()) {
            throw WebhookRejection.unavailable("not_configured", "No Clerk webhook secret is configured (CLERK_WEBHOOK_SECRET)");
        }
        String id = first(header, "svix-id", "webhook-id");
        String timestamp = first(header, "svix-timestamp", "webhook-timestamp");
        String signatures = first(header, "svix-signature", "webhook-signature");
        if (signatures == null) {
            throw WebhookRejection.unauthorized("missing_signature", "No svix-signature header");
        }
        if (id == null) {
            throw WebhookRejection.unauthorized("missing_id", "No svix-id header");
        }
        if (id.length() > MAX_ID_LENGTH) {
            throw WebhookRejection.unauthorized("invalid_id", "The svix-id is longer than " + MAX_ID_LENGTH + " characters");
        }
        if (timestamp == null) {
            throw WebhookRejection.unauthorized("missing_timestamp", "No svix-timestamp header");
        }
        if (!timestamp.matches("\\d{1,12}")) {
            throw WebhookRejection.unauthorized("invalid_timestamp", "svix-timestamp must be unix seconds");
        }
        Instant signedAt = Instant.ofEpochSecond(Long.parseLong(timestamp));
        Instant now = clock.instant();
        if (signedAt.isBefore(now.minus(tolerance))) {
            throw WebhookRejection.unauthorized("stale_timestamp", "The signed timestamp is older than " + tolerance.toSeconds() + " s");
        }
        if (signedAt.isAfter(now.plus(tolerance))) {
            throw WebhookRejection.unauthorized("future_timestamp",
                    "The signed timestamp is more than " + tolerance.toSeconds() + " s in the future");
        }
        byte[] prefix = (id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8);
        for (byte[] key : keys) {
            byte[] expected = hmac(key, prefix, body);
            for (String entry : signatures.trim().split(" +")) {
                int comma = entry.indexOf(',');
                if (comma < 0 || !"v1".equals(entry.substring(0, comma))) {
                    continue;
                }
                byte[] given;
                try {
                    given = Base64.getDecoder().decode(entry.substring(comma + 1));
                } catch (IllegalArgumentException e) {
                    continue;
                }
                if (MessageDigest.isEqual(expected, given)) {
                    return new Verified(id, signedAt);
                }
            }
        }
        throw WebhookRejection.unauthorized("invalid_signature", "No v1 signature matches the body");
    }

    static byte[] hmac(byte[] key, byte[] prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(prefix);
            mac.update(body == null ? new byte[0] : body);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String first(UnaryOperator<String> header, String name, String fallback) {
        String value = header.apply(name);
        if (value == null || value.isBlank()) {
            value = header.apply(fallback);
        }
        return value == null || value.isBlank() ? null : value.strip();
    }
}
