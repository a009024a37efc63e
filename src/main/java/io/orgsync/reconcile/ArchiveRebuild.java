package io.orgsync.reconcile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.files.DurableFiles;
import io.orgsync.http.CanonicalEvents;
import io.orgsync.http.Json;
import io.orgsync.http.WebhookRejection;
import org.apache.camel.Exchange;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Bean {@code archiveRebuild}: what the rebuild route (routes/rebuild.camel.yaml) needs to read the
 * archive back. The archive is written by target-archive as
 * {@code <source>/<yyyy>/<MM>/<dd>/<event key>.json} (the day the event was received, UTC), in
 * {@code orgsync.s3.bucket} or under {@code orgsync.archive.dir}; a rebuild of a time range reads the
 * day folders that range touches and keeps the documents received within it.
 * <p>
 * Listing is done here with the AWS SDK's paginator: the aws2-s3 producer's {@code listObjects}
 * returns one page (at most 1,000 keys) and a day may hold more.
 */
public class ArchiveRebuild {

    public static final Set<String> SOURCES = Set.of("authvital", "clerk");
    private static final Set<String> FIELDS = Set.of("from", "to", "sources");
    private static final int FAILURES_KEPT = 20;

    private final S3Client s3;
    private final String bucket;
    private final Path archiveDir;
    private final Clock clock;
    private final long maxDays;

    /** @param s3 the archive's S3 client, or null for the local folder {@code archiveDir} */
    public ArchiveRebuild(S3Client s3, String bucket, Path archiveDir, Clock clock, long maxDays) {
        this.s3 = bucket == null || bucket.isEmpty() ? null : s3;
        this.bucket = bucket;
        this.archiveDir = archiveDir;
        this.clock = clock;
        this.maxDays = maxDays;
    }

    /** The counts of one run, shown as its progress (GET /admin/reconcile/runs/{id}). */
    public static final class Progress {
        final Instant from;
        final Instant to;
        final List<String> sources;
        final AtomicLong days = new AtomicLong();
        final AtomicLong read = new AtomicLong();
        final AtomicLong outOfRange = new AtomicLong();
        final AtomicLong applied = new AtomicLong();
        final AtomicLong duplicate = new AtomicLong();
        final AtomicLong ignored = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final List<Map<String, String>> failures = new ArrayList<>();

        Progress(Instant from, Instant to, List<String> sources) {
            this.from = from;
            this.to = to;
            this.sources = sources;
        }

        /** The end of the range: events received before it. */
        public Instant to() {
            return to;
        }

        public String json() {
            ObjectNode json = Json.MAPPER.createObjectNode();
            json.put("from", from.toString()).put("to", to.toString());
            sources.forEach(json.putArray("sources")::add);
            json.put("days", days.get()).put("read", read.get()).put("out_of_range", outOfRange.get())
                    .put("applied", applied.get()).put("duplicate", duplicate.get()).put("ignored", ignored.get())
                    .put("failed", failed.get());
            synchronized (failures) {
                json.set("failures", Json.MAPPER.valueToTree(failures));
            }
            return json.toString();
        }
    }

    /**
     * Reads the request of POST /admin/rebuild: {@code {"from": <instant>, "to": <instant>, "sources":
     * ["authvital", "clerk"]}}, {@code to} by default now, {@code sources} by default both. Sets variable
     * {@code rebuild}, the run's {@link Progress}; a 400 says what is wrong.
     */
    public void request(Exchange exchange) {
        byte[] body = exchange.getMessage().getBody(byte[].class);
        JsonNode request = Json.parseObject(body);
        for (Iterator<String> names = request.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw WebhookRejection.badRequest("invalid_request", "Unknown field \"" + name + "\": a rebuild takes from, to and sources");
            }
        }
        Instant from = instant(request, "from", null);
        Instant to = instant(request, "to", clock.instant());
        if (!from.isBefore(to)) {
            throw WebhookRejection.badRequest("invalid_request", "\"from\" must be before \"to\"");
        }
        if (Duration.between(from, to).compareTo(Duration.ofDays(maxDays)) > 0) {
            throw WebhookRejection.badRequest("invalid_request", "The range is longer than " + maxDays
                    + " days (orgsync.rebuild.max-days): rebuild it in parts");
        }
        List<String> sources = new ArrayList<>();
        JsonNode requested = request.get("sources");
        if (requested == null || requested.isNull()) {
            sources.addAll(List.of("authvital", "clerk"));
        } else if (!requested.isArray() || requested.isEmpty()) {
            throw WebhookRejection.badRequest("invalid_request", "\"sources\" must be a non-empty array of authvital and clerk");
        } else {
            for (JsonNode source : requested) {
                if (!source.isTextual() || !SOURCES.contains(source.textValue())) {
                    throw WebhookRejection.badRequest("invalid_request", "\"sources\" must hold only authvital and clerk");
                }
                if (!sources.contains(source.textValue())) {
                    sources.add(source.textValue());
                }
            }
        }
        exchange.setVariable("rebuild", new Progress(from, to, List.copyOf(sources)));
    }

    private static Instant instant(JsonNode request, String field, Instant fallback) {
        JsonNode value = request.get(field);
        if (value == null || value.isNull()) {
            if (fallback == null) {
                throw WebhookRejection.badRequest("invalid_request", "\"" + field + "\" is required: an ISO-8601 instant such as 2026-11-01T00:00:00Z");
            }
            return fallback;
        }
        try {
            return Instant.parse(value.asText());
        } catch (DateTimeParseException e) {
            throw WebhookRejection.badRequest("invalid_request", "\"" + field + "\" must be an ISO-8601 instant such as 2026-11-01T00:00:00Z");
        }
    }

    /** The day folders the run's range touches, per source: {@code authvital/2026/11/30/}, …, in order. */
    public List<String> days(Progress run) {
        List<String> days = new ArrayList<>();
        LocalDate last = run.to.minusNanos(1).atOffset(ZoneOffset.UTC).toLocalDate();
        for (String source : run.sources) {
            for (LocalDate day = run.from.atOffset(ZoneOffset.UTC).toLocalDate(); !day.isAfter(last); day = day.plusDays(1)) {
                days.add(String.format("%s/%04d/%02d/%02d/", source, day.getYear(), day.getMonthValue(), day.getDayOfMonth()));
            }
        }
        return days;
    }

    /** The archive documents in one day folder, their keys in name order (none when it does not exist). */
    public List<String> keys(String folder) throws IOException {
        if (s3 != null) {
            return s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(folder)).contents().stream()
                    .map(S3Object::key).filter(k -> k.endsWith(".json") && k.indexOf('/', folder.length()) < 0).sorted().toList();
        }
        try (Stream<Path> files = Files.list(archiveDir.resolve(folder))) {
            // not the temporary of a write a crash interrupted (its name ends with .json too)
            return files.filter(f -> DurableFiles.isFinished(f) && f.getFileName().toString().endsWith(".json"))
                    .map(f -> folder + f.getFileName()).sorted().toList();
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    /**
     * The archive documents of one day folder in the order they were received (then by event time and
     * key): each is read once to learn its time of receipt, and only that is kept. Applied in that
     * order, events about one row with the same event time end as they did when they came (the last
     * received wins there, live as in a rebuild).
     */
    public List<String> inReceiptOrder(String folder) throws IOException {
        record Received(String key, Instant receivedAt, Instant occurredAt) {
        }
        List<Received> received = new ArrayList<>();
        for (String key : keys(folder)) {
            JsonNode document;
            try {
                document = Json.MAPPER.readTree(read(key));
            } catch (IOException e) {
                document = null;
            }
            received.add(new Received(key, timeOf(document, "received_at"), timeOf(document, "occurred_at")));
        }
        // one that cannot be read sorts first, and fails in its turn with why
        Comparator<Instant> time = Comparator.nullsFirst(Comparator.naturalOrder());
        received.sort(Comparator.comparing(Received::receivedAt, time).thenComparing(Received::occurredAt, time)
                .thenComparing(Received::key));
        return received.stream().map(Received::key).toList();
    }

    /** An instant field of a document, or null when there is none or it is unreadable. */
    private static Instant timeOf(JsonNode document, String field) {
        try {
            return document == null ? null : Instant.parse(document.path(field).asText());
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** The bytes of one archive document. */
    public byte[] read(String key) throws IOException {
        if (s3 != null) {
            return s3.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray();
        }
        return Files.readAllBytes(archiveDir.resolve(key));
    }

    /**
     * Reads one archive document (the body, bytes) of this folder's source. Sets variable
     * {@code inRange}: whether it was received within the run's range (one outside it is counted and
     * left); and for one within it, the body to the document and variables {@code replaySource} and
     * {@code replayChannel}. A document that is not one orgsync wrote throws, and is counted as failed.
     */
    public void load(Exchange exchange, Progress run, String key) {
        exchange.setVariable("inRange", false);
        run.read.incrementAndGet();
        JsonNode document;
        try {
            document = Json.MAPPER.readTree(exchange.getMessage().getBody(byte[].class));
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON");
        }
        String source = key.substring(0, key.indexOf('/'));
        if (document == null || !source.equals(document.path("source").asText()) || !document.path("raw_body").isTextual()
                || !document.path("event_id").isTextual() || !document.path("event_type").isTextual()
                || !document.path("verification").path("channel").isTextual()) {
            throw new IllegalArgumentException("not an archive document of " + source + " as orgsync writes it");
        }
        Instant received;
        try {
            received = Instant.parse(document.path("received_at").asText());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("its received_at is not an instant");
        }
        if (received.isBefore(run.from) || !received.isBefore(run.to)) {
            run.outOfRange.incrementAndGet();
            return;
        }
        exchange.getMessage().setBody(document);
        exchange.setVariable("replaySource", source);
        exchange.setVariable("replayChannel", document.path("verification").path("channel").asText());
        exchange.setVariable("inRange", true);
    }

    /**
     * A reconciliation's archived event (channel "reconcile": no signed envelope, its raw body is the
     * event's data) as the canonical event the reconciliation applied, for direct:apply-<source>-event:
     * sets variables {@code events}, {@code eventId}, {@code eventType}.
     */
    public void reconciled(Exchange exchange) {
        JsonNode document = exchange.getMessage().getBody(JsonNode.class);
        if (!document.has("tenant_id")) {
            throw new IllegalArgumentException("a reconciliation's event archived before the archive kept its tenant (schema V13): "
                    + "a reconciliation run heals what it held");
        }
        byte[] body = document.path("raw_body").asText().getBytes(StandardCharsets.UTF_8);
        JsonNode data;
        try {
            data = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("its raw body is not JSON");
        }
        ObjectNode event = CanonicalEvents.event(document.path("source").asText(), "reconcile", document.path("event_id").asText(),
                document.path("event_type").asText(), Instant.parse(document.path("occurred_at").asText()),
                Instant.parse(document.path("received_at").asText()), document.path("tenant_id").asText(null), null, Map.of(), data, body);
        event.put("origin", "archive");
        ArrayNode events = Json.MAPPER.createArrayNode().add(event);
        exchange.setVariable("events", events);
        exchange.setVariable("eventId", event.get("event_id").asText());
        exchange.setVariable("eventType", event.get("type").asText());
    }

    /** Counts one document applied: the body is the rows of the events that were new (none: a duplicate). */
    public void counted(Exchange exchange, Progress run) {
        if (Boolean.TRUE.equals(exchange.getVariable("ignored", Boolean.class))) {
            run.ignored.incrementAndGet();
        } else if (exchange.getMessage().getBody() instanceof java.util.Collection<?> rows && rows.isEmpty()) {
            run.duplicate.incrementAndGet();
        } else {
            run.applied.incrementAndGet();
        }
    }

    /** Counts one document that could not be applied; the first few are listed with why. */
    public void failed(Progress run, String key, Exception cause) {
        run.failed.incrementAndGet();
        synchronized (run.failures) {
            if (run.failures.size() < FAILURES_KEPT) {
                String reason = cause instanceof WebhookRejection r ? r.getCode() + ": " + r.getMessage() : String.valueOf(cause.getMessage());
                run.failures.add(Map.of("key", key, "reason", reason.length() > 300 ? reason.substring(0, 300) : reason));
            }
        }
    }

    /** A day folder read to its end. */
    public void dayDone(Progress run) {
        run.days.incrementAndGet();
    }

    /** The run's end: "succeeded" when every document in range was applied (or was a duplicate, or ignored), else "failed". */
    public String status(Progress run) {
        return run.failed.get() == 0 ? "succeeded" : "failed";
    }

    /** Why a run that read everything failed, or null. */
    public String error(Progress run) {
        return run.failed.get() == 0 ? null
                : run.failed.get() + " archived events could not be applied (the first are in the progress's failures); the others were";
    }
}
