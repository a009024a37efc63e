package io.orgsync.http;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

/**
 * Checks a canonical event against {@code <schemas dir>/<source>/<event type>.schema.json}
 * (JSON Schema draft 7, editable without a rebuild). Wrong types and missing required fields
 * become a 400 that names each offending field. A type with no schema file is not checked: it is
 * one no route applies, recorded and answered "ignored".
 */
public class EventSchemas {

    private static final int MAX_REPORTED = 5;

    private final Path directory;
    private final JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7);
    private final SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
    private final Map<String, Optional<JsonSchema>> cache = new ConcurrentHashMap<>();

    public EventSchemas(Path directory) {
        this.directory = directory.toAbsolutePath().normalize();
    }

    public void validate(String source, String eventType, JsonNode event) {
        Optional<JsonSchema> schema = cache.computeIfAbsent(source + "/" + eventType, this::load);
        if (schema.isEmpty()) {
            return;
        }
        Set<ValidationMessage> errors = schema.get().validate(event);
        if (!errors.isEmpty()) {
            String detail = errors.stream().limit(MAX_REPORTED).map(ValidationMessage::getMessage).sorted()
                    .collect(Collectors.joining("; "));
            if (errors.size() > MAX_REPORTED) {
                detail += "; and " + (errors.size() - MAX_REPORTED) + " more";
            }
            throw WebhookRejection.badRequest("invalid_event", "The " + eventType + " event does not match its schema: " + detail);
        }
    }

    private Optional<JsonSchema> load(String key) {
        Path file = directory.resolve(key + ".schema.json").normalize();
        if (!file.startsWith(directory) || !Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return Optional.of(factory.getSchema(SchemaLocation.of(file.toUri().toString()), config));
    }
}
