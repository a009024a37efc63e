package io.orgsync.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.orgsync.OrgsyncMain;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * The real application, booted as the jar boots it ({@link OrgsyncMain#newMain()}: the routes in
 * ./routes, ./application.properties), on a database of its own, with WireMock standing in for
 * AuthVital's JWKS. Tests talk to it over real HTTP.
 */
public final class OrgsyncApp implements AutoCloseable {

    public static final String JWKS_PATH = "/.well-known/jwks.json";
    /** The Clerk (Svix) signing secret the test app trusts. */
    public static final String CLERK_SECRET = "whsec_" + java.util.Base64.getEncoder()
            .encodeToString("orgsync-test-clerk-secret-32-bytes".getBytes(java.nio.charset.StandardCharsets.UTF_8));

    public final AuthVitalSigner signer = new AuthVitalSigner();
    public final WireMockServer jwks = new WireMockServer(options().dynamicPort());
    public final String dbUrl;
    public final int port;
    public final int managementPort;
    public final Path workDir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Main main;

    private OrgsyncApp(String dbUrl, Map<String, String> overrides) {
        this.dbUrl = dbUrl;
        // the JWKS stand-in takes its port first: started after the probes below, the kernel could hand
        // it the port just probed free for orgsync (seen once: "camel.server.port … cannot be bound")
        jwks.start();
        this.port = freePort();
        int management = freePort();
        while (management == port) {
            management = freePort(); // two free-port probes can return the same port
        }
        this.managementPort = management;
        try {
            this.workDir = Files.createTempDirectory("orgsync-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        publishKeys();
        main = OrgsyncMain.newMain();
        main.addOverrideProperty("orgsync.db.url", dbUrl);
        main.addOverrideProperty("camel.server.port", Integer.toString(port));
        main.addOverrideProperty("camel.management.port", Integer.toString(managementPort));
        main.addOverrideProperty("orgsync.authvital.host", jwks.baseUrl());
        main.addOverrideProperty("orgsync.authvital.allow-insecure-http", "true"); // WireMock's JWKS is http://localhost
        main.addOverrideProperty("orgsync.spool.dir", workDir.resolve("spool").toString());
        main.addOverrideProperty("orgsync.spool.poll-ms", "200");
        main.addOverrideProperty("orgsync.dev.enabled", "false");
        main.addOverrideProperty("orgsync.clerk.webhook-secret", CLERK_SECRET);
        main.addOverrideProperty("orgsync.archive.dir", workDir.resolve("archive").toString());
        main.addOverrideProperty("orgsync.audit.dir", workDir.resolve("audit").toString());
        main.addOverrideProperty("orgsync.provisioning.dir", workDir.resolve("tenants").toString());
        main.addOverrideProperty("orgsync.outbox.poll-ms", "100");
        main.addOverrideProperty("orgsync.metrics.gauges-period-ms", "500");
        overrides.forEach(main::addOverrideProperty);
    }

    public static OrgsyncApp start() {
        return start(Map.of());
    }

    public static OrgsyncApp start(Map<String, String> overrides) {
        return start(TestDatabase.newDatabaseUrl(), overrides);
    }

    public static OrgsyncApp start(String dbUrl, Map<String, String> overrides) {
        OrgsyncApp app = prepare(dbUrl, overrides);
        app.boot();
        return app;
    }

    /** The application with its ports and folders chosen, not started yet: {@link #boot()} starts it. */
    public static OrgsyncApp prepare(String dbUrl, Map<String, String> overrides) {
        return new OrgsyncApp(dbUrl, overrides);
    }

    /** A bean in the registry before start (e.g. "lifecycleClock", the purge job's clock); call before {@link #boot()}. */
    public OrgsyncApp bind(String name, Object bean) {
        main.bind(name, bean);
        return this;
    }

    public void boot() {
        try {
            main.start();
        } catch (Exception e) {
            close();
            throw new IllegalStateException("orgsync did not start", e);
        }
    }

    public CamelContext camel() {
        return main.getCamelContext();
    }

    /** (Re)publishes the signer's current key set at the JWKS stand-in. */
    public void publishKeys() {
        jwks.stubFor(get(urlEqualTo(JWKS_PATH)).willReturn(okJson(signer.jwks())));
    }

    public int jwksRequests() {
        return jwks.countRequestsMatching(getRequestedFor(urlEqualTo(JWKS_PATH)).build()).getCount();
    }

    // ---- HTTP ------------------------------------------------------------------------------

    public record Reply(int status, JsonNode json, String raw, Map<String, List<String>> headers) {
        public String code() {
            return json == null ? null : json.path("code").asText(null);
        }

        public String status(String field) {
            return json == null ? null : json.path(field).asText(null);
        }
    }

    /** A system webhook of this body, its timestamp set to now, correctly signed. */
    public Reply postSystem(ObjectNode body) {
        return postSystem(body, Instant.now());
    }

    public Reply postSystem(ObjectNode body, Instant timestamp) {
        body.put("timestamp", timestamp.toString());
        byte[] bytes = Fixtures.bytes(body);
        return post(bytes, signer.systemHeaders(bytes, body.get("event").asText(), timestamp.toString()));
    }

    /** A sync event of this body (as is), correctly signed now. */
    public Reply postSync(ObjectNode body) {
        byte[] bytes = Fixtures.bytes(body);
        return postSyncBytes(bytes, body.get("id").asText(), body.get("type").asText());
    }

    public Reply postSyncBytes(byte[] bytes, String id, String type) {
        return post(bytes, signer.syncHeaders(bytes, id, type, AuthVitalSigner.now()));
    }

    /** A Clerk event of this body, signed as Svix signs it, with this svix-id. */
    public Reply postClerk(ObjectNode body, String svixId) {
        byte[] bytes = Fixtures.bytes(body);
        return send("POST", "/webhooks/clerk", bytes, SvixSigner.headers(CLERK_SECRET, svixId, AuthVitalSigner.now(), bytes));
    }

    public Reply post(byte[] body, Map<String, String> headers) {
        return send("POST", "/webhooks/authvital", body, headers);
    }

    public Reply send(String method, String pathAndQuery, byte[] body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + pathAndQuery))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        return exchange(request.build());
    }

    private Reply exchange(HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            try {
                json = response.body().isEmpty() ? null : Fixtures.MAPPER.readTree(response.body());
            } catch (IOException notJson) {
                // asserted by the caller
            }
            return new Reply(response.statusCode(), json, response.body(), response.headers().map());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ---- database ----------------------------------------------------------------------------

    public List<Map<String, Object>> rows(String sql, Object... args) {
        try (Connection c = DriverManager.getConnection(dbUrl); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setObject(i + 1, args[i]);
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                ResultSetMetaData meta = rs.getMetaData();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= meta.getColumnCount(); i++) {
                        Object value = rs.getObject(i);
                        if (value instanceof java.sql.Array array) {
                            value = List.of((Object[]) array.getArray());
                        } else if (value instanceof org.postgresql.util.PGobject pg) {
                            value = pg.getValue();
                        }
                        row.put(meta.getColumnLabel(i), value);
                    }
                    rows.add(row);
                }
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public Map<String, Object> row(String sql, Object... args) {
        List<Map<String, Object>> rows = rows(sql, args);
        if (rows.size() != 1) {
            throw new AssertionError("expected one row, got " + rows.size() + " for " + sql);
        }
        return rows.get(0);
    }

    public long count(String table) {
        return ((Number) row("SELECT count(*) AS n FROM " + table).get("n")).longValue();
    }

    /** Rows written anywhere by the application: the event log, every mirror table, the audit log. */
    public long writtenRows() {
        return count("orgsync_events") + count("av_organizations") + count("av_applications") + count("av_sso_providers")
                + count("av_tenant_app_access") + count("av_organization_audit_logs") + count("organizations")
                + count("organization_members");
    }

    /**
     * Empties the event log, the outbox and the mirror between tests. The fan-out of the test before
     * may still be writing: a target's write-back locks a mirror row and then (V12's trigger) the
     * outbox, the opposite order of this TRUNCATE's, and PostgreSQL then ends one of the two as a
     * deadlock; this one is tried again.
     */
    public void truncate() {
        for (int attempt = 1; ; attempt++) {
            try (Connection c = DriverManager.getConnection(dbUrl); Statement s = c.createStatement()) {
                s.execute("TRUNCATE orgsync_quarantine, orgsync_outbox_attempts, orgsync_outbox, orgsync_events, organizations, organization_members, av_organizations, av_applications, av_sso_providers, "
                        + "av_tenant_app_access, av_organization_audit_logs");
                return;
            } catch (SQLException e) {
                if (!"40P01".equals(e.getSQLState()) || attempt == 5) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /** A request to the admin API on the management port. */
    public Reply admin(String method, String pathAndQuery, String token) {
        return admin(method, pathAndQuery, token, null);
    }

    /** A request with a JSON body to the admin API on the management port. */
    public Reply admin(String method, String pathAndQuery, String token, String json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + managementPort + pathAndQuery))
                .timeout(Duration.ofSeconds(30)).method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return exchange(request.build());
    }

    /** Waits until the condition holds (the fan-out is asynchronous), or fails. */
    public static void await(String what, java.util.function.BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
    }

    /** Outbox rows of a target in a status. */
    public long outbox(String target, String status) {
        return ((Number) row("SELECT count(*) AS n FROM orgsync_outbox WHERE target = ? AND status = ?", target, status)
                .get("n")).longValue();
    }

    public boolean fanoutSettled() {
        return ((Number) row("SELECT count(*) AS n FROM orgsync_outbox WHERE status = 'pending'").get("n")).longValue() == 0;
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            if (main != null) {
                main.stop();
            }
        } catch (Exception ignored) {
            // closing anyway
        } finally {
            jwks.stop();
        }
    }
}
