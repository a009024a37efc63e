package io.orgsync.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

import io.orgsync.http.WebhookRejection;
import io.vertx.core.http.HttpServerRequest;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * Guard and parameters of the admin API (routes/admin.camel.yaml). A bearer token
 * ({@code ORGSYNC_ADMIN_TOKEN}) is compared in constant time and never logged; with no token
 * configured the admin API answers 404 to everything.
 */
public class AdminApi {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,100}");
    private final byte[] token;

    public AdminApi(String token) {
        this.token = token == null || token.isBlank() ? null : token.strip().getBytes(StandardCharsets.UTF_8);
    }

    public void authorize(Exchange exchange) {
        if (token == null) {
            throw new WebhookRejection(404, "admin_off", "The admin API is off: set ORGSYNC_ADMIN_TOKEN to turn it on");
        }
        byte[] given = bearerToken(request(exchange) == null ? null : request(exchange).getHeader("Authorization"));
        if (!MessageDigest.isEqual(given, token)) {
            throw new WebhookRejection(401, "unauthorized", "A valid bearer token is required");
        }
    }

    /** The token of an {@code Authorization: Bearer <token>} header, as bytes; empty when there is none. */
    public static byte[] bearerToken(String header) {
        return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? header.substring(7).strip().getBytes(StandardCharsets.UTF_8) : new byte[0];
    }

    /** Validates the list and replay filters into variables: target, eventType, from, to, limit, offset. */
    public void filters(Exchange exchange) {
        HttpServerRequest request = request(exchange);
        exchange.setVariable("target", name(request, "target"));
        exchange.setVariable("filterEventType", name(request, "event_type"));
        exchange.setVariable("from", time(request, "from"));
        exchange.setVariable("to", time(request, "to"));
        exchange.setVariable("limit", number(request, "limit", 50, 1, 500));
        exchange.setVariable("offset", number(request, "offset", 0, 0, Integer.MAX_VALUE));
    }

    /** The {id} path parameter as a number, or 404. */
    public long id(Exchange exchange) {
        String id = exchange.getMessage().getHeader("id", String.class);
        try {
            return Long.parseLong(id);
        } catch (NumberFormatException e) {
            throw new WebhookRejection(404, "not_found", "Nothing has the id " + abbreviate(id));
        }
    }

    /**
     * The quarantine's list and replay filters into variables: filterSource (authvital | clerk),
     * filterEventType, filterCode, filterStatus (held, the default; replayed, discarded or all),
     * limit, offset.
     */
    public void quarantineFilters(Exchange exchange) {
        HttpServerRequest request = request(exchange);
        String source = sourceFilter(request, java.util.List.of("authvital", "clerk"));
        String status = name(request, "status");
        if (status != null && !java.util.Set.of("held", "replayed", "discarded", "all").contains(status)) {
            throw WebhookRejection.badRequest("invalid_filter", "\"status\" must be held, replayed, discarded or all");
        }
        exchange.setVariable("filterSource", source);
        exchange.setVariable("filterEventType", name(request, "event_type"));
        exchange.setVariable("filterCode", name(request, "code"));
        exchange.setVariable("filterStatus", status == null ? "held" : status);
        exchange.setVariable("limit", number(request, "limit", 50, 1, 500));
        exchange.setVariable("offset", number(request, "offset", 0, 0, Integer.MAX_VALUE));
    }

    /** The filters of GET /admin/reconcile/runs into variables: filterSource, limit, offset. */
    public void runFilters(Exchange exchange) {
        HttpServerRequest request = request(exchange);
        // a rebuild from the archive is a run of source archive
        exchange.setVariable("filterSource", sourceFilter(request, java.util.List.of("authvital", "clerk", "archive")));
        exchange.setVariable("limit", number(request, "limit", 20, 1, 500));
        exchange.setVariable("offset", number(request, "offset", 0, 0, Integer.MAX_VALUE));
    }

    private static String sourceFilter(HttpServerRequest request, java.util.List<String> allowed) {
        String source = name(request, "source");
        if (source != null && !allowed.contains(source)) {
            throw WebhookRejection.badRequest("invalid_filter", "\"source\" must be one of " + String.join(", ", allowed));
        }
        return source;
    }

    /** The reason a discard must give: the body {@code {"reason": "…"}}, 1 to 500 characters, or 400. */
    public String discardReason(Exchange exchange) {
        String reason = null;
        try {
            byte[] body = exchange.getMessage().getBody(byte[].class);
            com.fasterxml.jackson.databind.JsonNode json = body == null || body.length == 0 ? null : JSON.readTree(body);
            reason = json == null ? null : json.path("reason").asText(null);
        } catch (java.io.IOException e) {
            // answered below
        }
        if (reason == null || reason.isBlank() || reason.length() > 500) {
            throw WebhookRejection.badRequest("invalid_reason", "A discard needs a body {\"reason\": \"…\"} of 1 to 500 characters");
        }
        return reason.strip();
    }

    /** The row, or 404 naming what was looked for. */
    public Object found(Object row, String what) {
        if (row == null || row instanceof java.util.Collection<?> rows && rows.isEmpty()) {
            throw new WebhookRejection(404, "not_found", "No " + what + " has this id");
        }
        return row instanceof java.util.List<?> rows ? rows.get(0) : row;
    }

    /** A quarantined event that is still held (a row of show.sql): 404 when there is none, 409 when it is not held. */
    public Object held(java.util.Map<String, Object> row) {
        found(row, "quarantined event");
        if (!"held".equals(row.get("status"))) {
            throw new WebhookRejection(409, "not_held", "This quarantined event was " + row.get("status") + " already");
        }
        return row;
    }

    /** A dead letter for GET /admin/dead-letters/{id}: its data, headers and attempt errors as JSON. */
    public java.util.Map<String, Object> deadLetter(java.util.Map<String, Object> row) throws Exception {
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> shown = new java.util.LinkedHashMap<>((java.util.Map<String, Object>) found(row, "dead letter"));
        for (String column : new String[] {"data", "headers", "attempt_errors"}) {
            shown.put(column, shown.get(column) == null ? null : JSON.readTree(String.valueOf(shown.get(column))));
        }
        return shown;
    }

    /**
     * A quarantined event as the admin API shows it: its row, the raw body as text when it is
     * UTF-8 (else {@code raw_body_base64}), headers and verification as JSON.
     */
    public java.util.Map<String, Object> quarantined(java.util.Map<String, Object> row) throws Exception {
        java.util.Map<String, Object> shown = new java.util.LinkedHashMap<>((java.util.Map<String, Object>) found(row, "quarantined event"));
        byte[] raw = (byte[]) shown.remove("raw_body");
        try {
            shown.put("raw_body", StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(raw)).toString());
        } catch (java.nio.charset.CharacterCodingException e) {
            shown.put("raw_body_base64", java.util.Base64.getEncoder().encodeToString(raw));
        }
        shown.put("headers", JSON.readTree(String.valueOf(shown.get("headers"))));
        shown.put("verification", JSON.readTree(String.valueOf(shown.get("verification"))));
        return shown;
    }

    /** A tenant for GET /admin/tenants/{id} (the one value routes/sql/tenants/show.sql selects, JSON), or 404. */
    public Object tenant(String tenant) throws Exception {
        found(tenant, "tenant");
        return JSON.readTree(tenant);
    }

    /** A yes/no query parameter ({@code true} or {@code false}, absent = false), or 400. */
    public boolean flag(Exchange exchange, String param) {
        String value = request(exchange) == null ? null : request(exchange).getParam(param);
        if (value == null || value.isEmpty() || value.equals("false")) {
            return false;
        }
        if (value.equals("true")) {
            return true;
        }
        throw WebhookRejection.badRequest("invalid_filter", "\"" + param + "\" must be true or false");
    }

    /** The answer to a run started: {@code {"run_id", "status": "running", "dry_run"}}. */
    public java.util.Map<String, Object> started(long runId, boolean dryRun) {
        java.util.Map<String, Object> started = new java.util.LinkedHashMap<>();
        started.put("run_id", runId);
        started.put("status", "running");
        started.put("dry_run", dryRun);
        return started;
    }

    /** A reconciliation run as the admin API shows it: its row, progress and drift report as JSON; 404 when there is none. */
    /** The rows of run-list.sql, their progress as JSON. */
    public java.util.List<java.util.Map<String, Object>> runs(java.util.List<java.util.Map<String, Object>> rows) throws Exception {
        java.util.List<java.util.Map<String, Object>> shown = new java.util.ArrayList<>();
        for (java.util.Map<String, Object> row : rows) {
            java.util.Map<String, Object> run = new java.util.LinkedHashMap<>(row);
            run.put("progress", run.get("progress") == null ? null : JSON.readTree(String.valueOf(run.get("progress"))));
            shown.add(run);
        }
        return shown;
    }

    public java.util.Map<String, Object> run(java.util.Map<String, Object> row) throws Exception {
        java.util.Map<String, Object> shown = new java.util.LinkedHashMap<>((java.util.Map<String, Object>) found(row, "reconciliation run"));
        shown.put("progress", JSON.readTree(String.valueOf(shown.get("progress"))));
        shown.put("report", shown.get("report") == null ? null : JSON.readTree(String.valueOf(shown.get("report"))));
        return shown;
    }

    /** The summary of a replay by filter: how many of each outcome, and each id's. */
    public java.util.Map<String, Object> replaySummary(java.util.List<java.util.Map<String, Object>> results) {
        java.util.Map<String, Object> summary = new java.util.LinkedHashMap<>();
        java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
        for (java.util.Map<String, Object> r : results) {
            String outcome = String.valueOf(r.get("outcome"));
            counts.merge(outcome.startsWith("still failing") ? "still_failing" : outcome, 1, Integer::sum);
        }
        summary.put("replayed", results.size());
        summary.put("outcomes", counts);
        summary.put("events", results);
        return summary;
    }

    /** Writes a JSON answer (dates as ISO-8601), after removing the request's headers. */
    public void respond(Exchange exchange, int status, Object body) throws Exception {
        if (body == null) {
            throw new WebhookRejection(404, "not_found", "No dead letter has this id");
        }
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        exchange.getMessage().setBody(JSON.writeValueAsBytes(body));
    }

    /** {"replayed": n, "ids": […]} for a replay; 404 when a single id matched nothing. */
    public java.util.Map<String, Object> replayed(java.util.List<java.util.Map<String, Object>> rows, boolean single) {
        if (single && rows.isEmpty()) {
            throw new WebhookRejection(404, "not_found", "No dead letter has this id");
        }
        java.util.Map<String, Object> result = new java.util.LinkedHashMap<>();
        result.put("replayed", rows.size());
        result.put("ids", rows.stream().map(r -> r.get("id")).toList());
        return result;
    }

    /** {"discarded": id}; 404 when nothing matched. */
    public java.util.Map<String, Object> discarded(java.util.List<java.util.Map<String, Object>> rows) {
        if (rows.isEmpty()) {
            throw new WebhookRejection(404, "not_found", "No dead letter has this id");
        }
        return java.util.Map.of("discarded", rows.get(0).get("id"));
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .defaultDateFormat(new com.fasterxml.jackson.databind.util.StdDateFormat().withColonInTimeZone(true))
            .build();

    private static String name(HttpServerRequest request, String param) {
        String value = request == null ? null : request.getParam(param);
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (!NAME.matcher(value).matches()) {
            throw WebhookRejection.badRequest("invalid_filter", "\"" + param + "\" must be a name like stripe or tenant.created");
        }
        return value;
    }

    private static java.sql.Timestamp time(HttpServerRequest request, String param) {
        String value = request == null ? null : request.getParam(param);
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            return java.sql.Timestamp.from(DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(value, Instant::from));
        } catch (DateTimeParseException e) {
            throw WebhookRejection.badRequest("invalid_filter", "\"" + param + "\" must be an ISO-8601 date-time with an offset");
        }
    }

    private static int number(HttpServerRequest request, String param, int fallback, int min, int max) {
        String value = request == null ? null : request.getParam(param);
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw WebhookRejection.badRequest("invalid_filter", "\"" + param + "\" must be a whole number from " + min + " to " + max);
        }
    }

    private static HttpServerRequest request(Exchange exchange) {
        HttpMessage http = exchange.getIn(HttpMessage.class);
        return http == null ? null : http.getRequest();
    }

    private static String abbreviate(String text) {
        return text == null ? "" : text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }
}
