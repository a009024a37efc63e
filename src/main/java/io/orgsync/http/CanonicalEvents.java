package io.orgsync.http;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The canonical event every apply statement reads (docs/extending.md, "The canonical event"), for every source. */
public final class CanonicalEvents {

    private static final Pattern EVENT_TYPE = Pattern.compile("[a-z][A-Za-z0-9_]*(\\.[a-z][A-Za-z0-9_]*){1,4}");

    private CanonicalEvents() {
    }

    /** An event type is a dotted name (it also names a schema file): anything else is refused. */
    public static String checkType(String type) {
        if (!EVENT_TYPE.matcher(type).matches()) {
            throw WebhookRejection.badRequest("invalid_envelope", "The event type is not of the form noun.verb: "
                    + (type.length() <= 60 ? type : type.substring(0, 57) + "..."));
        }
        return type;
    }

    /** The data object, or a 400. */
    public static JsonNode data(JsonNode root) {
        JsonNode data = root.get("data");
        if (data == null || !data.isObject()) {
            throw WebhookRejection.badRequest("invalid_envelope", "The event has no \"data\" object");
        }
        return data;
    }

    public static ObjectNode event(String source, String channel, String eventId, String type, Instant occurredAt,
                                   Instant receivedAt, String tenantId, String keyId, Map<String, String> headers,
                                   JsonNode data, byte[] body) {
        ObjectNode event = Json.MAPPER.createObjectNode();
        event.put("source", source);
        event.put("channel", channel);
        event.put("dedupe_key", source + ":" + eventId);
        event.put("event_id", eventId);
        event.put("type", type);
        event.put("occurred_at", occurredAt.toString());
        event.put("received_at", receivedAt.toString());
        event.put("tenant_id", tenantId);
        event.put("key_id", keyId);
        event.set("headers", Json.MAPPER.valueToTree(headers));
        event.set("data", data);
        event.put("raw_body", new String(body, StandardCharsets.UTF_8));
        return event;
    }

    /** The named headers that were sent, in order: what identifies and proves a delivery, never a secret. */
    public static Map<String, String> kept(UnaryOperator<String> header, String... names) {
        Map<String, String> kept = new LinkedHashMap<>();
        for (String name : names) {
            String value = header.apply(name);
            if (value != null) {
                kept.put(name, value);
            }
        }
        return kept;
    }
}
