package io.orgsync.jar;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Fixtures;
import io.orgsync.support.KafkaBroker;
import io.orgsync.support.OrgsyncApp;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A follower, the packaged jar on its own durable embedded PostgreSQL, killed (kill -9) while it applies
 * the changefeed of a primary under load, then started again: its mirror ends equal to the primary's
 * (nothing lost), and no change was applied twice (its lifecycle log, written by its own triggers
 * whenever a message changes a tenant, has no transition twice).
 */
class FollowerCrashIT {

    static final List<String> TABLES = List.of("av_organizations", "av_applications", "organizations", "organization_members");

    static Map<String, String> mirror(String url) throws Exception {
        Map<String, String> rows = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement()) {
            for (String table : TABLES) {
                try (ResultSet r = s.executeQuery("SELECT id, CAST(to_jsonb(t) AS text) FROM " + table + " t ORDER BY id")) {
                    while (r.next()) {
                        rows.put(table + "/" + r.getString(1), r.getString(2));
                    }
                }
            }
        }
        return rows;
    }

    static long count(String url, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement();
             ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    @Test
    void aFollowerKilledMidStreamLosesNothingAndAppliesNothingTwice() throws Exception {
        String topic = "orgsync.changes.crash";
        try (KafkaBroker kafka = KafkaBroker.start()) {
            Map<String, String> feed = Map.of("orgsync.changefeed.brokers", kafka.bootstrapServers(), "orgsync.changefeed.topic", topic);
            OrgsyncApp primary = OrgsyncApp.start(feed);
            Path work = Files.createTempDirectory("orgsync-follower-crash");
            Map<String, String> env = new HashMap<>(PackagedJarIT.environment(work, PackagedJarIT.freePort(), PackagedJarIT.freePort()));
            env.put("ORGSYNC_MODE", "follower");
            env.put("ORGSYNC_CHANGEFEED_BROKERS", kafka.bootstrapServers());
            env.put("ORGSYNC_CHANGEFEED_TOPIC", topic);
            env.put("ORGSYNC_FOLLOWER_GROUP_ID", "crash-follower");
            PackagedJarIT helper = new PackagedJarIT();
            Process follower = helper.start(env, work.resolve("first.log"));
            try {
                String url = PackagedJarIT.jdbcUrl(PackagedJarIT.awaitLog(work.resolve("first.log"), "started in", Duration.ofSeconds(90)));
                // 1,200 changes: 200 tenants created, each then renamed 5 times, while the follower applies them
                Instant t = Instant.now().minusSeconds(200);
                List<ObjectNode> events = new ArrayList<>();
                for (int v = 0; v <= 5; v++) {
                    for (int n = 0; n < 200; n++) {
                        ObjectNode event = Fixtures.tenantEvent(v == 0 ? "tenant.created" : "tenant.updated", "tnt_crash_" + n, "crash-" + n);
                        ((ObjectNode) event.get("data")).put("name", "Crash " + n + " v" + v);
                        events.add(event);
                    }
                }
                boolean killed = false;
                for (int i = 0; i < events.size(); i++) {
                    assertThat(primary.postSystem(events.get(i), t.plusMillis(i)).status()).isEqualTo(200);
                    if (!killed && i >= 400 && count(url, "SELECT count(*) FROM av_organizations") >= 50) {
                        follower.destroyForcibly(); // kill -9, while it applies the feed
                        follower.waitFor(30, TimeUnit.SECONDS);
                        killed = true;
                    }
                }
                assertThat(killed).as("the follower was killed mid-stream").isTrue();
            } finally {
                follower.destroyForcibly();
            }
            follower = helper.start(env, work.resolve("second.log"));
            try {
                String url = PackagedJarIT.jdbcUrl(PackagedJarIT.awaitLog(work.resolve("second.log"), "started in", Duration.ofSeconds(90)));
                OrgsyncApp.await("the primary's changefeed delivered",
                        () -> primary.count("orgsync_outbox WHERE target = 'changefeed' AND status <> 'done'") == 0, Duration.ofSeconds(120));
                Map<String, String> expected = new LinkedHashMap<>();
                for (String table : TABLES) {
                    primary.rows("SELECT id, CAST(to_jsonb(t) AS text) AS row FROM " + table + " t ORDER BY id")
                            .forEach(r -> expected.put(table + "/" + r.get("id"), (String) r.get("row")));
                }
                OrgsyncApp.await("the follower's mirror equal to the primary's", () -> {
                    try {
                        return mirror(url).equals(expected);
                    } catch (Exception e) {
                        return false;
                    }
                }, Duration.ofSeconds(120));
                assertThat(expected).hasSize(200);
                assertThat(count(url, "SELECT count(*) FROM (SELECT organization_id, from_state, to_state, cause FROM av_organization_lifecycle "
                        + "GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) twice")).as("no change applied twice").isZero();
                assertThat(count(url, "SELECT count(DISTINCT organization_id) FROM av_organization_lifecycle")).isEqualTo(200);
            } finally {
                follower.destroy();
                follower.waitFor(45, TimeUnit.SECONDS);
                primary.close();
            }
        }
    }
}
