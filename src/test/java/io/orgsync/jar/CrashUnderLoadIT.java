package io.orgsync.jar;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.RSAKey;
import io.orgsync.support.AuthVitalSigner;
import io.orgsync.support.Fixtures;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invariant 4 (docs/invariants.md) with group commit: the packaged jar on its durable embedded database is
 * killed (kill -9) in the middle of a concurrent load; after a restart every event that had been
 * acknowledged with a 2xx is there.
 */
class CrashUnderLoadIT {

    @Test
    void noAcknowledgedEventIsLostWhenTheJvmIsKilledMidBatch() throws Exception {
        Path work = Files.createTempDirectory("orgsync-crash");
        int port = PackagedJarIT.freePort();
        Map<String, String> env = PackagedJarIT.environment(work, port, PackagedJarIT.freePort());
        PackagedJarIT helper = new PackagedJarIT();
        Path log = work.resolve("first.log");
        Process jar = helper.start(env, log);
        PackagedJarIT.awaitLog(log, "started in", Duration.ofSeconds(60));
        RSAKey key = RSAKey.parse(Files.readString(work.resolve("dev/authvital-dev-key.jwk.json")));

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicInteger sent = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(32);
        for (int i = 0; i < 3000; i++) {
            int n = i;
            pool.execute(() -> {
                ObjectNode event = Fixtures.seed("tenant.updated");
                String id = "evt_crash_" + n;
                event.put("id", id).put("tenant_id", "tnt_crash_" + (n % 100));
                ((ObjectNode) event.get("data")).put("tenant_id", "tnt_crash_" + (n % 100)).put("name", "Crash " + n);
                byte[] body = Fixtures.bytes(event);
                HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/webhooks/authvital"))
                        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
                AuthVitalSigner.syncHeaders(key, body, id, "tenant.updated", AuthVitalSigner.now()).forEach(request::header);
                try {
                    sent.incrementAndGet();
                    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() / 100 == 2) {
                        acknowledged.add(id);
                    }
                } catch (Exception refusedOrCut) {
                    // the JVM was killed: not acknowledged, so not promised
                }
            });
        }
        while (acknowledged.size() < 300) {
            Thread.sleep(5);
        }
        jar.destroyForcibly();          // kill -9, in the middle of the load
        jar.waitFor(30, TimeUnit.SECONDS);
        pool.shutdown();
        assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        Set<String> promised = new HashSet<>(acknowledged);
        assertThat(promised.size()).isLessThan(3000);

        Path second = work.resolve("second.log");
        Process again = helper.start(env, second);
        try {
            String text = PackagedJarIT.awaitLog(second, "started in", Duration.ofSeconds(90));
            Set<String> stored = new HashSet<>();
            try (Connection c = DriverManager.getConnection(PackagedJarIT.jdbcUrl(text), "postgres", null);
                 Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT event_id FROM orgsync_events WHERE event_id LIKE 'evt_crash_%'")) {
                while (rs.next()) {
                    stored.add(rs.getString(1));
                }
            }
            assertThat(stored).as("every acknowledged event survived kill -9").containsAll(promised);
            assertThat(List.of(promised.size(), stored.size())).allMatch(n -> n > 0);
        } finally {
            again.destroy();
            again.waitFor(45, TimeUnit.SECONDS);
        }
    }
}
