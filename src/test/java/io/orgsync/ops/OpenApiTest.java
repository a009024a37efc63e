package io.orgsync.ops;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.apache.camel.Endpoint;
import org.apache.camel.Route;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenAPI document the jar serves (GET /openapi.yaml on the management port) is valid and says
 * what the running routes do: every HTTP route is in it with its methods, every path in it is served,
 * and what the admin API answers has the fields it promises.
 */
class OpenApiTest {

    static final String TOKEN = "openapi-test-admin-token-0123456789abcdef";
    /** Paths camel-main serves itself on the management port (not orgsync routes). */
    static final Set<String> CAMEL_OWN = Set.of("/observe/health", "/observe/health/ready", "/observe/health/live", "/observe/metrics");

    static OrgsyncApp app;
    static OpenAPI api;

    @BeforeAll
    static void start() {
        app = OrgsyncApp.start(Map.of("orgsync.admin.token", TOKEN, "orgsync.dev.enabled", "true", "camel.server.host", "127.0.0.1"));
        assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
        OrgsyncApp.Reply served = app.admin("GET", "/openapi.yaml", null);
        assertThat(served.status()).isEqualTo(200);
        assertThat(served.headers().get("content-type")).containsExactly("application/yaml");
        ParseOptions options = new ParseOptions();
        options.setResolveFully(true);
        SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(served.raw(), null, options);
        assertThat(parsed.getMessages()).as("a valid OpenAPI 3 document").isEmpty();
        api = parsed.getOpenAPI();
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    /** path -> methods of every platform-http route running. */
    static Map<String, Set<String>> routes() {
        Map<String, Set<String>> routes = new TreeMap<>();
        for (Route route : app.camel().getRoutes()) {
            Endpoint endpoint = route.getEndpoint();
            if (endpoint instanceof PlatformHttpEndpoint http) {
                String restrict = http.getHttpMethodRestrict();
                routes.computeIfAbsent(http.getPath(), p -> new TreeSet<>())
                        .addAll(restrict == null ? Set.of("*") : Set.of(restrict.toUpperCase().split(",")));
            }
        }
        return routes;
    }

    static Map<String, Operation> operations(PathItem item) {
        Map<String, Operation> ops = new TreeMap<>();
        item.readOperationsMap().forEach((method, op) -> ops.put(method.name(), op));
        return ops;
    }

    @Test
    void everyRouteIsDocumentedWithItsMethods() {
        Map<String, Set<String>> routes = routes();
        assertThat(routes).containsKeys("/webhooks/authvital", "/webhooks/clerk", "/admin/dead-letters", "/dev/mirror", "/console");
        routes.forEach((path, methods) -> {
            PathItem item = api.getPaths().get(path);
            assertThat(item).as("route " + path + " is in the document").isNotNull();
            Set<String> documented = operations(item).keySet();
            if (methods.contains("*")) {
                // the route takes any method and answers 405 itself to the ones it does not serve
                assertThat(documented).as(path).isNotEmpty();
            } else {
                assertThat(documented).as(path).isEqualTo(methods);
            }
        });
    }

    @Test
    void everyDocumentedPathIsServed() {
        Map<String, Set<String>> routes = routes();
        for (String path : api.getPaths().keySet()) {
            if (CAMEL_OWN.contains(path)) {
                assertThat(app.admin("GET", path, null).status()).as(path).isIn(200, 503);
            } else {
                assertThat(routes).as("documented path " + path + " has a route").containsKey(path);
            }
        }
    }

    @Test
    void webhookRoutesAnswerOtherMethods405AsDocumented() {
        for (String path : List.of("/webhooks/authvital", "/webhooks/clerk")) {
            OrgsyncApp.Reply reply = app.send("GET", path, null, Map.of());
            assertThat(reply.status()).isEqualTo(405);
            assertThat(operations(api.getPaths().get(path)).get("POST").getResponses()).containsKey("405");
        }
    }

    @Test
    void theAdminApiAnswersWhatTheDocumentPromises() {
        api.getPaths().forEach((path, item) -> operations(item).forEach((method, op) -> {
            if (!path.startsWith("/admin/")) {
                return;
            }
            String concrete = path.replace("{id}", "999999");
            // no token: 401, a documented answer, in the documented error shape
            OrgsyncApp.Reply anonymous = app.admin(method, concrete, null);
            assertThat(anonymous.status()).as(method + " " + path).isEqualTo(401);
            assertThat(op.getResponses()).as(method + " " + path + " documents 401").containsKey("401");
            assertRequired(schema(op, "401"), anonymous.json(), method + " " + path + " 401");
            if (method.equals("GET")) {
                OrgsyncApp.Reply reply = app.admin(method, concrete, TOKEN);
                String status = Integer.toString(reply.status());
                assertThat(op.getResponses()).as(method + " " + path + " answered " + status + ": " + reply.raw()).containsKey(status);
                assertRequired(schema(op, status), reply.json(), method + " " + path + " " + status);
            }
        }));
    }

    @Test
    void theDocumentedShapeOfOneDeadLetterIsWhatIsServed() {
        Schema<?> detail = api.getComponents().getSchemas().get("DeadLetterDetail");
        assertThat(detail).isNotNull();
        assertThat(requiredOf(detail)).contains("attempt_errors", "headers", "data", "last_error");
    }

    static Schema<?> schema(Operation op, String status) {
        return op.getResponses().get(status).getContent().values().iterator().next().getSchema();
    }

    static Set<String> requiredOf(Schema<?> schema) {
        Set<String> required = new TreeSet<>();
        if (schema.getRequired() != null) {
            required.addAll(schema.getRequired());
        }
        if (schema.getAllOf() != null) {
            schema.getAllOf().forEach(s -> required.addAll(requiredOf(s)));
        }
        return required;
    }

    /** The answer has every property the schema requires (of each item, for an array). */
    @Test
    void staticFilesCarryTheirStrictHeaders() throws Exception {
        java.net.http.HttpResponse<String> page = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://localhost:" + app.managementPort + "/console")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(page.headers().firstValue("Content-Security-Policy").orElse("")).contains("frame-ancestors 'none'");
    }

    static void assertRequired(Schema<?> schema, JsonNode json, String what) {
        assertThat(json).as(what + " is JSON").isNotNull();
        if ("array".equals(schema.getType())) {
            assertThat(json.isArray()).as(what).isTrue();
            for (JsonNode item : json) {
                assertRequired(schema.getItems(), item, what + " item");
            }
            return;
        }
        Map<String, Boolean> has = new HashMap<>();
        requiredOf(schema).forEach(field -> has.put(field, json.has(field)));
        assertThat(has).as(what + ": " + json).doesNotContainValue(false);
    }
}
