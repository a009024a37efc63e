package io.orgsync.authvital;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.http.Json;
import io.orgsync.http.VerifiedDelivery;
import io.orgsync.http.WebhookRejection;

/**
 * Verifies an AuthVital delivery over its exact raw bytes (docs/webhooks.md):
 * <ul>
 * <li>system webhooks: {@code X-Webhook-Signature} = base64 RSA-SHA256 over the raw body, key {@code X-Webhook-Key-Id};
 * their freshness is checked on the signed body's timestamp, after parsing ({@link AuthVitalEnvelope});</li>
 * <li>sync events: {@code X-AuthVital-Signature} = base64 RSA-SHA256 over {@code "<X-AuthVital-Timestamp>.<raw body>"},
 * key {@code X-AuthVital-Key-Id}, the signed unix timestamp within the tolerance either way.</li>
 * </ul>
 * Every failure is a 401 with a stable code; nothing about the expected signature is revealed.
 */
public class AuthVitalVerifier {

    public static final String SYSTEM = "system";
    public static final String SYNC = "sync";

    /** What a verified delivery proved: its channel, the key that signed it and, for sync events, the signed time. */
    public record Verified(String channel, String keyId, Instant signedAt) implements VerifiedDelivery {

        @Override
        public ObjectNode describe() {
            ObjectNode proof = Json.MAPPER.createObjectNode()
                    .put("verified", true).put("channel", channel).put("key_id", keyId);
            return signedAt == null ? proof : proof.put("signed_at", signedAt.toString());
        }

        /** The proof kept with a quarantined event ({@link #describe}), read back for its replay. */
        public static Verified restore(JsonNode proof) {
            return new Verified(proof.path("channel").asText(), proof.path("key_id").asText(null),
                    proof.hasNonNull("signed_at") ? Instant.parse(proof.get("signed_at").asText()) : null);
        }
    }

    private final KeyLookup keys;
    private final Clock clock;
    private final Duration tolerance;

    public AuthVitalVerifier(KeyLookup keys, Clock clock, Duration tolerance) {
        this.keys = keys;
        this.clock = clock;
        this.tolerance = tolerance;
    }

    /**
     * @param header the request's real HTTP headers (never query parameters), case-insensitive
     * @param body   the raw body bytes as received
     */
    public Verified verify(UnaryOperator<String> header, byte[] body) {
        String syncSignature = header.apply("X-AuthVital-Signature");
        String systemSignature = header.apply("X-Webhook-Signature");
        if (syncSignature != null && systemSignature != null) {
            throw WebhookRejection.unauthorized("ambiguous_signature",
                    "Both X-AuthVital-Signature and X-Webhook-Signature were sent; a delivery has one");
        }
        if (syncSignature != null) {
            String kid = required(header, "X-AuthVital-Key-Id", "missing_key_id");
            String timestamp = required(header, "X-AuthVital-Timestamp", "missing_timestamp");
            Instant signedAt = parseUnixSeconds(timestamp);
            checkFreshness(signedAt, clock.instant());
            byte[] prefix = (timestamp + ".").getBytes(StandardCharsets.US_ASCII);
            check(kid, syncSignature, prefix, body);
            return new Verified(SYNC, kid, signedAt);
        }
        if (systemSignature != null) {
            String kid = required(header, "X-Webhook-Key-Id", "missing_key_id");
            check(kid, systemSignature, new byte[0], body);
            return new Verified(SYSTEM, kid, null);
        }
        throw WebhookRejection.unauthorized("missing_signature",
                "No signature: expected an X-AuthVital-Signature or X-Webhook-Signature header");
    }

    /**
     * The signed time must be within the tolerance of the moment the request was received, in the past
     * or the future (for a live request that is now; for one spooled unverified, its receipt).
     */
    public void checkFreshness(Instant signedAt, Instant now) {
        if (signedAt.isBefore(now.minus(tolerance))) {
            throw WebhookRejection.unauthorized("stale_timestamp",
                    "The signed timestamp is older than " + tolerance.toSeconds() + " s");
        }
        if (signedAt.isAfter(now.plus(tolerance))) {
            throw WebhookRejection.unauthorized("future_timestamp",
                    "The signed timestamp is more than " + tolerance.toSeconds() + " s in the future");
        }
    }

    private void check(String kid, String signatureBase64, byte[] prefix, byte[] body) {
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(signatureBase64.strip());
        } catch (IllegalArgumentException e) {
            throw WebhookRejection.unauthorized("invalid_signature", "The signature is not valid base64");
        }
        RSAPublicKey key = keys.find(kid);
        if (key == null) {
            throw WebhookRejection.unauthorized("unknown_key", "No AuthVital signing key has this key id");
        }
        boolean valid;
        try {
            Signature verifier = Signature.getInstance("SHA256withRSA");
            verifier.initVerify(key);
            verifier.update(prefix);
            verifier.update(body == null ? new byte[0] : body);
            valid = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            valid = false;
        }
        if (!valid) {
            throw WebhookRejection.unauthorized("invalid_signature", "The signature does not match the body");
        }
    }

    private static String required(UnaryOperator<String> header, String name, String code) {
        String value = header.apply(name);
        if (value == null || value.isBlank()) {
            throw WebhookRejection.unauthorized(code, "The " + name + " header is missing");
        }
        return value.strip();
    }

    private static Instant parseUnixSeconds(String timestamp) {
        if (!timestamp.matches("\\d{1,12}")) {
            throw WebhookRejection.unauthorized("invalid_timestamp", "X-AuthVital-Timestamp must be unix seconds");
        }
        return Instant.ofEpochSecond(Long.parseLong(timestamp));
    }
}
