package io.orgsync.http;

/**
 * A request orgsync refuses, with the HTTP status and the stable error code the sender gets back.
 * Thrown by the beans on the webhook path; the routeConfiguration {@code http-errors} turns it
 * into a JSON answer. The message is safe to show to the sender: never a secret, never a stack trace.
 */
public class WebhookRejection extends RuntimeException {

    private final int status;
    private final String code;

    public WebhookRejection(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
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
