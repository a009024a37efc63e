package io.orgsync.webhook;

import java.time.Clock;
import java.time.Instant;
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
 * statements' input); {@code spoolable} is true for deliveries the sender never retries.
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

    private final Verification<V> verification;
    private final Normalisation<V> normalisation;
    private final Predicate<ObjectNode> spoolable;
    private final Clock clock;

    public WebhookReceiver(Verification<V> verification, Normalisation<V> normalisation, Predicate<ObjectNode> spoolable, Clock clock) {
        this.verification = verification;
        this.normalisation = normalisation;
        this.spoolable = spoolable;
        this.clock = clock;
    }

    public void verify(Exchange exchange) {
        byte[] body = exchange.getIn().getBody(byte[].class);
        exchange.setVariable("rawBody", body == null ? new byte[0] : body);
        exchange.setVariable("verified", verification.verify(requestHeaders(exchange), exchange.getVariable("rawBody", byte[].class)));
    }

    @SuppressWarnings("unchecked")
    public void normalise(Exchange exchange) throws Exception {
        V verified = (V) exchange.getVariable("verified");
        ObjectNode event = normalisation.normalise(verified, requestHeaders(exchange), exchange.getVariable("rawBody", byte[].class),
                clock.instant());
        exchange.setVariable("eventId", event.get("event_id").textValue());
        exchange.setVariable("eventType", event.get("type").textValue());
        exchange.setVariable("event", event);
        exchange.setVariable("events", Json.MAPPER.writeValueAsString(Json.MAPPER.createArrayNode().add(event)));
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
    }

    private static UnaryOperator<String> requestHeaders(Exchange exchange) {
        HttpMessage http = exchange.getIn(HttpMessage.class);
        if (http == null || http.getRequest() == null) {
            return name -> null;
        }
        return name -> http.getRequest().getHeader(name);
    }
}
