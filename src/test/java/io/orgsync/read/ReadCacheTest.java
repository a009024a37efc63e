package io.orgsync.read;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The read cache is never stale past one commit: two instances on one PostgreSQL, webhooks into A,
 * reads from B's cache right after each 200, a thousand times; and a lost listening connection drops
 * the cache until it is back.
 */
class ReadCacheTest {

    static final String TOKEN = "cache-test-token-0123456789abcdef";
    static OrgsyncApp a;
    static OrgsyncApp b;
    static int port;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        String db = TestDatabase.newDatabaseUrl();
        a = OrgsyncApp.start(db, Map.of());
        port = OrgsyncApp.freePort();
        b = OrgsyncApp.start(db, Map.of("orgsync.read-api.enabled", "true", "orgsync.read-api.port", Integer.toString(port),
                "orgsync.read-api.tokens", "test:" + TOKEN));
        OrgsyncApp.await("B listening", () -> b.count("pg_stat_activity WHERE application_name = 'orgsync-read-cache' AND datname = current_database()") == 1,
                Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        b.close();
        a.close();
    }

    static JsonNode read(String id) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/organizations/" + id))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Fixtures.MAPPER.readTree(response.body());
    }

    static double cacheGets(String result) throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + b.managementPort + "/observe/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^cache_gets_total\\{(?=[^}]*cache=\"orgsync-read\")(?=[^}]*result=\"" + result + "\")[^}]*\\} ([0-9.E]+)").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void aReadOnAnotherInstanceRightAfterTheWebhooksAnswerNeverSeesTheOldValue() throws Exception {
        Instant t0 = Instant.now().minusSeconds(250);
        assertThat(a.postSystem(Fixtures.tenantEvent("tenant.created", "tnt_cache", "cache"), t0).status()).isEqualTo(200);
        assertThat(read("tnt_cache").path("name").asText()).isEqualTo("Acme Corporation");
        double hitsBefore = cacheGets("hit");
        for (int i = 1; i <= 1000; i++) {
            ObjectNode updated = Fixtures.tenantEvent("tenant.updated", "tnt_cache", "cache");
            ((ObjectNode) updated.get("data")).put("name", "version " + i);
            assertThat(a.postSystem(updated, t0.plusMillis(200L * i)).status()).isEqualTo(200);
            assertThat(read("tnt_cache").path("name").asText()).as("read after change " + i).isEqualTo("version " + i);
            // and once more, now from the cache
            assertThat(read("tnt_cache").path("name").asText()).isEqualTo("version " + i);
        }
        // the second read of each round came from the cache
        assertThat(cacheGets("hit") - hitsBefore).isGreaterThanOrEqualTo(900);
        assertThat(cacheGets("miss")).isGreaterThan(0);
    }

    @Test
    void aLostListeningConnectionDropsTheCacheUntilItIsBack() throws Exception {
        assertThat(a.postSystem(Fixtures.tenantEvent("tenant.created", "tnt_lost", "lost"), Instant.now().minusSeconds(30)).status()).isEqualTo(200);
        read("tnt_lost");
        assertThat(read("tnt_lost").path("name").asText()).isEqualTo("Acme Corporation"); // cached
        // the listener's session ends, and a change is made that it will never be told of
        b.rows("SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE application_name = 'orgsync-read-cache' AND datname = current_database()");
        b.rows("UPDATE av_organizations SET name = 'changed while nobody listened' WHERE id = 'tnt_lost' RETURNING id");
        assertThat(read("tnt_lost").path("name").asText()).isEqualTo("changed while nobody listened");
        OrgsyncApp.await("B listening again", () -> b.count("pg_stat_activity WHERE application_name = 'orgsync-read-cache' AND datname = current_database()") == 1,
                Duration.ofSeconds(30));
        assertThat(read("tnt_lost").path("name").asText()).isEqualTo("changed while nobody listened");
        b.rows("UPDATE av_organizations SET name = 'after the reconnect' WHERE id = 'tnt_lost' RETURNING id");
        assertThat(read("tnt_lost").path("name").asText()).isEqualTo("after the reconnect");
    }
}
