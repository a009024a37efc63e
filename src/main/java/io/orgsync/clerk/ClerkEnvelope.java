package io.orgsync.clerk;

import java.time.Instant;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.http.CanonicalEvents;
import io.orgsync.http.Json;
import io.orgsync.http.WebhookRejection;

/**
 * Turns a verified Clerk delivery ({@code {data, object:"event", type, timestamp (ms), instance_id}})
 * into the canonical event. The dedupe key is the svix-id (Svix keeps it across retries). The
 * ordering time is the payload's {@code updated_at} (epoch ms); {@code organization.deleted},
 * which carries only {@code {id, deleted}}, is ordered by the envelope's timestamp.
 */
public class ClerkEnvelope {

    public static final String SOURCE = "clerk";
    static final String[] KEPT_HEADERS = {"Content-Type", "User-Agent", "svix-id", "svix-timestamp", "svix-signature",
        "webhook-id", "webhook-timestamp", "webhook-signature"};

    public ObjectNode normalise(SvixVerifier.Verified verified, UnaryOperator<String> header, byte[] body, Instant receivedAt) {
        JsonNode root = Json.parseObject(body);
        String type = CanonicalEvents.checkType(Json.requiredText(root, "type", "The Clerk event"));
        JsonNode object = root.get("object");
        if (object != null && !"event".equals(object.asText(null))) {
            throw WebhookRejection.badRequest("invalid_envelope", "The Clerk envelope's \"object\" must be \"event\"");
        }
        Instant sent = epochMillis(root.get("timestamp"), "timestamp", true);
        JsonNode data = CanonicalEvents.data(root);
        Instant updated = epochMillis(data.get("updated_at"), "data.updated_at", false);
        String tenant = type.startsWith("organizationMembership.") ? text(data.path("organization").get("id"))
                : type.startsWith("organization.") ? text(data.get("id")) : null;
        return CanonicalEvents.event(SOURCE, "svix", verified.messageId(), type, updated != null ? updated : sent, receivedAt,
                tenant, null, CanonicalEvents.kept(header, KEPT_HEADERS), data, body);
    }

    private static Instant epochMillis(JsonNode value, String field, boolean required) {
        if (value == null || value.isNull()) {
            if (required) {
                throw WebhookRejection.badRequest("invalid_envelope", "The Clerk event has no \"" + field + "\"");
            }
            return null;
        }
        if (!value.isIntegralNumber() || value.asLong() < 0 || value.asLong() > 253402300799999L) {
            throw WebhookRejection.badRequest(required ? "invalid_envelope" : "invalid_event",
                    "\"" + field + "\" must be epoch milliseconds");
        }
        return Instant.ofEpochMilli(value.asLong());
    }

    private static String text(JsonNode node) {
        return node != null && node.isTextual() ? node.textValue() : null;
    }
}
