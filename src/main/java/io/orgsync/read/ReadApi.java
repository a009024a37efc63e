package io.orgsync.read;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import io.orgsync.ConfigurationError;
import io.orgsync.admin.AdminApi;
import io.orgsync.http.Json;
import io.orgsync.http.WebhookRejection;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * What the read API's routes (routes/read-api.camel.yaml) ask Java: who is calling (the service
 * tokens), what an organisation's answer is (404, 410, or 403 when an access decision is asked for a
 * suspended one), its plan's features (routes/features.yaml), and the answer with its ETag (304 when
 * the caller has it already) and Cache-Control.
 */
public class ReadApi {

    private final Map<String, byte[]> tokens = new LinkedHashMap<>();
    private final Set<String> revoked;
    private final String cacheControl;
    private final Features features;

    /**
     * @param tokens  orgsync.read-api.tokens: "name:token,name:token"
     * @param revoked orgsync.read-api.revoked: names whose token is refused
     */
    public ReadApi(String tokens, String revoked, long maxAgeSeconds, Path featuresFile) {
        for (String entry : tokens.split(",")) {
            String e = entry.strip();
            if (e.isEmpty()) {
                continue;
            }
            int colon = e.indexOf(':');
            String name = colon < 0 ? "" : e.substring(0, colon).strip();
            String token = colon < 0 ? "" : e.substring(colon + 1).strip();
            if (!name.matches("[A-Za-z0-9_.-]{1,64}") || token.length() < 16) {
                // the entry itself is never shown: it may hold a token
                throw new ConfigurationError("orgsync.read-api.tokens", "holds an entry that is not name:token (a name of letters, "
                        + "digits, '_', '.' or '-', and a token of at least 16 characters; make one with: openssl rand -hex 24)");
            }
            if (this.tokens.put(name, token.getBytes(StandardCharsets.UTF_8)) != null) {
                throw new ConfigurationError("orgsync.read-api.tokens", "names the service '" + name + "' twice");
            }
        }
        this.revoked = new HashSet<>(List.of(revoked.strip().isEmpty() ? new String[0] : revoked.strip().split("\\s*,\\s*")));
        this.cacheControl = "private, max-age=" + maxAgeSeconds;
        this.features = Features.read(featuresFile);
    }

    public boolean isConfigured() {
        return !tokens.isEmpty();
    }

    /** The calling service, from its bearer token, or 401: missing_token, invalid_token, token_revoked. */
    public String authorize(Exchange exchange) {
        String caller = caller(exchange.getMessage().getHeader("Authorization", String.class));
        exchange.setVariable("service", caller);
        return caller;
    }

    /** The service an Authorization header names, or 401: missing_token, invalid_token, token_revoked. */
    String caller(String authorization) {
        byte[] given = AdminApi.bearerToken(authorization);
        if (given.length == 0) {
            throw new WebhookRejection(401, "missing_token", "A service token is required: Authorization: Bearer <token>");
        }
        String caller = null;
        for (Map.Entry<String, byte[]> token : tokens.entrySet()) {
            // every token compared, in constant time each: the answer's time does not tell which one nearly matched
            if (MessageDigest.isEqual(given, token.getValue()) && caller == null) {
                caller = token.getKey();
            }
        }
        if (caller == null) {
            throw new WebhookRejection(401, "invalid_token", "This service token is not valid");
        }
        if (revoked.contains(caller)) {
            throw new WebhookRejection(401, "token_revoked", "The service token of '" + caller + "' is revoked");
        }
        return caller;
    }

    /**
     * The organisation as the API answers it (the JSON routes/sql/read/organization.sql reads), or
     * 404 (none), 410 (deleted), or, when the caller asks for an access decision
     * ({@code ?for=access}), 403 {@code organization_suspended} with its reason.
     */
    public JsonNode organization(Exchange exchange, String document) throws IOException {
        return admitted(found(document), exchange.getMessage().getHeader("for", String.class));
    }

    /** The organisation, unless an access decision is asked ({@code purpose} "access") and it is suspended: 403. */
    JsonNode admitted(JsonNode organization, String purpose) {
        if (purpose != null && !purpose.equals("access")) {
            throw WebhookRejection.badRequest("invalid_parameter", "\"for\" may only be \"access\"");
        }
        if ("access".equals(purpose) && "suspended".equals(organization.path("status").asText())) {
            String reason = organization.path("suspended_reason").asText(null);
            throw new WebhookRejection(403, "organization_suspended", "The organization is suspended",
                    Collections.singletonMap("reason", reason));
        }
        return organization;
    }

    /** The organisation's features and limits: its plan's, with its overrides; none when it is suspended or deleted. */
    public Map<String, Object> features(String document) throws IOException {
        return featuresOf(found(document));
    }

    Map<String, Object> featuresOf(JsonNode organization) {
        return features.of(organization.path("id").asText(), organization.path("plan").asText(null),
                organization.path("status").asText());
    }

    /** One feature (a switch: enabled) or limit (limit), or 404 unknown_feature. */
    public Map<String, Object> feature(String document, String name) throws IOException {
        return featureOf(found(document), name);
    }

    Map<String, Object> featureOf(JsonNode organization, String name) {
        Map<String, Object> all = featuresOf(organization);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("organization_id", all.get("organization_id"));
        answer.put("feature", name);
        if (!features.knows(name)) {
            throw new WebhookRejection(404, "unknown_feature", "No plan has a feature or limit of this name");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> switches = (Map<String, Object>) all.get("features");
        @SuppressWarnings("unchecked")
        Map<String, Object> limits = (Map<String, Object>) all.get("limits");
        if (features.isLimit(name)) {
            answer.put("limit", limits.getOrDefault(name, 0));
            answer.put("unlimited", Long.valueOf(-1).equals(toLong(limits.get(name))));
        } else {
            answer.put("enabled", Boolean.TRUE.equals(switches.get(name)));
        }
        return answer;
    }

    /** 404 for no document, 410 for a deleted organisation. */
    private static JsonNode found(String document) throws IOException {
        if (document == null) {
            throw new WebhookRejection(404, "not_found", "No organization has this id or slug");
        }
        return found(Json.MAPPER.readTree(document));
    }

    static JsonNode found(JsonNode organization) {
        if ("deleted".equals(organization.path("status").asText())) {
            throw new WebhookRejection(410, "organization_deleted", "The organization was deleted");
        }
        return organization;
    }

    /** An answer's bytes (JSON) and its ETag: a hash of the bytes. */
    public record Answer(byte[] bytes, String etag) {

        /** True when an If-None-Match header names this answer's ETag (or *): the caller has it already. */
        boolean matches(String ifNoneMatch) {
            return ifNoneMatch != null && Arrays.stream(ifNoneMatch.split(",")).map(String::strip)
                    .anyMatch(tag -> tag.equals(etag) || tag.equals("W/" + etag) || tag.equals("*"));
        }
    }

    Answer answer(Object body) {
        try {
            byte[] bytes = Json.MAPPER.writeValueAsBytes(body);
            return new Answer(bytes, "\"" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 16) + "\"");
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("An answer of the read API cannot be written: " + e.getMessage(), e);
        }
    }

    /** The Cache-Control of every answer. */
    String cacheControl() {
        return cacheControl;
    }

    /**
     * The answer: 200 with the JSON, its ETag and Cache-Control; 304 with no body when If-None-Match
     * names this ETag already. {@link ReadFastPath} answers the same from the cache.
     */
    public void respond(Exchange exchange, Object body) {
        Answer answer = answer(body);
        String ifNoneMatch = exchange.getMessage().getHeader("If-None-Match", String.class);
        Message message = exchange.getMessage();
        message.removeHeaders("*");
        message.setHeader("ETag", answer.etag());
        message.setHeader("Cache-Control", cacheControl);
        if (answer.matches(ifNoneMatch)) {
            message.setHeader(Exchange.HTTP_RESPONSE_CODE, 304);
            message.setBody(null);
            return;
        }
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        message.setBody(answer.bytes());
    }

    private static Long toLong(Object value) {
        return value instanceof Number n ? n.longValue() : null;
    }

    /** routes/features.yaml: plans, their switches and limits, the default plan, per-organisation overrides. */
    record Features(String defaultPlan, Map<String, Map<String, Object>> switches, Map<String, Map<String, Object>> limits,
                    Map<String, Map<String, Object>> overrideSwitches, Map<String, Map<String, Object>> overrideLimits,
                    Set<String> switchNames, Set<String> limitNames) {

        @SuppressWarnings("unchecked")
        static Features read(Path file) {
            Map<String, Object> root;
            try {
                root = (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file));
            } catch (IOException | RuntimeException e) {
                throw new ConfigurationError("orgsync.read-api.features-file", "(" + file + ") cannot be read as YAML: " + e.getMessage());
            }
            Map<String, Map<String, Object>> switches = new TreeMap<>();
            Map<String, Map<String, Object>> limits = new TreeMap<>();
            Map<String, Object> plans = (Map<String, Object>) root.getOrDefault("plans", Map.of());
            Set<String> switchNames = new TreeSet<>();
            Set<String> limitNames = new TreeSet<>();
            plans.forEach((plan, value) -> {
                Map<String, Object> p = (Map<String, Object>) value;
                switches.put(plan, section(file, plan, p, "features", Boolean.class));
                limits.put(plan, section(file, plan, p, "limits", Number.class));
                switchNames.addAll(switches.get(plan).keySet());
                limitNames.addAll(limits.get(plan).keySet());
            });
            String defaultPlan = String.valueOf(root.getOrDefault("default-plan", "free"));
            if (!plans.containsKey(defaultPlan)) {
                throw new ConfigurationError("orgsync.read-api.features-file", "(" + file + "): default-plan '" + defaultPlan + "' is not among its plans");
            }
            Map<String, Map<String, Object>> overrideSwitches = new TreeMap<>();
            Map<String, Map<String, Object>> overrideLimits = new TreeMap<>();
            Map<String, Object> overrides = root.get("overrides") == null ? Map.of() : (Map<String, Object>) root.get("overrides");
            overrides.forEach((org, value) -> {
                Map<String, Object> o = (Map<String, Object>) value;
                overrideSwitches.put(org, section(file, org, o, "features", Boolean.class));
                overrideLimits.put(org, section(file, org, o, "limits", Number.class));
            });
            return new Features(defaultPlan, switches, limits, overrideSwitches, overrideLimits, switchNames, limitNames);
        }

        @SuppressWarnings("unchecked")
        private static Map<String, Object> section(Path file, String owner, Map<String, Object> entry, String name, Class<?> type) {
            Object value = entry == null ? null : entry.get(name);
            Map<String, Object> section = value == null ? Map.of() : (Map<String, Object>) value;
            section.forEach((k, v) -> {
                if (!type.isInstance(v)) {
                    throw new ConfigurationError("orgsync.read-api.features-file", "(" + file + "): " + owner + "." + name + "." + k
                            + " must be " + (type == Boolean.class ? "true or false" : "a number (-1: unlimited)"));
                }
            });
            return new TreeMap<>(section);
        }

        boolean knows(String name) {
            return switchNames.contains(name) || limitNames.contains(name);
        }

        boolean isLimit(String name) {
            return limitNames.contains(name);
        }

        Map<String, Object> of(String organizationId, String plan, String status) {
            String effective = plan != null && switches.containsKey(plan) ? plan : defaultPlan;
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("organization_id", organizationId);
            answer.put("plan", effective);
            answer.put("status", status);
            boolean active = "active".equals(status);
            Map<String, Object> on = new TreeMap<>();
            Map<String, Object> max = new TreeMap<>();
            if (active) {
                on.putAll(switches.get(effective));
                on.putAll(overrideSwitches.getOrDefault(organizationId, Map.of()));
                max.putAll(limits.get(effective));
                max.putAll(overrideLimits.getOrDefault(organizationId, Map.of()));
            }
            answer.put("features", on);
            answer.put("limits", max);
            return answer;
        }
    }
}
