package io.orgsync.http;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.AuthVitalSigner;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A deploy under load: senders keep posting signed events while orgsync starts and while it stops.
 * Every answer is either no connection at all, a JSON 503 (the sender retries), or a 200 for an event
 * that is really stored. Never a 404 (AuthVital would take the URL for wrong, and a system webhook
 * answered 404 is never sent again), never an empty body.
 */
class StartAndStopUnderLoadTest {

    static final int SENDERS = 4;

    @Test
    void whileStartingAndStoppingTheWebhookPortAnswersOnlyJson503OrAStoredEvent() throws Exception {
        String db = TestDatabase.newDatabaseUrl();
        OrgsyncApp app = OrgsyncApp.prepare(db, Map.of());
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        AtomicBoolean sending = new AtomicBoolean(true);
        AtomicInteger sequence = new AtomicInteger();
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        List<String> wrong = new CopyOnWriteArrayList<>();
        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
        for (int s = 0; s < SENDERS; s++) {
            senders.submit(() -> {
                while (sending.get()) {
                    String id = "evt_deploy_" + sequence.incrementAndGet();
                    ObjectNode event = Fixtures.seed("tenant.created");
                    event.put("id", id);
                    event.put("tenant_id", "tnt_" + id);
                    ((ObjectNode) event.get("data")).put("tenant_id", "tnt_" + id);
                    byte[] body = Fixtures.bytes(event);
                    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + app.port + "/webhooks/authvital"))
                            .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
                    app.signer.syncHeaders(body, id, "tenant.created", AuthVitalSigner.now()).forEach(request::header);
                    try {
                        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                        String outcome = classify(response);
                        seen.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
                        if (outcome.equals("200 applied")) {
                            acknowledged.add(id);
                        } else if (!outcome.equals("503 not_ready")) {
                            wrong.add(outcome + " " + response.body());
                        }
                    } catch (IOException refused) {
                        seen.computeIfAbsent("no connection", k -> new AtomicInteger()).incrementAndGet();
                        sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }
        sleep(300); // the senders find nothing listening yet
        app.boot();
        sleep(1500); // traffic while it runs
        app.close();
        sleep(300); // and after it has gone
        sending.set(false);
        senders.shutdown();
        assertThat(senders.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

        assertThat(wrong).as("answers other than a JSON 503 or a 200 applied; all seen: %s", seen).isEmpty();
        assertThat(seen).as("the load ran through the start and the stop").containsKeys("no connection", "200 applied");
        assertThat(acknowledged).isNotEmpty();
        // every 200 is a stored event
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(db);
             java.sql.PreparedStatement s = c.prepareStatement("SELECT count(*) FROM orgsync_events WHERE event_id = ANY (?)")) {
            s.setArray(1, c.createArrayOf("text", acknowledged.toArray()));
            try (java.sql.ResultSet rs = s.executeQuery()) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(acknowledged.size());
            }
        }
    }

    @Test
    void aWebhookPortInUseStopsStartUpWithAClearErrorInsteadOfServingNothing() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> OrgsyncApp.start(Map.of(
                            "camel.server.host", "127.0.0.1", "camel.server.port", Integer.toString(taken.getLocalPort()))))
                    .rootCause().hasMessageContaining("camel.server.port: 127.0.0.1:" + taken.getLocalPort() + " cannot be bound");
        }
    }

    /** "200 applied", "503 not_ready", or what else came back, by status and JSON code. */
    static String classify(HttpResponse<String> response) {
        JsonNode json = null;
        try {
            json = response.body().isEmpty() ? null : Fixtures.MAPPER.readTree(response.body());
        } catch (IOException notJson) {
            // reported as it is
        }
        if (json == null) {
            return response.statusCode() + " (no JSON body)";
        }
        String word = response.statusCode() == 200 ? json.path("status").asText() : json.path("code").asText();
        return response.statusCode() + " " + word;
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
