package io.orgsync.fanout;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Fixtures;
import io.orgsync.support.KafkaBroker;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A follower started on an empty database after the changefeed's retention removed the messages of
 * the first events: the feed alone cannot give it those rows. A rebuild from the primary's archive
 * seeds its mirror, then switches it to the feed from the position recorded before the archive was
 * read; what the primary applies after that reaches it through the feed. Its mirror then equals the
 * primary's in every column an event sets. A rebuild whose feed position the topic no longer holds is
 * refused before it changes anything.
 */
class FollowerSeedTest {

    static final String TOPIC = "orgsync.changes.seed";
    static final String ADMIN = "seed-admin-token-0123456789abcdef";
    /**
     * Besides the database's own bookkeeping (RebuildFromArchiveTest.OWN_COLUMNS): what the primary's
     * own targets wrote back on a tenant row (its storage, provisioning time), which is in no event;
     * a follower's row has it once a change of the row reaches it through the feed.
     */
    static final Set<String> WRITTEN_BACK = Set.of("storage_bucket", "storage_prefix", "tenant_schema", "stripe_customer_id",
            "stripe_subscription_id", "stripe_subscription_item_id", "stripe_plan", "stripe_event_at");
    static KafkaBroker kafka;
    static OrgsyncApp primary;
    static OrgsyncApp follower;

    @BeforeAll
    static void start() {
        kafka = KafkaBroker.start();
        Map<String, String> p = new HashMap<>();
        p.put("orgsync.changefeed.brokers", kafka.bootstrapServers());
        p.put("orgsync.changefeed.topic", TOPIC);
        primary = OrgsyncApp.start(p);
    }

    @AfterAll
    static void stop() {
        if (follower != null) {
            follower.close();
        }
        primary.close();
        kafka.close();
    }

    static OrgsyncApp startFollower() {
        Map<String, String> p = new HashMap<>();
        p.put("orgsync.mode", "follower");
        p.put("orgsync.changefeed.brokers", kafka.bootstrapServers());
        p.put("orgsync.changefeed.topic", TOPIC);
        p.put("orgsync.follower.group-id", "seeded-follower");
        p.put("orgsync.admin.token", ADMIN);
        // the primary's archive (in production, both read one S3 bucket)
        p.put("orgsync.archive.dir", primary.workDir.resolve("archive").toString());
        p.put("orgsync.rebuild.feed-overlap-ms", "0");
        return OrgsyncApp.start(TestDatabase.newDatabaseUrl(), p);
    }

    /** The mirror's rows in every column an event sets. */
    static Map<String, String> mirror(OrgsyncApp app) {
        Map<String, String> rows = new LinkedHashMap<>();
        RebuildFromArchiveTest.mirror(app).forEach((key, row) -> {
            try {
                ObjectNode json = (ObjectNode) Fixtures.MAPPER.readTree(row);
                json.remove(WRITTEN_BACK);
                rows.put(key, json.toString());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        return rows;
    }

    /** Events about tenants from..to-1: each created, renamed twice, an application, an SSO provider; every 7th deleted. */
    static List<Callable<Integer>> tenants(int from, int to, Instant t0) {
        List<Callable<Integer>> calls = new ArrayList<>();
        for (int n = from; n < to; n++) {
            String tenant = "tnt_seed_" + n;
            List<ObjectNode> events = new ArrayList<>();
            events.add(Fixtures.tenantEvent("tenant.created", tenant, "seed-" + n));
            for (int v = 1; v <= 2; v++) {
                ObjectNode updated = Fixtures.tenantEvent("tenant.updated", tenant, "seed-" + n);
                ((ObjectNode) updated.get("data")).put("name", "Seed " + n + " v" + v);
                events.add(updated);
            }
            ObjectNode application = Fixtures.system("application.created");
            ((ObjectNode) application.get("data")).put("application_id", "app_seed_" + n).put("tenant_id", tenant);
            events.add(application);
            ObjectNode sso = Fixtures.system("sso.provider_added");
            ((ObjectNode) sso.get("data")).put("provider_id", "sso_seed_" + n).put("tenant_id", tenant);
            events.add(sso);
            if (n % 7 == 3) {
                events.add(Fixtures.tenantEvent("tenant.deleted", tenant, "seed-" + n));
            }
            for (int i = 0; i < events.size(); i++) {
                ObjectNode event = events.get(i);
                Instant at = t0.plusSeconds(n).plusMillis(10L * i);
                calls.add(() -> primary.postSystem(event, at).status());
            }
        }
        return calls;
    }

    static Callable<Integer> rename(int n, String name, Instant at) {
        ObjectNode updated = Fixtures.tenantEvent("tenant.updated", "tnt_seed_" + n, "seed-" + n);
        ((ObjectNode) updated.get("data")).put("name", name);
        return () -> primary.postSystem(updated, at).status();
    }

    static void send(List<Callable<Integer>> calls) throws Exception {
        assertThat(FollowerTest.sendShuffled(calls, calls.size() / 10, 29)).allMatch(s -> s == 200);
        OrgsyncApp.await("the primary's fan-out done", () -> primary.count("orgsync_outbox WHERE status <> 'done'") == 0, Duration.ofSeconds(120));
    }

    static JsonNode rebuild(Instant from, Instant to) {
        OrgsyncApp.Reply started = follower.admin("POST", "/admin/rebuild", ADMIN,
                "{\"from\":\"" + from + "\"" + (to == null ? "" : ",\"to\":\"" + to + "\"") + "}");
        assertThat(started.status()).as(started.raw()).isEqualTo(202);
        return RebuildFromArchiveTest.awaitRun(follower, ADMIN, started.json().path("run_id").asLong());
    }

    @Test
    void anEmptyFollowerIsSeededFromTheArchiveThenFollowsTheFeed() throws Exception {
        Instant from = Instant.now().minusSeconds(5);
        Instant t0 = Instant.now().minusSeconds(100); // system webhooks are fresh within 300 s
        // the first events; then the topic's retention takes their messages
        send(tenants(0, 30, t0));
        kafka.removeRecords(TOPIC);
        Instant retained = Instant.now();
        Thread.sleep(50);
        // later events: their messages are on the topic
        List<Callable<Integer>> later = new ArrayList<>(tenants(30, 40, t0));
        for (int n = 0; n < 10; n++) {
            later.add(rename(n, "Renamed " + n, t0.plusSeconds(60 + n)));
        }
        send(later);

        follower = startFollower();
        OrgsyncApp.await("the follower has what the topic holds", () -> follower.count("av_organizations") >= 20, Duration.ofSeconds(60));
        assertThat(follower.count("av_organizations WHERE id = 'tnt_seed_15'")).as("its messages are gone").isZero();

        // a feed position the topic no longer holds: refused before anything is read or changed
        long rows = follower.count("av_organizations");
        JsonNode refused = rebuild(from, retained.minusMillis(1));
        assertThat(refused.path("status").asText()).isEqualTo("failed");
        assertThat(refused.path("error").asText()).contains("no longer holds its messages");
        assertThat(refused.path("progress").path("read").asLong()).isZero();
        assertThat(follower.count("av_organizations")).isEqualTo(rows);
        assertThat(follower.camel().getRouteController().getRouteStatus("follow-changefeed").isStarted()).as("its consumer started again").isTrue();

        // the rebuild: the archive, then the feed from the position taken before it was read
        JsonNode run = rebuild(from, null);
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("succeeded");
        assertThat(run.path("progress").path("failed").asLong()).isZero();
        assertThat(run.path("progress").path("applied").asLong() + run.path("progress").path("duplicate").asLong())
                .isEqualTo(primary.count("orgsync_events"));
        assertThat(run.path("report").path("feed").path("positions").size()).isPositive();
        assertThat(follower.camel().getRouteController().getRouteStatus("follow-changefeed").isStarted()).isTrue();
        // nothing fanned out on a follower
        assertThat(follower.count("orgsync_outbox")).isZero();

        // what the primary applies next reaches the seeded rows through the feed
        List<Callable<Integer>> next = new ArrayList<>();
        for (int n = 10; n < 20; n++) {
            next.add(rename(n, "After the seed " + n, t0.plusSeconds(80 + n)));
        }
        send(next);
        try {
            OrgsyncApp.await("the follower's mirror equal to the primary's", () -> mirror(follower).equals(mirror(primary)), Duration.ofSeconds(60));
        } finally {
            Map<String, String> expected = mirror(primary);
            Map<String, String> actual = mirror(follower);
            assertThat(expected.keySet().stream().filter(k -> !expected.get(k).equals(actual.get(k))).limit(3)
                    .map(k -> k + ": " + RebuildFromArchiveTest.difference(expected.get(k), actual.get(k))).toList()).as("rows that differ").isEmpty();
        }
        assertThat(follower.row("SELECT name, change_seq > 0 AS from_feed FROM av_organizations WHERE id = 'tnt_seed_12'"))
                .containsEntry("name", "After the seed 12").containsEntry("from_feed", true);
        assertThat(follower.row("SELECT change_seq FROM av_organizations WHERE id = 'tnt_seed_25'")).as("seeded, not changed since")
                .containsEntry("change_seq", 0L);

        // while a rebuild has its consumer stopped, the follower is not ready (its mirror is partial)
        io.orgsync.ops.FollowerFeed feed = follower.camel().getRegistry().lookupByNameAndType("followerFeed", io.orgsync.ops.FollowerFeed.class);
        OrgsyncApp.await("ready", () -> !health().contains("DOWN"), Duration.ofSeconds(30));
        feed.pause();
        assertThat(health()).contains("DOWN").contains("a rebuild from the archive is seeding its mirror");
        feed.resume();
        OrgsyncApp.await("ready again", () -> !health().contains("DOWN"), Duration.ofSeconds(30));
    }

    static String health() {
        try {
            return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://localhost:" + follower.managementPort + "/observe/health/ready")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return "unreachable: " + e;
        }
    }
}
