package io.orgsync.outbox;

import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import io.orgsync.http.Json;
import org.apache.camel.Exchange;

/**
 * Builds what the archive and the audit sink receive from an outbox row (the columns of
 * routes/sql/outbox/claim.sql). Both are deterministic: a retried delivery writes the same bytes.
 */
public class FanoutDocuments {

    private static final Pattern UNSAFE = Pattern.compile("[^A-Za-z0-9._-]");

    /**
     * The archive object: the raw body exactly as signed, the headers that matter, the
     * verification result and the received time. Sets the variable {@code archiveKey}:
     * {@code <source>/<yyyy>/<MM>/<dd>/<event key>.json} (the received day, UTC).
     */
    public byte[] archive(Exchange exchange, Map<String, Object> row) throws Exception {
        exchange.setVariable("archiveKey", archiveKey(row));
        return archiveDocument(row);
    }

    /** The archive objects of a claim's rows, by key (a batch for the local archive folder). */
    public Map<String, byte[]> archiveFiles(List<Map<String, Object>> rows) throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (Map<String, Object> row : rows) {
            files.put(archiveKey(row), archiveDocument(row));
        }
        return files;
    }

    static String archiveKey(Map<String, Object> row) {
        OffsetDateTime day = instant(row.get("received_at")).atOffset(ZoneOffset.UTC);
        return String.format("%s/%04d/%02d/%02d/%s.json", row.get("source"), day.getYear(), day.getMonthValue(),
                day.getDayOfMonth(), eventKey(String.valueOf(row.get("event_id"))));
    }

    private static byte[] archiveDocument(Map<String, Object> row) throws Exception {
        Map<String, Object> verification = new LinkedHashMap<>();
        verification.put("verified", true);
        verification.put("channel", row.get("channel"));
        verification.put("key_id", row.get("key_id"));
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("source", row.get("source"));
        document.put("event_id", row.get("event_id"));
        document.put("dedupe_key", row.get("dedupe_key"));
        document.put("event_type", row.get("event_type"));
        // a reconciliation's event has no envelope to read it from: a rebuild takes it from here
        document.put("tenant_id", row.get("tenant_id"));
        document.put("occurred_at", instant(row.get("occurred_at")).toString());
        document.put("received_at", instant(row.get("received_at")).toString());
        document.put("outcome", row.get("outcome"));
        document.put("verification", verification);
        document.put("headers", json(row.get("headers")));
        document.put("raw_body", row.get("raw_body"));
        return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(document);
    }

    /** One JSON line for the audit sink; sets {@code auditDay} (yyyy-MM-dd of the event's receipt, UTC). */
    public String auditLine(Exchange exchange, Map<String, Object> row) throws Exception {
        exchange.setVariable("auditDay", auditDay(row));
        return auditText(row);
    }

    /** The audit lines of a claim's rows, by daily file ({@code audit-<day>.jsonl}), in the claim's order. */
    public Map<String, String> auditFiles(List<Map<String, Object>> rows) throws Exception {
        Map<String, StringBuilder> files = new LinkedHashMap<>();
        for (Map<String, Object> row : rows) {
            files.computeIfAbsent("audit-" + auditDay(row) + ".jsonl", day -> new StringBuilder()).append(auditText(row));
        }
        Map<String, String> text = new LinkedHashMap<>();
        files.forEach((name, lines) -> text.put(name, lines.toString()));
        return text;
    }

    private static String auditDay(Map<String, Object> row) {
        return instant(row.get("received_at")).atOffset(ZoneOffset.UTC).toLocalDate().toString();
    }

    private static String auditText(Map<String, Object> row) throws Exception {
        Map<String, Object> line = about(row);
        line.put("received_at", instant(row.get("received_at")).toString());
        line.put("data", json(row.get("data")));
        return Json.MAPPER.writeValueAsString(line) + "\n";
    }

    /**
     * A short JSON summary of the event an outbox row delivers, for targets of one's own (such as
     * routes/examples/notify-webhook.camel.yaml): the audit line without its data and receipt.
     */
    public String summary(Map<String, Object> row) throws Exception {
        return Json.MAPPER.writeValueAsString(about(row));
    }

    /** What identifies the event of an outbox row: id, source, type, entity, tenant, time. */
    private static Map<String, Object> about(Map<String, Object> row) {
        Map<String, Object> about = new LinkedHashMap<>();
        about.put("event_id", row.get("event_id"));
        about.put("source", row.get("source"));
        about.put("event_type", row.get("event_type"));
        about.put("entity_type", row.get("entity_type"));
        about.put("entity_id", row.get("entity_id"));
        about.put("tenant_id", row.get("tenant_id"));
        about.put("occurred_at", instant(row.get("occurred_at")).toString());
        return about;
    }

    /** The event id as a file or object name; ids with other characters get a hash so two never collide. */
    static String eventKey(String eventId) {
        String safe = UNSAFE.matcher(eventId).replaceAll("_");
        if (safe.equals(eventId) && !safe.startsWith(".")) {
            return safe;
        }
        String hash = sha256(eventId).substring(0, 12);
        safe = safe.replaceFirst("^\\.+", "_");
        return (safe.length() > 100 ? safe.substring(0, 100) : safe) + "-" + hash;
    }

    public static Instant instantOf(Object value) {
        return instant(value);
    }

    static Instant instant(Object value) {
        if (value instanceof Timestamp ts) {
            return ts.toInstant();
        }
        if (value instanceof OffsetDateTime odt) {
            return odt.toInstant();
        }
        if (value instanceof Instant i) {
            return i;
        }
        return Instant.parse(String.valueOf(value));
    }

    static JsonNode json(Object value) throws Exception {
        return value == null ? Json.MAPPER.nullNode() : Json.MAPPER.readTree(value.toString());
    }

    private static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
