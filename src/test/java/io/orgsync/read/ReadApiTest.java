package io.orgsync.read;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The read API over real HTTP on its own port, reading what real webhooks wrote to a real
 * PostgreSQL: every status code, the features file, ETags, the service tokens, and that the reads
 * go through role orgsync_reader.
 */
class ReadApiTest {

    static final String BILLING = "billing-token-0123456789abcdef";
    static final String OLD = "old-token-0123456789abcdef0000";
    static final String ADMIN = "admin-token-for-tests-only-0123456789abcdef";
    static OrgsyncApp app;
    static int port;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        port = OrgsyncApp.freePort();
        Path features = Files.createTempFile("features", ".yaml");
        Files.writeString(features, Files.readString(Path.of("routes/features.yaml")).replace("overrides: {}",
                "overrides:\n  tnt_r1:\n    features: {customDomain: false}\n    limits: {maxEvents: 50}"));
        Map<String, String> p = new HashMap<>();
        p.put("orgsync.read-api.enabled", "true");
        p.put("orgsync.read-api.port", Integer.toString(port));
        p.put("orgsync.read-api.tokens", "billing:" + BILLING + ", search:search-token-0123456789abcdef, old:" + OLD);
        p.put("orgsync.read-api.revoked", "old");
        p.put("orgsync.read-api.max-age-seconds", "7");
        p.put("orgsync.read-api.features-file", features.toString());
        p.put("orgsync.admin.token", ADMIN);
        app = OrgsyncApp.start(p);
        Instant t = Instant.now().minusSeconds(60);
        post(tenant("tenant.created", "tnt_r1", "reader-one", "pro"), t);
        post(tenant("tenant.created", "tnt_r2", "reader-two", "starter"), t);
        post(tenant("tenant.suspended", "tnt_r2", "reader-two", null), t.plusSeconds(1));
        post(tenant("tenant.created", "tnt_r3", "reader-three", "free"), t);
        post(tenant("tenant.deleted", "tnt_r3", "reader-three", null), t.plusSeconds(1));
        post(application("app_on", "tnt_r1", true), t);
        post(application("app_off", "tnt_r1", false), t);
        post(application("app_r2", "tnt_r2", true), t);
        post(sso("sso_on", "tnt_r1", true), t);
        post(sso("sso_off", "tnt_r1", false), t);
        ObjectNode member = Fixtures.clerk("organizationMembership.created");
        assertThat(app.postClerk(member, "msg_read_member").status()).isEqualTo(200);
        assertThat(app.postClerk(Fixtures.clerk("organization.created"), "msg_read_org").status()).isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    static void post(ObjectNode event, Instant at) {
        assertThat(app.postSystem(event, at).status()).isEqualTo(200);
    }

    static ObjectNode tenant(String type, String id, String slug, String plan) {
        ObjectNode event = Fixtures.tenantEvent(type, id, slug);
        if (plan != null) {
            ((ObjectNode) event.get("data")).put("plan", plan);
        }
        return event;
    }

    static ObjectNode application(String id, String tenant, boolean active) {
        ObjectNode event = Fixtures.system("application.created");
        ((ObjectNode) event.get("data")).put("application_id", id).put("tenant_id", tenant).put("slug", id).put("is_active", active);
        return event;
    }

    static ObjectNode sso(String id, String tenant, boolean enabled) {
        ObjectNode event = Fixtures.system("sso.provider_added");
        ((ObjectNode) event.get("data")).put("provider_id", id).put("tenant_id", tenant).put("is_enabled", enabled);
        return event;
    }

    record Answer(int status, JsonNode json, String raw, HttpResponse<String> response) {
        String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }
    }

    static Answer get(String path, String token, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        boolean isJson = response.headers().firstValue("Content-Type").orElse("").startsWith("application/json");
        JsonNode json = response.body().isEmpty() || !isJson ? null : Fixtures.MAPPER.readTree(response.body());
        return new Answer(response.statusCode(), json, response.body(), response);
    }

    @Test
    void anOrganisationWithItsActiveApplicationsAndEnabledProvidersWithETagAndMaxAge() throws Exception {
        Answer answer = get("/v1/organizations/tnt_r1", BILLING);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.json().path("id").asText()).isEqualTo("tnt_r1");
        assertThat(answer.json().path("status").asText()).isEqualTo("active");
        assertThat(answer.json().path("plan").asText()).isEqualTo("pro");
        assertThat(answer.json().path("applications").findValuesAsText("id")).containsExactly("app_on");
        assertThat(answer.json().path("sso_providers").findValuesAsText("id")).containsExactly("sso_on");
        assertThat(answer.raw()).doesNotContain("founder@acme.example"); // no owner email in the read model
        String etag = answer.header("ETag");
        assertThat(etag).matches("\"[0-9a-f]{32}\"");
        assertThat(answer.header("Cache-Control")).isEqualTo("private, max-age=7");
        assertThat(answer.header("Content-Type")).startsWith("application/json");
        assertThat(answer.response().headers().map().keySet()).as("no request header echoed, the token least of all")
                .noneMatch(h -> h.equalsIgnoreCase("Authorization") || h.equalsIgnoreCase("If-None-Match") || h.startsWith("Camel"));

        Answer again = get("/v1/organizations/tnt_r1", BILLING, "If-None-Match", etag);
        assertThat(again.status()).isEqualTo(304);
        assertThat(again.raw()).isEmpty();
        assertThat(again.header("ETag")).isEqualTo(etag);
        assertThat(get("/v1/organizations/tnt_r1", BILLING, "If-None-Match", "\"0000\"").status()).isEqualTo(200);

        Answer bySlug = get("/v1/organizations/by-slug/reader-one", BILLING);
        assertThat(bySlug.status()).isEqualTo(200);
        assertThat(bySlug.json()).isEqualTo(answer.json());

        // a change through a webhook shows at once (no cache yet) and changes the ETag
        ObjectNode updated = Fixtures.tenantEvent("tenant.updated", "tnt_r1", "reader-one");
        ((ObjectNode) updated.get("data")).put("name", "Reader One Renamed");
        post(updated, Instant.now().minusSeconds(5));
        Answer changed = get("/v1/organizations/tnt_r1", BILLING, "If-None-Match", etag);
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.json().path("name").asText()).isEqualTo("Reader One Renamed");
        assertThat(changed.header("ETag")).isNotEqualTo(etag);
    }

    @Test
    void unknownDeletedAndSuspendedOrganisations() throws Exception {
        Answer unknown = get("/v1/organizations/tnt_nobody", BILLING);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().path("code").asText()).isEqualTo("not_found");
        assertThat(unknown.json().path("status").asText()).isEqualTo("rejected");
        assertThat(get("/v1/organizations/by-slug/nobody", BILLING).status()).isEqualTo(404);

        Answer deleted = get("/v1/organizations/tnt_r3", BILLING);
        assertThat(deleted.status()).isEqualTo(410);
        assertThat(deleted.json().path("code").asText()).isEqualTo("organization_deleted");
        assertThat(get("/v1/organizations/tnt_r3/features", BILLING).status()).isEqualTo(410);

        // suspended: shown as it is, but an access decision is refused, with the reason
        Answer suspended = get("/v1/organizations/tnt_r2", BILLING);
        assertThat(suspended.status()).isEqualTo(200);
        assertThat(suspended.json().path("status").asText()).isEqualTo("suspended");
        Answer access = get("/v1/organizations/tnt_r2?for=access", BILLING);
        assertThat(access.status()).isEqualTo(403);
        assertThat(access.json().path("code").asText()).isEqualTo("organization_suspended");
        assertThat(access.json().path("reason").asText()).isEqualTo("payment overdue");
        assertThat(get("/v1/organizations/by-slug/reader-two?for=access", BILLING).status()).isEqualTo(403);
        assertThat(get("/v1/organizations/tnt_r1?for=access", BILLING).status()).isEqualTo(200);
        Answer bad = get("/v1/organizations/tnt_r1?for=everything", BILLING);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().path("code").asText()).isEqualTo("invalid_parameter");
    }

    @Test
    void aClerkOrganisationWithItsMembers() throws Exception {
        Answer answer = get("/v1/organizations/org_29w9UtdX4K9Z5nJ2", BILLING);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.json().path("source").asText()).isEqualTo("clerk");
        assertThat(answer.json().path("members").findValuesAsText("member_role")).containsExactly("admin");
        assertThat(get("/v1/organizations/by-slug/acme-inc", BILLING).json().path("id").asText()).isEqualTo("org_29w9UtdX4K9Z5nJ2");
    }

    @Test
    void featuresFromThePlanWithOverridesAndNoneForASuspendedOrganisation() throws Exception {
        Answer all = get("/v1/organizations/tnt_r1/features", BILLING);
        assertThat(all.status()).isEqualTo(200);
        assertThat(all.json().path("plan").asText()).isEqualTo("pro");
        assertThat(all.json().path("features").path("analytics").asBoolean()).isTrue();
        assertThat(all.json().path("features").path("customDomain").asBoolean()).as("overridden").isFalse();
        assertThat(all.json().path("limits").path("maxEvents").asInt()).as("overridden").isEqualTo(50);
        assertThat(all.json().path("limits").path("maxParticipants").asInt()).isEqualTo(-1);
        assertThat(all.header("ETag")).isNotNull();

        Answer one = get("/v1/organizations/tnt_r1/features/apiAccess", BILLING);
        assertThat(one.json().path("enabled").asBoolean()).isTrue();
        Answer limit = get("/v1/organizations/tnt_r1/features/maxParticipants", BILLING);
        assertThat(limit.json().path("limit").asInt()).isEqualTo(-1);
        assertThat(limit.json().path("unlimited").asBoolean()).isTrue();
        Answer unknown = get("/v1/organizations/tnt_r1/features/teleportation", BILLING);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().path("code").asText()).isEqualTo("unknown_feature");

        Answer suspended = get("/v1/organizations/tnt_r2/features", BILLING);
        assertThat(suspended.status()).isEqualTo(200);
        assertThat(suspended.json().path("features").size()).isZero();
        assertThat(suspended.json().path("limits").size()).isZero();
        assertThat(get("/v1/organizations/tnt_r2/features/analytics", BILLING).json().path("enabled").asBoolean()).isFalse();
        assertThat(get("/v1/organizations/tnt_nobody/features", BILLING).status()).isEqualTo(404);
    }

    @Test
    void serviceTokensMissingWrongRevokedOrTheAdminsAreRefused() throws Exception {
        for (String[] c : new String[][] {{null, "missing_token"}, {"not-a-token-at-all-xxxxxxxx", "invalid_token"},
                {OLD, "token_revoked"}, {ADMIN, "invalid_token"}}) {
            Answer answer = get("/v1/organizations/tnt_r1", c[0]);
            assertThat(answer.status()).as(c[1]).isEqualTo(401);
            assertThat(answer.json().path("code").asText()).isEqualTo(c[1]);
            assertThat(answer.raw()).doesNotContain("tnt_r1\"", "Reader");
        }
        assertThat(get("/v1/organizations/tnt_r1", "search-token-0123456789abcdef").status()).isEqualTo(200);
        // the read API is not on the webhook port, nor the admin API on the read port
        assertThat(app.send("GET", "/v1/organizations/tnt_r1", null, Map.of("Authorization", "Bearer " + BILLING)).status()).isEqualTo(404);
        assertThat(get("/admin/dead-letters", ADMIN).status()).isEqualTo(404);
    }

    @Test
    void readsGoThroughTheReaderRole() throws Exception {
        try (Connection c = DriverManager.getConnection(app.dbUrl); Statement s = c.createStatement()) {
            s.execute("REVOKE SELECT ON av_organizations FROM orgsync_reader");
            s.execute("NOTIFY orgsync_mirror, 'tnt_r1'"); // out of the cache, if an earlier read put it there
            try {
                // orgsync's own (superuser) role could still read it: the API cannot, so it reads as orgsync_reader
                Answer refused = get("/v1/organizations/tnt_r1", BILLING);
                assertThat(refused.status()).isEqualTo(500);
                assertThat(refused.json().path("code").asText()).isEqualTo("internal_error");
                assertThat(refused.raw()).doesNotContain("permission", "av_organizations");
            } finally {
                s.execute("GRANT SELECT ON av_organizations TO orgsync_reader");
            }
        }
        assertThat(get("/v1/organizations/tnt_r1", BILLING).status()).isEqualTo(200);
    }

    @Test
    void aReadTheCacheHoldsIsAnsweredBeforeTheRoutesAndTheSameAsTheyWould() throws Exception {
        for (String path : new String[] {"/v1/organizations/tnt_r1", "/v1/organizations/tnt_r1?for=access",
                "/v1/organizations/by-slug/reader-one", "/v1/organizations/tnt_r1/features",
                "/v1/organizations/tnt_r1/features/maxEvents", "/v1/organizations/tnt_r1/features/customDomain"}) {
            Answer first = get(path, BILLING); // the routes', when the cache does not hold it yet
            long routed = readRouteExchanges();
            Answer cached = get(path, BILLING);
            Answer notModified = get(path, BILLING, "If-None-Match", cached.header("ETag"));
            assertThat(readRouteExchanges()).as("no exchange for %s once cached", path).isEqualTo(routed);
            assertThat(cached.status()).as(path).isEqualTo(200);
            assertThat(cached.raw()).as(path).isEqualTo(first.raw());
            assertThat(cached.response().headers().map().keySet()).as(path).isEqualTo(first.response().headers().map().keySet());
            for (String header : new String[] {"ETag", "Cache-Control", "Content-Type"}) {
                assertThat(cached.header(header)).as(path + " " + header).isEqualTo(first.header(header));
            }
            assertThat(notModified.status()).as(path).isEqualTo(304);
            assertThat(notModified.raw()).isEmpty();
        }
        // what the cache cannot answer 200 still reaches the routes: refusals, a bad token, an unknown parameter
        long routed = readRouteExchanges();
        assertThat(get("/v1/organizations/tnt_r2", BILLING).status()).isEqualTo(200);
        assertThat(get("/v1/organizations/tnt_r2?for=access", BILLING).status()).isEqualTo(403);
        assertThat(get("/v1/organizations/tnt_r2?for=access", BILLING).json().path("code").asText()).isEqualTo("organization_suspended");
        assertThat(get("/v1/organizations/tnt_r3", BILLING).status()).isEqualTo(410);
        assertThat(get("/v1/organizations/tnt_r1", OLD).status()).isEqualTo(401);
        assertThat(get("/v1/organizations/tnt_r1?for=everything", BILLING).status()).isEqualTo(400);
        assertThat(get("/v1/organizations/tnt_r1/features/teleportation", BILLING).status()).isEqualTo(404);
        assertThat(readRouteExchanges()).isGreaterThanOrEqualTo(routed + 6);
    }

    /** How many exchanges the read API's routes have handled (Camel's per-route metric). */
    static long readRouteExchanges() throws Exception {
        String metrics = app.admin("GET", "/observe/metrics", null).raw();
        return metrics.lines().filter(line -> line.startsWith("camel_exchanges_total{") && line.contains("routeId=\"read-organization"))
                .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void itsOpenApiDocumentIsServedNextToItAndNamesEveryRoute() throws Exception {
        Answer document = get("/openapi.yaml", null);
        assertThat(document.status()).isEqualTo(200);
        io.swagger.v3.parser.core.models.SwaggerParseResult parsed = new io.swagger.v3.parser.OpenAPIV3Parser().readContents(document.raw());
        assertThat(parsed.getMessages()).isEmpty();
        java.util.Set<String> served = new java.util.TreeSet<>();
        for (org.apache.camel.Route route : app.camel().getRoutes()) {
            if (route.getEndpoint() instanceof org.apache.camel.component.platform.http.PlatformHttpEndpoint endpoint
                    && route.getRouteId().startsWith("read-")) {
                served.add(endpoint.getPath());
            }
        }
        assertThat(served).hasSize(5);
        assertThat(parsed.getOpenAPI().getPaths().keySet()).containsExactlyInAnyOrderElementsOf(served);
    }
}
