package io.orgsync.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The sample bodies in examples/events (the README's demo sends the same files). */
public final class Fixtures {

    public static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Path ROOT = Path.of("examples", "events");

    private Fixtures() {
    }

    public static ObjectNode system(String type) {
        return read(ROOT.resolve("authvital-system").resolve(type + ".json"));
    }

    /** A system webhook about a tenant (tenant.created, tenant.deleted, …) for this tenant id and slug. */
    public static ObjectNode tenantEvent(String type, String tenantId, String slug) {
        ObjectNode event = system(type);
        ((ObjectNode) event.get("data")).put("tenant_id", tenantId).put("slug", slug);
        return event;
    }

    public static ObjectNode seed(String type) {
        return read(ROOT.resolve("authvital-seed").resolve(type + ".json"));
    }

    public static ObjectNode clerk(String type) {
        return read(ROOT.resolve("clerk").resolve(type + ".json"));
    }

    public static byte[] rawSeed(String type) {
        try {
            return Files.readAllBytes(ROOT.resolve("authvital-seed").resolve(type + ".json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode read(Path file) {
        try {
            return (ObjectNode) MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] bytes(Object json) {
        try {
            return MAPPER.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
