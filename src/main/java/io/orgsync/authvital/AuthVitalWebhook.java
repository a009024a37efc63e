package io.orgsync.authvital;

import java.time.Clock;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.webhook.Json;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * The Camel face of AuthVital's verification and normalisation, called by the route
 * {@code authvital-webhook}. Signature headers are read from the real HTTP request, never from
 * Camel message headers: platform-http merges query parameters into those, so a signature sent
 * as {@code ?X-Webhook-Signature=…} must not count.
 * <p>
 * Results go to exchange variables: {@code channel}, {@code keyId}, {@code eventId},
 * {@code eventType}, {@code event} (the canonical event) and {@code events} (a JSON array of it,
 * the apply statements' input); {@code spoolable} is true for system webhooks, which AuthVital
 * never retries.
 */
public class AuthVitalWebhook {

    private final AuthVitalVerifier verifier;
    private final AuthVitalEnvelope envelope;
    private final Clock clock;

    public AuthVitalWebhook(AuthVitalVerifier verifier, AuthVitalEnvelope envelope, Clock clock) {
        this.verifier = verifier;
        this.envelope = envelope;
        this.clock = clock;
    }

    public void verify(Exchange exchange) {
        AuthVitalVerifier.Verified verified = verifier.verify(requestHeaders(exchange), rawBody(exchange));
        exchange.setVariable("verified", verified);
        exchange.setVariable("channel", verified.channel());
        exchange.setVariable("keyId", verified.keyId());
    }

    public void normalise(Exchange exchange) throws Exception {
        AuthVitalVerifier.Verified verified = exchange.getVariable("verified", AuthVitalVerifier.Verified.class);
        ObjectNode event = envelope.normalise(verified, requestHeaders(exchange), rawBody(exchange), clock.instant());
        exchange.setVariable("eventId", event.get("event_id").textValue());
        exchange.setVariable("eventType", event.get("type").textValue());
        exchange.setVariable("event", event);
        exchange.setVariable("events", Json.MAPPER.writeValueAsString(Json.MAPPER.createArrayNode().add(event)));
        exchange.setVariable("spoolable", AuthVitalVerifier.SYSTEM.equals(verified.channel()));
    }

    /** Restores the variables of an event read back from the spool (already verified when it was spooled). */
    public void fromSpool(Exchange exchange) throws Exception {
        String events = exchange.getMessage().getBody(String.class);
        ObjectNode event = (ObjectNode) Json.MAPPER.readTree(events).get(0);
        exchange.setVariable("eventId", event.get("event_id").textValue());
        exchange.setVariable("eventType", event.get("type").textValue());
        exchange.setVariable("events", events);
    }

    private static byte[] rawBody(Exchange exchange) {
        byte[] body = exchange.getIn().getBody(byte[].class);
        return body == null ? new byte[0] : body;
    }

    private static UnaryOperator<String> requestHeaders(Exchange exchange) {
        HttpMessage http = exchange.getIn(HttpMessage.class);
        if (http == null || http.getRequest() == null) {
            return name -> null;
        }
        return name -> http.getRequest().getHeader(name);
    }
}
