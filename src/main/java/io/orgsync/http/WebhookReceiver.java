package io.orgsync.http;

import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.files.UnreadableSpoolFile;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * The Camel face of one webhook source (AuthVital, Clerk): verification over the raw bytes, then
 * normalisation into the canonical event, called by the route template {@code webhook-receiver}.
 * Signature headers are read from the real HTTP request, never from Camel message headers:
 * platform-http merges query parameters into those, so a signature sent as a query parameter
 * must not count.
 * <p>
 * Results go to exchange variables: {@code verified}, {@code eventId}, {@code eventType},
 * {@code event} (the canonical event) and {@code events} (a JSON array of it, the apply
 * statements' input); {@code spoolable} is true for deliveries the sender never retries, and
 * {@code spoolableUnverified} for those that may be spooled as received when the signing keys
 * cannot be had ({@link #toUnverifiedSpool}, {@link #fromUnverifiedSpool}).
 *
 * @param <V> what the source's verification proves
 */
public class WebhookReceiver<V> {

    /** Verifies a delivery, or throws a {@link WebhookRejection}. */
    @FunctionalInterface
    public interface Verification<V> {
        V verify(UnaryOperator<String> headers, byte[] body);
    }

    /** Builds the canonical event of a verified delivery, or throws a {@link WebhookRejection}. */
    @FunctionalInterface
    public interface Normalisation<V> {
        ObjectNode normalise(V verified, UnaryOperator<String> headers, byte[] body, Instant receivedAt);
    }

    /** Request headers never written to the unverified spool. */
    private static final Set<String> NOT_SPOOLED = Set.of("authorization", "proxy-authorization", "cookie");

    private final Verification<V> verification;
    private final Normalisation<V> normalisation;
    private final Function<JsonNode, V> restore;
    private final Predicate<ObjectNode> spoolable;
    private final Predicate<UnaryOperator<String>> spoolableUnverified;
    private final Clock clock;

    /**
     * @param restore reads back what {@link VerifiedDelivery#describe} kept with a quarantined event
     */
    public WebhookReceiver(Verification<V> verification, Normalisation<V> normalisation, Function<JsonNode, V> restore,
                           Predicate<ObjectNode> spoolable, Predicate<UnaryOperator<String>> spoolableUnverified, Clock clock) {
        this.verification = verification;
        this.normalisation = normalisation;
        this.restore = restore;
        this.spoolable = spoolable;
        this.spoolableUnverified = spoolableUnverified;
        this.clock = clock;
    }

    public void verify(Exchange exchange) {
        byte[] body = exchange.getIn().getBody(byte[].class);
        exchange.setVariable("rawBody", body == null ? new byte[0] : body);
        UnaryOperator<String> headers = requestHeaders(exchange);
        exchange.setVariable("spoolableUnverified", spoolableUnverified.test(headers));
        exchange.setVariable("verified", verification.verify(headers, exchange.getVariable("rawBody", byte[].class)));
    }

    @SuppressWarnings("unchecked")
    public void normalise(Exchange exchange) throws Exception {
        V verified = (V) exchange.getVariable("verified");
        Instant receivedAt = exchange.getVariable("receivedAt", Instant.class);
        ObjectNode event = normalisation.normalise(verified, requestHeaders(exchange), exchange.getVariable("rawBody", byte[].class),
                receivedAt != null ? receivedAt : clock.instant());
        if (exchange.getVariable("origin") instanceof String origin) {
            // read back from the archive by a rebuild: the fan-out treats it so (orgsync.fanout.rebuilt)
            event.put("origin", origin);
        }
        exchange.setVariable("eventId", event.get("event_id").textValue());
        exchange.setVariable("eventType", event.get("type").textValue());
        exchange.setVariable("event", event);
        // kept parsed: group commit writes it out once, as the statement's parameter
        exchange.setVariable("events", Json.MAPPER.createArrayNode().add(event));
        exchange.setVariable("spoolable", spoolable.test(event));
    }

    /** Restores the variables of an event read back from the spool (it was verified when spooled). */
    public void fromSpool(Exchange exchange) {
        String events = exchange.getMessage().getBody(String.class);
        if (events == null || events.isBlank()) {
            throw new UnreadableSpoolFile("the file is empty");
        }
        ObjectNode event;
        try {
            JsonNode array = Json.MAPPER.readTree(events);
            event = array.isArray() && array.size() == 1 && array.get(0) instanceof ObjectNode o ? o : null;
        } catch (JsonProcessingException e) {
            throw new UnreadableSpoolFile("the file is not JSON (" + e.getOriginalMessage() + ")");
        }
        if (event == null || !event.path("event_id").isTextual() || !event.path("type").isTextual()) {
            throw new UnreadableSpoolFile("the file is not one canonical event as orgsync spools it");
        }
        exchange.setVariable("eventId", event.get("event_id").textValue());
        exchange.setVariable("eventType", event.get("type").textValue());
        exchange.setVariable("events", events);
        // it was verified before it was spooled: what a quarantine needs if the database refuses it now
        exchange.setVariable("rawBody", event.path("raw_body").asText("").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        exchange.setVariable("spooledHeaders", headersOf(event.path("headers")));
        try {
            exchange.setVariable("receivedAt", Instant.parse(event.path("received_at").asText()));
        } catch (java.time.format.DateTimeParseException e) {
            // the time of the quarantine stands in
        }
        exchange.setVariable("verified", restore.apply(Json.MAPPER.createObjectNode().put("verified", true)
                .put("channel", event.path("channel").asText(null)).put("key_id", event.path("key_id").asText(null))));
    }

    /**
     * The delivery exactly as received, not yet verified: the raw body, the request headers and the
     * time of receipt, as one JSON document for the unverified spool.
     */
    public byte[] toUnverifiedSpool(Exchange exchange) throws Exception {
        ObjectNode record = Json.MAPPER.createObjectNode();
        record.put("received_at", clock.instant().toString());
        record.set("headers", keptHeaders(exchange));
        record.put("body", exchange.getVariable("rawBody", byte[].class));
        return Json.MAPPER.writeValueAsBytes(record);
    }

    /**
     * Reads a quarantined delivery back for its replay (the body: a row of
     * routes/sql/quarantine/show.sql): the raw bytes, the headers, the time of receipt and the proof
     * of its verification, which is not repeated (the signing key may be long rotated away).
     * The same steps as a live request follow: normalise, validate, apply.
     */
    public void fromQuarantine(Exchange exchange) throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> row = exchange.getMessage().getBody(Map.class);
        Map<String, String> headers = headersOf(Json.MAPPER.readTree(String.valueOf(row.get("headers"))));
        exchange.setVariable("rawBody", (byte[]) row.get("raw_body"));
        exchange.setVariable("receivedAt", ((java.sql.Timestamp) row.get("received_at")).toInstant());
        exchange.setVariable("spooledHeaders", headers);
        exchange.setVariable("verified", restore.apply(Json.MAPPER.readTree(String.valueOf(row.get("verification")))));
    }

    /**
     * Reads an archived delivery back for a rebuild (the body: the archive document,
     * routes/fanout-targets.camel.yaml, target-archive): the raw bytes exactly as signed, the headers
     * kept with it, its time of receipt and what its verification proved, which is not repeated (the
     * signing key may be long rotated away; the archive holds only what was verified). Variable
     * {@code origin} becomes "archive". The same steps as a live request follow: normalise, validate, apply.
     */
    public void fromArchive(Exchange exchange) {
        JsonNode document = exchange.getMessage().getBody(JsonNode.class);
        Map<String, String> headers = headersOf(document.path("headers"));
        exchange.setVariable("rawBody", document.path("raw_body").asText("").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        exchange.setVariable("receivedAt", Instant.parse(document.path("received_at").asText()));
        exchange.setVariable("spooledHeaders", headers);
        // the proof as archived, with what a source's proof may need that the archive keeps elsewhere
        ObjectNode proof = document.path("verification").deepCopy();
        proof.set("event_id", document.path("event_id"));
        proof.set("received_at", document.path("received_at"));
        exchange.setVariable("verified", restore.apply(proof));
        exchange.setVariable("origin", "archive");
    }

    /** Headers kept as a JSON object (a spool file, the quarantine, the archive), looked up in any case. */
    private static Map<String, String> headersOf(JsonNode kept) {
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        kept.fields().forEachRemaining(h -> headers.put(h.getKey(), h.getValue().asText()));
        return headers;
    }

    /** The request's headers, names in lower case, but never Authorization, Proxy-Authorization or Cookie. */
    static ObjectNode keptHeaders(Exchange exchange) {
        ObjectNode headers = Json.MAPPER.createObjectNode();
        HttpMessage http = exchange.getVariable("spooledHeaders") == null ? exchange.getIn(HttpMessage.class) : null;
        if (http != null && http.getRequest() != null) {
            http.getRequest().headers().forEach(h -> {
                String name = h.getKey().toLowerCase(Locale.ROOT);
                if (!NOT_SPOOLED.contains(name)) {
                    headers.put(name, h.getValue());
                }
            });
        } else if (exchange.getVariable("spooledHeaders") instanceof Map<?, ?> spooled) {
            spooled.forEach((k, v) -> headers.put(String.valueOf(k).toLowerCase(Locale.ROOT), String.valueOf(v)));
        }
        return headers;
    }

    /**
     * Reads a delivery back from the unverified spool: the body becomes the raw bytes, the headers
     * and the time of receipt what verification and the freshness check use. Verified as if live.
     */
    public void fromUnverifiedSpool(Exchange exchange) {
        byte[] file = exchange.getMessage().getBody(byte[].class);
        JsonNode record;
        try {
            record = file == null || file.length == 0 ? null : Json.MAPPER.readTree(file);
        } catch (java.io.IOException e) {
            throw new UnreadableSpoolFile("the file is not JSON");
        }
        if (record == null || !record.path("headers").isObject() || !record.path("body").isBinary() && !record.path("body").isTextual()
                || !record.path("received_at").isTextual()) {
            throw new UnreadableSpoolFile(file == null || file.length == 0 ? "the file is empty"
                    : "the file is not a delivery as orgsync spools it");
        }
        Map<String, String> headers = headersOf(record.get("headers"));
        try {
            exchange.getMessage().setBody(record.get("body").binaryValue());
            exchange.setVariable("receivedAt", Instant.parse(record.get("received_at").asText()));
        } catch (java.io.IOException | java.time.format.DateTimeParseException e) {
            throw new UnreadableSpoolFile("the file is not a delivery as orgsync spools it");
        }
        exchange.setVariable("spooledHeaders", headers);
    }

    @SuppressWarnings("unchecked")
    private static UnaryOperator<String> requestHeaders(Exchange exchange) {
        // a delivery read back from a spool or the quarantine: its own headers, not the admin request's
        Map<String, String> spooled = exchange.getVariable("spooledHeaders", Map.class);
        if (spooled != null) {
            return spooled::get;
        }
        HttpMessage http = exchange.getIn(HttpMessage.class);
        if (http == null || http.getRequest() == null) {
            return name -> null;
        }
        return name -> http.getRequest().getHeader(name);
    }
}
