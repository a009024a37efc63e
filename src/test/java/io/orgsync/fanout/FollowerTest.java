package io.orgsync.fanout;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Concurrently;
import io.orgsync.support.Fixtures;
import io.orgsync.support.KafkaBroker;
import io.orgsync.support.OrgsyncApp;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A primary and a follower, each with its own embedded PostgreSQL, and a real Kafka broker between
 * them: the follower applies the primary's changefeed, and its mirror equals the primary's after a
 * shuffled, duplicated stream of 2,000 webhooks; applying the whole topic again changes nothing; its
 * read API answers from its own mirror; its lag is a metric and readiness goes DOWN past the bound.
 */
class FollowerTest {

    static final String TOPIC = "orgsync.changes.follow";
    static final String TOKEN = "follower-read-token-0123456789abcdef";
    static final List<String> TABLES = List.of("av_organizations", "av_applications", "av_sso_providers", "av_tenant_app_access",
            "organizations", "organization_members");
    static KafkaBroker kafka;
    static EmbeddedPostgres followerDatabase;
    static OrgsyncApp primary;
    static OrgsyncApp follower;
    static int readPort;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        kafka = KafkaBroker.start();
        Map<String, String> feed = new HashMap<>();
        feed.put("orgsync.changefeed.brokers", kafka.bootstrapServers());
        feed.put("orgsync.changefeed.topic", TOPIC);
        primary = OrgsyncApp.start(feed);
        followerDatabase = EmbeddedPostgres.builder().start();
        readPort = OrgsyncApp.freePort();
        Map<String, String> p = new HashMap<>(feed);
        p.put("orgsync.mode", "follower");
        p.put("orgsync.follower.group-id", "follower-test");
        p.put("orgsync.follower.max-lag", "5");
        p.put("orgsync.follower.lag-period-ms", "300");
        p.put("orgsync.read-api.enabled", "true");
        p.put("orgsync.read-api.port", Integer.toString(readPort));
        p.put("orgsync.read-api.tokens", "test:" + TOKEN);
        follower = OrgsyncApp.start(followerDatabase.getJdbcUrl("postgres", "postgres"), p);
    }

    @AfterAll
    static void stop() throws IOException {
        follower.close();
        primary.close();
        kafka.close();
        followerDatabase.close();
    }

    /** Every row of the mirror's tables, as JSON text, by table and id. */
    static Map<String, String> mirror(OrgsyncApp app) {
        Map<String, String> rows = new LinkedHashMap<>();
        for (String table : TABLES) {
            app.rows("SELECT id, CAST(to_jsonb(t) AS text) AS row FROM " + table + " t ORDER BY id")
                    .forEach(r -> rows.put(table + "/" + r.get("id"), (String) r.get("row")));
        }
        return rows;
    }

    static void awaitInStep() {
        OrgsyncApp.await("the primary's changefeed delivered",
                () -> primary.count("orgsync_outbox WHERE target = 'changefeed' AND status <> 'done'") == 0, Duration.ofSeconds(120));
        try {
            OrgsyncApp.await("the follower's mirror equal to the primary's", () -> mirror(follower).equals(mirror(primary)), Duration.ofSeconds(120));
        } catch (AssertionError timedOut) {
            // say which rows differ, and how (the first few)
            Map<String, String> expected = mirror(primary);
            Map<String, String> actual = mirror(follower);
            List<String> differences = expected.keySet().stream().filter(k -> !expected.get(k).equals(actual.get(k)))
                    .limit(3).map(k -> k + "\n  primary:  " + expected.get(k) + "\n  follower: " + actual.get(k)).toList();
            throw new AssertionError(timedOut.getMessage() + ": " + expected.size() + " rows on the primary, " + actual.size()
                    + " on the follower; first differences:\n" + String.join("\n", differences), timedOut);
        }
    }

    static String followerHealth() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + follower.managementPort + "/observe/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    static HttpResponse<String> read(String id) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + readPort + "/v1/organizations/" + id))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * 2,000 webhooks to this app over 100 tenants (each created, renamed, its applications, SSO
     * provider, access, some suspended or deleted) and Clerk memberships; each call answers its status.
     */
    static List<Callable<Integer>> stream(OrgsyncApp primary, Instant t0) {
        List<Callable<Integer>> calls = new ArrayList<>();
        for (int n = 0; n < 100; n++) {
            String tenant = "tnt_follow_" + n;
            Instant t = t0.plusSeconds(n);
            List<ObjectNode> events = new ArrayList<>();
            ObjectNode created = Fixtures.tenantEvent("tenant.created", tenant, "follow-" + n);
            ((ObjectNode) created.get("data")).put("plan", n % 3 == 0 ? "pro" : "starter");
            events.add(created);
            for (int v = 1; v <= 5; v++) {
                ObjectNode updated = Fixtures.tenantEvent("tenant.updated", tenant, "follow-" + n);
                ((ObjectNode) updated.get("data")).put("name", "Tenant " + n + " v" + v);
                events.add(updated);
            }
            for (int a = 0; a < 2; a++) {
                for (String type : List.of("application.created", "application.updated")) {
                    ObjectNode application = Fixtures.system(type);
                    ((ObjectNode) application.get("data")).put("application_id", "app_follow_" + n + "_" + a).put("tenant_id", tenant)
                            .put("name", "App " + n + "/" + a + " " + type);
                    events.add(application);
                }
            }
            for (String type : List.of("sso.provider_added", "sso.provider_updated")) {
                ObjectNode sso = Fixtures.system(type);
                ((ObjectNode) sso.get("data")).put("provider_id", "sso_follow_" + n).put("tenant_id", tenant);
                events.add(sso);
            }
            ObjectNode granted = Fixtures.system("tenant.app.granted");
            ((ObjectNode) granted.get("data")).put("tenant_id", tenant).put("application_id", "app_follow_" + n + "_0")
                    .put("user_id", "usr_follow_" + n);
            events.add(granted);
            if (n % 10 == 1) {
                events.add(Fixtures.tenantEvent("tenant.suspended", tenant, "follow-" + n));
            } else if (n % 10 == 2) {
                events.add(Fixtures.tenantEvent("tenant.deleted", tenant, "follow-" + n));
            } else {
                ObjectNode updated = Fixtures.tenantEvent("tenant.updated", tenant, "follow-" + n);
                ((ObjectNode) updated.get("data")).put("name", "Tenant " + n + " final");
                events.add(updated);
            }
            // one time per event, in the order above: the mirror's ordering guard decides, whatever the arrival order
            for (int i = 0; i < events.size(); i++) {
                ObjectNode event = events.get(i);
                Instant at = t.plusMillis(10L * i);
                calls.add(() -> primary.postSystem(event, at).status());
            }
        }
        for (int m = 0; calls.size() < 2000; m++) {
            ObjectNode membership = Fixtures.clerk("organizationMembership.created");
            ((ObjectNode) membership.get("data")).put("id", "orgmem_follow_" + m);
            ((ObjectNode) membership.get("data").get("organization")).put("id", "org_follow_" + (m % 10));
            String id = "msg_follow_" + m;
            calls.add(() -> primary.postClerk(membership, id).status());
        }
        return calls;
    }

    /**
     * Sends the calls, and this many of them once more (a sender's retries), in a shuffled order on 8
     * threads; answers every status.
     */
    static List<Integer> sendShuffled(List<Callable<Integer>> calls, int duplicates, long seed) throws Exception {
        Random random = new Random(seed);
        List<Callable<Integer>> sent = new ArrayList<>(calls);
        for (int i = 0; i < duplicates; i++) {
            sent.add(calls.get(random.nextInt(calls.size())));
        }
        Collections.shuffle(sent, random);
        AtomicInteger next = new AtomicInteger();
        List<List<Integer>> statuses = Concurrently.times(8, () -> {
            List<Integer> mine = new ArrayList<>();
            for (int i = next.getAndIncrement(); i < sent.size(); i = next.getAndIncrement()) {
                mine.add(sent.get(i).call());
            }
            return mine;
        });
        return statuses.stream().flatMap(List::stream).toList();
    }

    @Test
    void aShuffledDuplicatedStreamIntoThePrimaryLeavesTheFollowersMirrorEqualToIt() throws Exception {
        List<Callable<Integer>> calls = stream(primary, Instant.now().minusSeconds(200));
        assertThat(calls).hasSize(2000);
        assertThat(sendShuffled(calls, 200, 17)).hasSize(2200).allMatch(s -> s == 200);

        awaitInStep();
        Map<String, String> mirror = mirror(follower);
        assertThat(mirror).hasSizeGreaterThan(500);
        assertThat(mirror).isEqualTo(mirror(primary));
        // and the follower's own triggers ran as it applied them: its lifecycle log has the tenants
        assertThat(follower.count("av_organization_lifecycle WHERE organization_id LIKE 'tnt_follow_%'")).isGreaterThanOrEqualTo(100);

        // the whole topic applied once more, in its order: nothing changes (change_seq)
        List<String> messages = kafka.read(TOPIC, records -> false, Duration.ofSeconds(10)).stream().map(r -> r.value()).toList();
        assertThat(messages).hasSizeGreaterThanOrEqualTo(mirror.size());
        try (Connection c = DriverManager.getConnection(follower.dbUrl, "postgres", "");
             PreparedStatement apply = c.prepareStatement("SELECT orgsync_follow(CAST(? AS jsonb))")) {
            int changed = 0;
            for (String message : messages) {
                apply.setString(1, message);
                try (ResultSet r = apply.executeQuery()) {
                    r.next();
                    changed += r.getBoolean(1) ? 1 : 0;
                }
            }
            assertThat(changed).isZero();
        }
        assertThat(mirror(follower)).isEqualTo(mirror);
    }

    @Test
    void theFollowerHasNoWebhookEndpointAndAnswersReadsFromItsOwnMirror() throws Exception {
        assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + follower.port + "/webhooks/authvital"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(ConnectException.class);
        assertThat(follower.camel().getRoute("authvital-webhook")).isNull();
        assertThat(follower.camel().getRoutes()).noneMatch(r -> r.getRouteId().startsWith("deliver-"));

        Instant t = Instant.now().minusSeconds(100);
        assertThat(primary.postSystem(Fixtures.tenantEvent("tenant.created", "tnt_follow_read", "follow-read"), t).status()).isEqualTo(200);
        OrgsyncApp.await("the tenant on the follower", () -> {
            try {
                return read("tnt_follow_read").statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofSeconds(60));
        assertThat(read("tnt_follow_read").body()).contains("Acme Corporation"); // now in the follower's read cache
        ObjectNode renamed = Fixtures.tenantEvent("tenant.updated", "tnt_follow_read", "follow-read");
        ((ObjectNode) renamed.get("data")).put("name", "Renamed in the primary");
        assertThat(primary.postSystem(renamed, t.plusSeconds(1)).status()).isEqualTo(200);
        // the follower's cache drops it when the follower's own mirror changes
        OrgsyncApp.await("the new name on the follower", () -> {
            try {
                return read("tnt_follow_read").body().contains("Renamed in the primary");
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofSeconds(60));
    }

    @Test
    void aTopicNothingWasPublishedToYetIsNoLagAndABrokerOutOfReachIsNotReady() {
        io.orgsync.ops.FollowerLag fresh = new io.orgsync.ops.FollowerLag(kafka.bootstrapServers(), "orgsync.changes.nothing-yet",
                "fresh-follower", 5, Duration.ofMillis(1000), null);
        assertThat(fresh.call().getState()).as("not measured yet").isEqualTo(org.apache.camel.health.HealthCheck.State.DOWN);
        fresh.start();
        try {
            OrgsyncApp.await("measured", () -> fresh.lag() == 0, Duration.ofSeconds(30));
            assertThat(fresh.call().getState()).isEqualTo(org.apache.camel.health.HealthCheck.State.UP);
        } finally {
            fresh.stop();
        }
        io.orgsync.ops.FollowerLag cutOff = new io.orgsync.ops.FollowerLag("127.0.0.1:" + OrgsyncApp.freePort(), TOPIC,
                "cut-off-follower", 5, Duration.ofMillis(1000), null);
        cutOff.start();
        try {
            OrgsyncApp.await("measuring failed", () -> cutOff.call().getMessage().orElse("").contains("cannot be measured"), Duration.ofSeconds(30));
            assertThat(cutOff.lag()).isEqualTo(-1);
            assertThat(cutOff.call().getState()).isEqualTo(org.apache.camel.health.HealthCheck.State.DOWN);
        } finally {
            cutOff.stop();
        }
    }

    @Test
    void itsLagIsAMetricAndReadinessIsDownPastTheBound() throws Exception {
        awaitInStep();
        OrgsyncApp.await("lag 0 and ready", () -> {
            try {
                return followerHealth().contains("\"status\": \"UP\"") || followerHealth().contains("\"status\":\"UP\"");
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofSeconds(30));
        assertThat(follower.admin("GET", "/observe/metrics", null).raw()).containsPattern("(?m)^orgsync_follower_lag(\\{[^}]*\\})? 0\\.0$");

        follower.camel().getRouteController().stopRoute("follow-changefeed");
        try {
            Instant t = Instant.now().minusSeconds(50);
            for (int i = 0; i < 10; i++) {
                ObjectNode updated = Fixtures.tenantEvent("tenant.updated", "tnt_follow_lag", "follow-lag");
                ((ObjectNode) updated.get("data")).put("name", "lagging " + i);
                assertThat(primary.postSystem(updated, t.plusMillis(i)).status()).isEqualTo(200);
            }
            OrgsyncApp.await("readiness DOWN past 5 messages of lag", () -> {
                try {
                    return followerHealth().contains("changefeed messages not yet applied");
                } catch (Exception e) {
                    return false;
                }
            }, Duration.ofSeconds(60));
        } finally {
            follower.camel().getRouteController().startRoute("follow-changefeed");
        }
        awaitInStep();
        OrgsyncApp.await("ready again", () -> {
            try {
                return !followerHealth().contains("changefeed messages not yet applied");
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofSeconds(30));
    }
}
