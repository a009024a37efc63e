package io.orgsync.ops;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.TestDatabase;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Readiness reflects the real dependencies (PostgreSQL, AuthVital's key set), liveness only the
 * process, and the backlog, quarantine and spools are details, never DOWN.
 */
class HealthTest {

    record Health(int status, JsonNode json) {
        JsonNode check(String id) {
            for (JsonNode check : json.path("checks")) {
                if (id.equals(check.path("name").asText())) {
                    return check;
                }
            }
            return Fixtures.MAPPER.createObjectNode();
        }
    }

    static Health health(OrgsyncApp app, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + app.managementPort + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Health(r.statusCode(), Fixtures.MAPPER.readTree(r.body()));
    }

    static void awaitReady(OrgsyncApp app, String what, Duration timeout) {
        OrgsyncApp.await(what, () -> {
            try {
                return health(app, "/observe/health/ready").status() == 200;
            } catch (Exception e) {
                return false;
            }
        }, timeout);
    }

    @Test
    void readyAtOnceAfterStartWithTheBacklogAsDetails() throws Exception {
        try (OrgsyncApp app = OrgsyncApp.start()) {
            // no waiting for a file consumer's first poll
            Health ready = health(app, "/observe/health/ready");
            assertThat(ready.status()).as(ready.json().toString()).isEqualTo(200);
            assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
            Health detailed = health(app, "/observe/health?data=true");
            assertThat(detailed.status()).isEqualTo(200);
            JsonNode data = detailed.check("database").path("data");
            assertThat(data.has("outbox_pending")).as(data.toString()).isTrue();
            assertThat(data.has("outbox_dead")).isTrue();
            assertThat(data.has("outbox_oldest_pending_seconds")).isTrue();
            assertThat(data.path("quarantined").asLong()).isZero();
            assertThat(data.path("spool_authvital_files").asLong()).isZero();
            assertThat(detailed.check("authvital-keys").path("status").asText()).isEqualTo("UP");
        }
    }

    @Test
    void notReadyWithoutPostgresButAlive() throws Exception {
        Path dataDir = Files.createTempDirectory("orgsync-health-pg");
        int pgPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            pgPort = s.getLocalPort();
        }
        EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false).setPort(pgPort).start();
        try (OrgsyncApp app = OrgsyncApp.start(pg.getJdbcUrl("postgres", "postgres"), Map.of("orgsync.db.connect-timeout-ms", "500"))) {
            assertThat(health(app, "/observe/health/ready").status()).isEqualTo(200);
            pg.close();
            Health ready = health(app, "/observe/health/ready");
            assertThat(ready.status()).as(ready.json().toString()).isEqualTo(503);
            assertThat(ready.check("database").path("status").asText()).isEqualTo("DOWN");
            assertThat(health(app, "/observe/health/live").status()).isEqualTo(200);
            pg = EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false).setPort(pgPort).start();
            awaitReady(app, "ready again", Duration.ofSeconds(30));
        } finally {
            pg.close();
        }
    }

    @Test
    void notReadyWhileAuthVitalsKeySetHasNeverBeenRead() throws Exception {
        try (OrgsyncApp app = OrgsyncApp.prepare(TestDatabase.newDatabaseUrl(), Map.of("orgsync.authvital.jwks-timeout-ms", "300",
                "orgsync.authvital.jwks-refetch-interval-seconds", "1"))) {
            app.jwks.stubFor(get(urlEqualTo(OrgsyncApp.JWKS_PATH)).willReturn(aResponse().withStatus(500)));
            app.boot();
            Health ready = health(app, "/observe/health/ready");
            assertThat(ready.status()).as(ready.json().toString()).isEqualTo(503);
            assertThat(ready.check("authvital-keys").path("status").asText()).isEqualTo("DOWN");
            assertThat(health(app, "/observe/health/live").status()).isEqualTo(200);
            app.publishKeys();
            // read again at most once a refetch interval (the probe never hammers the JWKS host)
            awaitReady(app, "ready once the keys can be read", Duration.ofSeconds(15));
            // once read, an outage of the JWKS host is ridden out on the cached set: still ready
            app.jwks.stubFor(get(urlEqualTo(OrgsyncApp.JWKS_PATH)).willReturn(aResponse().withStatus(500)));
            assertThat(health(app, "/observe/health/ready").status()).isEqualTo(200);
        }
    }
}
