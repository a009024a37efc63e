package io.orgsync.http;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

/**
 * Checks a canonical event against {@code <schemas dir>/<source>/<event type>.schema.json}
 * (JSON Schema draft 7, editable without a rebuild). The event has passed authentication, so it is
 * never thrown away (docs/invariants.md, 7):
 * <ul>
 * <li>a field of the data whose value breaks the schema but may be unknown (its type allows null:
 * every mapped attribute) is a <em>warning</em>: the event gets {@code "warnings": [{"field": "/data/…",
 * "problem": "…"}]}, the apply statements see that field as null (unknown, so it overwrites
 * nothing) and keep the data as sent;</li>
 * <li>anything else (a missing or malformed id, an envelope field) is a 400 {@code invalid_event}
 * that names each offending field, and the event is quarantined (routes/quarantine.camel.yaml).</li>
 * </ul>
 * A type with no schema file is not checked: it is one no route applies, recorded and answered "ignored".
 * {@link #validate} returns the warnings (null when there are none), for the route's counter.
 */
public class EventSchemas {

    private static final int MAX_REPORTED = 5;

    private final Path directory;
    private final JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7);
    private final SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true)
            .pathType(PathType.JSON_POINTER).build();
    private final Map<String, Optional<JsonSchema>> cache = new ConcurrentHashMap<>();

    public EventSchemas(Path directory) {
        this.directory = directory.toAbsolutePath().normalize();
    }

    public ArrayNode validate(String source, String eventType, JsonNode event) {
        Optional<JsonSchema> schema = cache.computeIfAbsent(source + "/" + eventType, this::load);
        if (schema.isEmpty()) {
            return null;
        }
        Set<ValidationMessage> errors = schema.get().validate(event);
        if (errors.isEmpty()) {
            return null;
        }
        // try each offending field of the data as unknown (null): what then passes is a warning
        JsonNode unknown = event.deepCopy();
        Map<String, ValidationMessage> byField = new TreeMap<>();
        for (ValidationMessage error : errors) {
            String field = error.getInstanceLocation().toString();
            if (!"required".equals(error.getType()) && field.startsWith("/data/") && setNull(unknown, field)) {
                byField.putIfAbsent(field, error);
            }
        }
        Set<String> stillFailing = new TreeSet<>();
        for (ValidationMessage error : schema.get().validate(unknown)) {
            stillFailing.add(error.getInstanceLocation().toString());
        }
        List<ValidationMessage> fatal = errors.stream().filter(e -> !byField.containsKey(e.getInstanceLocation().toString())
                || stillFailing.contains(e.getInstanceLocation().toString())).toList();
        if (fatal.isEmpty() && event instanceof ObjectNode canonical) {
            ArrayNode warnings = canonical.putArray("warnings");
            byField.forEach((field, error) -> warnings.addObject().put("field", field).put("problem", error.getMessage()));
            return warnings;
        }
        Collection<ValidationMessage> reported = fatal.isEmpty() ? errors : fatal;
        String detail = reported.stream().limit(MAX_REPORTED).map(ValidationMessage::getMessage).sorted()
                .collect(Collectors.joining("; "));
        if (reported.size() > MAX_REPORTED) {
            detail += "; and " + (reported.size() - MAX_REPORTED) + " more";
        }
        throw WebhookRejection.badRequest("invalid_event", "The " + eventType + " event does not match its schema: " + detail);
    }

    /** Sets the value at a JSON pointer to null; false when there is no such field. */
    private static boolean setNull(JsonNode root, String pointer) {
        JsonPointer path = JsonPointer.compile(pointer);
        JsonNode parent = root.at(path.head());
        String last = path.last().getMatchingProperty();
        if (parent instanceof ObjectNode object && object.has(last)) {
            object.putNull(last);
            return true;
        }
        if (parent instanceof ArrayNode array && path.last().mayMatchElement() && path.last().getMatchingIndex() < array.size()) {
            array.set(path.last().getMatchingIndex(), NullNode.getInstance());
            return true;
        }
        return false;
    }

    private Optional<JsonSchema> load(String key) {
        Path file = directory.resolve(key + ".schema.json").normalize();
        if (!file.startsWith(directory) || !Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return Optional.of(factory.getSchema(SchemaLocation.of(file.toUri().toString()), config));
    }
}
