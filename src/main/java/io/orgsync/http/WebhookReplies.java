package io.orgsync.http;

import java.util.LinkedHashMap;
import java.util.Map;

import io.orgsync.ops.EventMdc;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the JSON answer of a webhook request. Every request header is removed first:
 * platform-http would otherwise echo them back as response headers.
 */
public class WebhookReplies {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookReplies.class);

    /**
     * What kind of failure an exception is, looking through its causes (Camel's onException matches
     * the innermost cause first, so a wrapped PSQLException would otherwise look like any error):
     * {@code database_unavailable} (connection lost or refused, pool timeout, shutdown, lock or
     * serialization failure: the sender may retry), {@code invalid_field} (a value PostgreSQL refuses:
     * the event's fault) or {@code internal_error}.
     */
    public String classify(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.sql.SQLTransientConnectionException || t instanceof java.sql.SQLRecoverableException
                    || t instanceof java.sql.SQLNonTransientConnectionException) {
                return "database_unavailable";
            }
            if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                // 57014: cancelled by statement_timeout (a hung or overloaded database)
                if (state.startsWith("08") || state.startsWith("57P") || state.equals("57014") || state.startsWith("53")
                        || state.startsWith("40") || state.startsWith("58") || state.equals("55P03")) {
                    return "database_unavailable";
                }
                if (state.startsWith("22") || state.startsWith("23")) {
                    return "invalid_field";
                }
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof org.springframework.dao.DataAccessResourceFailureException
                    || t instanceof org.springframework.dao.TransientDataAccessException
                    || t instanceof org.springframework.dao.RecoverableDataAccessException) {
                return "database_unavailable";
            }
        }
        return "internal_error";
    }

    /** 2xx: {@code {"status": …, "event_id": …}}. */
    public void accepted(Exchange exchange, int httpStatus, String status) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        body.put("event_id", exchange.getVariable("eventId", String.class));
        write(exchange, httpStatus, body);
    }

    /** The caught {@link WebhookRejection}: its status, code and message. */
    public void rejected(Exchange exchange) {
        Exception caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        WebhookRejection rejection = caught instanceof WebhookRejection r ? r
                : new WebhookRejection(500, "internal_error", "orgsync could not process the event");
        reject(exchange, rejection.getStatus(), rejection.getCode(), rejection.getMessage(), rejection.getDetails());
    }

    /** Any other error answer: a stable code and a message meant for the sender. */
    public void reject(Exchange exchange, int httpStatus, String code, String message) {
        reject(exchange, httpStatus, code, message, Map.of());
    }

    private void reject(Exchange exchange, int httpStatus, String code, String message, Map<String, Object> details) {
        Exception caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String source = exchange.getVariable("source", "webhook", String.class);
        String eventId = exchange.getVariable("eventId", String.class);
        EventMdc.around(exchange, () -> {
            if (httpStatus == 503 && caught != null && !(caught instanceof WebhookRejection)) {
                LOG.warn("{} request answered 503 {} event_id={}: {}", source, code, eventId, rootMessage(caught));
            } else if (httpStatus >= 500 && !(caught instanceof WebhookRejection)) {
                // the cause goes to the log for the operator, never into the answer
                LOG.error("{} request failed ({} {}) event_id={}", source, httpStatus, code, eventId, caught);
            } else {
                LOG.warn("{} request rejected: {} {} event_id={} ({})", source, httpStatus, code, eventId, message);
            }
        });
        exchange.setVariable("errorCode", code);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "rejected");
        body.put("code", code);
        body.put("message", message);
        if (eventId != null) {
            body.put("event_id", eventId);
        }
        details.forEach(body::putIfAbsent);
        write(exchange, httpStatus, body);
    }

    static String rootMessage(Throwable t) {
        if (t == null) {
            return "unknown failure";
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    private static void write(Exchange exchange, int httpStatus, Map<String, Object> body) {
        Message message = exchange.getMessage();
        message.removeHeaders("*");
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, httpStatus);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        try {
            message.setBody(Json.MAPPER.writeValueAsBytes(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
