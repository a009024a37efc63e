package io.orgsync.http;

import java.util.Map;

/**
 * A request orgsync refuses, with the HTTP status and the stable error code the sender gets back.
 * Thrown by the beans on the webhook path; the routeConfiguration {@code http-errors} turns it
 * into a JSON answer. The message is safe to show to the sender: never a secret, never a stack trace.
 */
public class WebhookRejection extends RuntimeException {

    private final int status;
    private final String code;
    private final Map<String, Object> details;

    public WebhookRejection(int status, String code, String message) {
        this(status, code, message, Map.of());
    }

    /** With fields the answer carries besides status, code and message (e.g. a suspension's reason). */
    public WebhookRejection(int status, String code, String message, Map<String, Object> details) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.details = details;
    }

    public Map<String, Object> getDetails() {
        return details;
    }

    public static WebhookRejection unauthorized(String code, String message) {
        return new WebhookRejection(401, code, message);
    }

    public static WebhookRejection badRequest(String code, String message) {
        return new WebhookRejection(400, code, message);
    }

    public static WebhookRejection unavailable(String code, String message) {
        return new WebhookRejection(503, code, message);
    }

    public int getStatus() {
        return status;
    }

    public String getCode() {
        return code;
    }
}
