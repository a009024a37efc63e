package io.orgsync.http;

import java.util.Locale;

import org.apache.camel.Exchange;

/**
 * The checks every webhook request passes before its body is looked at: the method and the
 * content type. A form-encoded body would be parsed into a map by platform-http and its raw bytes
 * lost, so only JSON is accepted.
 */
public class WebhookGuard {

    public void checkRequest(Exchange exchange) {
        String method = exchange.getIn().getHeader(Exchange.HTTP_METHOD, String.class);
        if (!"POST".equals(method)) {
            throw new WebhookRejection(405, "method_not_allowed", "Webhooks are delivered with POST, not " + method);
        }
        String contentType = exchange.getIn().getHeader(Exchange.CONTENT_TYPE, String.class);
        if (!isJson(contentType)) {
            throw new WebhookRejection(415, "unsupported_media_type",
                    "Content-Type must be application/json" + (contentType == null ? " (none was sent)" : ""));
        }
    }

    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String mediaType = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return mediaType.equals("application/json");
    }
}
