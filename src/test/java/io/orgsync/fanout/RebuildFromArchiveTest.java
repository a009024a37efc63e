package io.orgsync.fanout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
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
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.S3Server;
import io.orgsync.support.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rebuild from the archive, over real parts (s3proxy as S3, an embedded PostgreSQL): a shuffled,
 * duplicated stream of 2,000 webhooks into orgsync, whose archive target writes each verified event to
 * S3; then the database is dropped and made again, empty; a rebuild of the time range reads the archive
 * back through the webhooks' own statements, and the mirror equals the original, row by row.
 */
class RebuildFromArchiveTest {

    static final String BUCKET = "orgsync-rebuild";
    static final String ADMIN = "rebuild-admin-token-0123456789abcdef";
    /**
     * The columns a mirror row holds that no event sets: this database's own bookkeeping (when it
     * wrote the row, the changefeed's number, when the lifecycle's steps happened here). Every other
     * column is compared.
     */
    static final Set<String> OWN_COLUMNS = Set.of("created_at", "updated_at", "synced_at", "change_seq", "lifecycle_at",
            "provisioned_at", "activated_at");
    static S3Server s3;
    static String dbUrl;
    static OrgsyncApp app;

    @BeforeAll
    static void start() {
        s3 = new S3Server();
        try (S3Client client = s3.client()) {
            client.createBucket(b -> b.bucket(BUCKET));
        }
        dbUrl = TestDatabase.newDatabaseUrl();
        app = OrgsyncApp.start(dbUrl, properties());
    }

    static Map<String, String> properties() {
        Map<String, String> p = new HashMap<>(s3.properties(BUCKET));
        p.put("orgsync.admin.token", ADMIN);
        p.put("orgsync.provisioning.mode", "prefix");
        return p;
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        s3.close();
    }

    /** Every row of the mirror's tables but this database's own columns, as JSON text, by table and id. */
    static Map<String, String> mirror(OrgsyncApp app) {
        Map<String, String> rows = new LinkedHashMap<>();
        String own = String.join("', '", OWN_COLUMNS);
        for (String table : FollowerTest.TABLES) {
            app.rows("SELECT id, CAST(to_jsonb(t) - ARRAY['" + own + "'] AS text) AS row FROM " + table + " t ORDER BY id")
                    .forEach(r -> rows.put(table + "/" + r.get("id"), (String) r.get("row")));
        }
        return rows;
    }

    /** The fields of two rows (JSON text) that differ, each with both values. */
    static String difference(String original, String rebuilt) {
        if (rebuilt == null) {
            return "missing";
        }
        try {
            JsonNode a = Fixtures.MAPPER.readTree(original);
            JsonNode b = Fixtures.MAPPER.readTree(rebuilt);
            List<String> fields = new ArrayList<>();
            a.fieldNames().forEachRemaining(f -> {
                if (!a.get(f).equals(b.get(f))) {
                    fields.add(f + " " + a.get(f) + " → " + b.get(f));
                }
            });
            return String.join("; ", fields);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static JsonNode awaitRun(long runId) {
        return awaitRun(app, ADMIN, runId);
    }

    /** The run once it has ended, as the admin API shows it. */
    static JsonNode awaitRun(OrgsyncApp app, String token, long runId) {
        JsonNode[] run = new JsonNode[1];
        OrgsyncApp.await("rebuild run " + runId + " ended", () -> {
            run[0] = app.admin("GET", "/admin/reconcile/runs/" + runId, token).json();
            return !"running".equals(run[0].path("status").asText());
        }, Duration.ofSeconds(240));
        return run[0];
    }

    static long rebuild(Instant from, Instant to) {
        OrgsyncApp.Reply started = app.admin("POST", "/admin/rebuild", ADMIN, "{\"from\":\"" + from + "\",\"to\":\"" + to + "\"}");
        assertThat(started.status()).as(started.raw()).isEqualTo(202);
        return started.json().path("run_id").asLong();
    }

    static final Instant SYNCED_AT = Instant.now().minusSeconds(30);

    /** A sync event (signed over id.timestamp.body) renaming tenant n of the stream, newer than the stream's events. */
    static ObjectNode sync(int n) {
        ObjectNode sync = Fixtures.seed("tenant.updated");
        sync.put("id", "evt_rebuild_" + n).put("tenant_id", "tnt_follow_" + n).put("timestamp", SYNCED_AT.plusMillis(n).toString());
        ((ObjectNode) sync.get("data")).put("tenant_id", "tnt_follow_" + n).put("slug", "follow-" + n).put("name", "Synced " + n);
        return sync;
    }

    static boolean settled() {
        return app.count("orgsync_outbox WHERE status <> 'done'") == 0;
    }

    @Test
    void aLostDatabaseIsRebuiltFromTheArchiveAndItsMirrorEqualsTheOriginalRowByRow() throws Exception {
        Instant from = Instant.now().minusSeconds(5);
        // two events about one tenant with the same event time, one after the other (as the samples are):
        // the last received wins, and must again in the rebuild (their archive keys, the ids, sort the other way)
        for (String type : List.of("tenant.created", "tenant.updated")) {
            ObjectNode tie = Fixtures.seed(type);
            tie.put("id", type.equals("tenant.created") ? "evt_tie_2" : "evt_tie_1").put("tenant_id", "tnt_tie");
            ((ObjectNode) tie.get("data")).put("tenant_id", "tnt_tie").put("slug", "tie");
            assertThat(app.postSync(tie).status()).isEqualTo(200);
        }
        assertThat(app.row("SELECT plan FROM av_organizations WHERE id = 'tnt_tie'")).containsEntry("plan", "enterprise");
        List<Callable<Integer>> calls = new ArrayList<>(FollowerTest.stream(app, Instant.now().minusSeconds(200)));
        // and sync events (signed over id.timestamp.body), each with its own id
        for (int n = 0; n < 20; n++) {
            ObjectNode sync = sync(n);
            calls.add(() -> app.postSync(sync).status());
        }
        assertThat(FollowerTest.sendShuffled(calls, 200, 23)).hasSize(calls.size() + 200).allMatch(s -> s == 200);
        // and a tenant only a reconciliation found: its event (channel reconcile) applied as the run applies it
        ObjectNode found = (ObjectNode) Fixtures.system("tenant.created").get("data");
        found.put("tenant_id", "tnt_reconciled").put("slug", "reconciled").put("name", "Found by a reconciliation");
        ObjectNode reconciled = io.orgsync.http.CanonicalEvents.event("authvital", "reconcile", "reconcile:tenant:tnt_reconciled:1",
                "tenant.created", Instant.now().minusSeconds(60), Instant.now(), "tnt_reconciled", null, Map.of(), found,
                found.toString().getBytes(StandardCharsets.UTF_8));
        app.camel().createProducerTemplate().send("direct:apply-authvital-event", exchange -> {
            exchange.setVariable("events", "[" + reconciled + "]");
            exchange.setVariable("eventType", "tenant.created");
        });
        assertThat(app.row("SELECT name FROM av_organizations WHERE id = 'tnt_reconciled'")).containsEntry("name", "Found by a reconciliation");
        OrgsyncApp.await("every event archived and every tenant provisioned", RebuildFromArchiveTest::settled, Duration.ofSeconds(180));
        long events = app.count("orgsync_events");
        Map<String, String> original = mirror(app);
        assertThat(original).hasSizeGreaterThan(500);
        assertThat(app.count("av_organizations WHERE lifecycle = 'active' AND storage_prefix IS NOT NULL")).isGreaterThanOrEqualTo(80);
        Instant to = Instant.now().plusSeconds(5);

        // the database is lost; orgsync starts on an empty one, against the same archive
        app.close();
        app = null;
        TestDatabase.recreate(dbUrl);
        app = OrgsyncApp.start(dbUrl, properties());
        assertThat(mirror(app)).isEmpty();

        JsonNode run = awaitRun(rebuild(from, to));
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("succeeded");
        assertThat(run.path("source").asText()).isEqualTo("archive");
        JsonNode progress = run.path("progress");
        assertThat(progress.path("failed").asLong()).isZero();
        assertThat(progress.path("applied").asLong()).as(progress.toString()).isEqualTo(events);
        assertThat(progress.path("read").asLong()).isEqualTo(events + progress.path("out_of_range").asLong());
        OrgsyncApp.await("the rebuilt tenants provisioned", RebuildFromArchiveTest::settled, Duration.ofSeconds(180));

        Map<String, String> rebuilt = mirror(app);
        // a tenant deleted by the end: the original recorded its storage if its provisioning ran before the
        // delete came (arrival order); the rebuild records the names for every one, so its purge finds them
        for (String key : original.keySet()) {
            JsonNode before = Fixtures.MAPPER.readTree(original.get(key));
            if (key.startsWith("av_organizations/") && before.path("lifecycle").asText().equals("deleted")) {
                JsonNode after = Fixtures.MAPPER.readTree(rebuilt.get(key));
                assertThat(after.path("storage_prefix").asText()).as(key).startsWith("tenants/");
                if (!before.path("storage_prefix").isNull()) {
                    assertThat(after.path("storage_prefix")).as(key).isEqualTo(before.path("storage_prefix"));
                }
                original.put(key, ((ObjectNode) before).put("storage_prefix", "(checked above)").toString());
                rebuilt.put(key, ((ObjectNode) after).put("storage_prefix", "(checked above)").toString());
            }
        }
        List<String> differences = original.keySet().stream().filter(k -> !original.get(k).equals(rebuilt.get(k)))
                .limit(3).map(k -> k + ": " + difference(original.get(k), rebuilt.get(k))).toList();
        assertThat(differences).as("rows that differ").isEmpty();
        assertThat(rebuilt).isEqualTo(original);
        assertThat(app.count("orgsync_events WHERE origin = 'archive'")).isEqualTo(events);
        Map<String, String> rebuiltMirror = mirror(app);

        // its events went only where orgsync.fanout.rebuilt says: provisioning of each tenant created
        assertThat(app.rows("SELECT DISTINCT target FROM orgsync_outbox").stream().map(r -> r.get("target")).toList())
                .containsExactly("provisioning");
        assertThat(app.count("orgsync_outbox")).isEqualTo(app.count("orgsync_events WHERE event_type = 'tenant.created'"));

        // an event the rebuild recorded, delivered again: a duplicate
        assertThat(app.postSync(sync(3)).status("status")).isEqualTo("duplicate");

        // the same range again: every document a duplicate, nothing changes
        JsonNode second = awaitRun(rebuild(from, to));
        assertThat(second.path("status").asText()).isEqualTo("succeeded");
        assertThat(second.path("progress").path("duplicate").asLong()).isEqualTo(events);
        assertThat(second.path("progress").path("applied").asLong()).isZero();
        assertThat(mirror(app)).isEqualTo(rebuiltMirror);

        // a document that is not one orgsync wrote: counted and named, the others still applied
        String day = String.format("authvital/%1$tY/%1$tm/%1$td/", Instant.now().atOffset(ZoneOffset.UTC));
        try (S3Client client = s3.client()) {
            client.putObject(b -> b.bucket(BUCKET).key(day + "zz-not-an-event.json"), RequestBody.fromString("{\"hello\":1}", StandardCharsets.UTF_8));
        }
        JsonNode third = awaitRun(rebuild(from, to));
        assertThat(third.path("status").asText()).isEqualTo("failed");
        assertThat(third.path("progress").path("failed").asLong()).isEqualTo(1);
        assertThat(third.path("progress").path("failures").get(0).path("key").asText()).isEqualTo(day + "zz-not-an-event.json");
        assertThat(third.path("error").asText()).contains("1 archived events could not be applied");
        assertThat(third.path("progress").path("duplicate").asLong()).isEqualTo(events);
    }

    @Test
    void aRebuildRequestThatIsWrongIsRefusedAndStartsNothing() {
        long runs = app.count("orgsync_reconcile_runs");
        assertThat(app.admin("POST", "/admin/rebuild", null, "{\"from\":\"2026-11-01T00:00:00Z\"}").status()).isEqualTo(401);
        Map<String, String> wrong = new LinkedHashMap<>();
        wrong.put("not json", "malformed_json");
        wrong.put("[1]", "invalid_envelope");
        wrong.put("{}", "invalid_request");
        wrong.put("{\"from\":\"yesterday\"}", "invalid_request");
        wrong.put("{\"from\":\"2026-11-02T00:00:00Z\",\"to\":\"2026-11-01T00:00:00Z\"}", "invalid_request");
        wrong.put("{\"from\":\"2020-01-01T00:00:00Z\",\"to\":\"2026-11-01T00:00:00Z\"}", "invalid_request");
        wrong.put("{\"from\":\"2026-11-01T00:00:00Z\",\"sources\":[\"okta\"]}", "invalid_request");
        wrong.put("{\"from\":\"2026-11-01T00:00:00Z\",\"sources\":[]}", "invalid_request");
        wrong.put("{\"form\":\"2026-11-01T00:00:00Z\"}", "invalid_request");
        wrong.forEach((body, code) -> {
            OrgsyncApp.Reply reply = app.admin("POST", "/admin/rebuild", ADMIN, body);
            assertThat(reply.status()).as(body + " → " + reply.raw()).isEqualTo(400);
            assertThat(reply.code()).as(body).isEqualTo(code);
            assertThat(reply.json().path("message").asText()).isNotBlank();
        });
        assertThat(app.admin("GET", "/admin/rebuild", ADMIN).status()).isEqualTo(405);
        assertThat(app.count("orgsync_reconcile_runs")).isEqualTo(runs);
    }
}
