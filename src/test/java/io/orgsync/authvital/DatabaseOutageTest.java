package io.orgsync.authvital;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invariant 4 (docs/invariants.md): when PostgreSQL is unreachable, AuthVital sync events get 503 (AuthVital
 * retries them), system webhooks (never retried by AuthVital) go to the durable spool and are
 * applied when the database is back. Nothing acknowledged is lost.
 */
class DatabaseOutageTest {

    @Test
    void syncEventsGet503AndSystemWebhooksAreSpooledThenApplied() throws Exception {
        Path dataDir = Files.createTempDirectory("orgsync-outage-pg");
        int pgPort = freePort();
        EmbeddedPostgres pg = start(dataDir, pgPort);
        try (OrgsyncApp app = OrgsyncApp.start(pg.getJdbcUrl("postgres", "postgres"),
                Map.of("orgsync.db.connect-timeout-ms", "500"))) {
            assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);

            pg.close();

            OrgsyncApp.Reply sync = app.postSync(Fixtures.seed("tenant.updated"));
            assertThat(sync.status()).as(sync.raw()).isEqualTo(503);
            assertThat(sync.code()).isEqualTo("database_unavailable");
            assertThat(sync.status("event_id")).isEqualTo("evt_test002");

            ObjectNode system = Fixtures.system("tenant.created");
            OrgsyncApp.Reply spooled = app.postSystem(system, Instant.now());
            assertThat(spooled.status()).as(spooled.raw()).isEqualTo(202);
            assertThat(spooled.status("status")).isEqualTo("spooled");
            // and one whose created_at PostgreSQL will refuse (year 0): valid JSON and schema, so spooled too
            ObjectNode yearZero = Fixtures.system("tenant.created");
            ((ObjectNode) yearZero.get("data")).put("tenant_id", "tnt_year0").put("created_at", "0000-01-01T00:00:00Z");
            assertThat(app.postSystem(yearZero, Instant.now()).status()).isEqualTo(202);
            Path spool = app.workDir.resolve("spool").resolve("authvital");
            assertThat(jsonFiles(spool)).isEqualTo(2);

            // an authentic event that cannot be applied, while the database is down: still kept (a
            // durable file), answered as it would be, and moved into the quarantine table later
            ObjectNode noTenant = Fixtures.system("tenant.updated");
            ((ObjectNode) noTenant.get("data")).remove("tenant_id");
            OrgsyncApp.Reply refused = app.postSystem(noTenant, Instant.now());
            assertThat(refused.status()).as(refused.raw()).isEqualTo(400);
            assertThat(refused.code()).isEqualTo("invalid_event");
            Path quarantined = app.workDir.resolve("spool").resolve("quarantine");
            assertThat(jsonFiles(quarantined)).isEqualTo(1);
            // and when it cannot be written either (a file where its folder should be): 503, so it is sent again
            Path aside = Files.move(quarantined, quarantined.resolveSibling("quarantine-aside"));
            Files.writeString(quarantined, "not a folder");
            ObjectNode noTenantAgain = Fixtures.system("tenant.suspended");
            ((ObjectNode) noTenantAgain.get("data")).remove("tenant_id");
            OrgsyncApp.Reply unkept = app.postSystem(noTenantAgain, Instant.now());
            assertThat(unkept.status()).as(unkept.raw()).isEqualTo(503);
            assertThat(unkept.code()).isEqualTo("quarantine_unavailable");
            Files.delete(quarantined);
            Files.move(aside, quarantined);

            pg = start(dataDir, pgPort);

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && (jsonFiles(spool) > 0 || app.rows("SELECT 1 FROM av_organizations WHERE id = 'tnt_acme123'").isEmpty())) {
                Thread.sleep(200);
            }
            assertThat(app.row("SELECT name, status FROM av_organizations WHERE id = 'tnt_acme123'"))
                    .containsEntry("name", "Acme Corporation").containsEntry("status", "active");
            assertThat(app.row("SELECT channel FROM orgsync_events WHERE event_type = 'tenant.created' AND channel = 'system'"))
                    .containsEntry("channel", "system");
            assertThat(jsonFiles(spool)).isZero();
            OrgsyncApp.await("the quarantine file moved into the table", () -> jsonFilesQuietly(quarantined) == 0
                    && app.count("orgsync_quarantine") == 2, Duration.ofSeconds(30));
            assertThat(app.row("SELECT code, event_type, channel FROM orgsync_quarantine WHERE code = 'invalid_event'"))
                    .containsEntry("event_type", "tenant.updated").containsEntry("channel", "system");
            // the spooled event the database refuses is quarantined, not replayed for ever
            assertThat(app.row("SELECT event_type, channel, reason FROM orgsync_quarantine WHERE code = 'invalid_field'"))
                    .containsEntry("event_type", "tenant.created").containsEntry("channel", "system");
            assertThat(app.count("av_organizations WHERE id = 'tnt_year0'")).isZero();

            // AuthVital's retry of the sync event now lands
            OrgsyncApp.Reply retry = app.postSync(Fixtures.seed("tenant.updated"));
            assertThat(retry.status()).as(retry.raw()).isEqualTo(200);
            assertThat(app.row("SELECT plan FROM av_organizations WHERE id = 'tnt_test123'")).containsEntry("plan", "enterprise");
            assertThat(app.count("av_organization_audit_logs")).isEqualTo(3);
        } finally {
            pg.close();
        }
    }

    @Test
    void pastItsCapTheSpoolAnswers503AndAnUnreadableSpoolFileIsMovedAsideWithItsReason() throws Exception {
        Path dataDir = Files.createTempDirectory("orgsync-outage-pg");
        int pgPort = freePort();
        EmbeddedPostgres pg = start(dataDir, pgPort);
        try (OrgsyncApp app = OrgsyncApp.start(pg.getJdbcUrl("postgres", "postgres"),
                Map.of("orgsync.db.connect-timeout-ms", "500", "orgsync.spool.max-files", "1"))) {
            Path spool = app.workDir.resolve("spool").resolve("authvital");
            Path rejected = app.workDir.resolve("spool").resolve("rejected");
            Files.createDirectories(spool);
            // left by a crash mid-write, or damaged on disk: never applicable, never retried for ever
            Files.write(spool.resolve("00000000-empty.json"), new byte[0]);
            Files.writeString(spool.resolve("00000001-broken.json"), "[{\"event_id\": ");
            OrgsyncApp.await("unreadable spool files moved aside", () -> jsonFilesQuietly(spool) == 0, Duration.ofSeconds(20));
            assertThat(Files.readString(rejected.resolve("00000000-empty.json.reason"))).isEqualTo("the file is empty");
            assertThat(Files.readString(rejected.resolve("00000001-broken.json.reason"))).startsWith("the file is not JSON");
            assertThat(Files.readString(rejected.resolve("00000001-broken.json"))).isEqualTo("[{\"event_id\": ");

            pg.close();
            OrgsyncApp.Reply first = app.postSystem(Fixtures.system("tenant.created"), Instant.now());
            assertThat(first.status()).as(first.raw()).isEqualTo(202);
            OrgsyncApp.Reply full = app.postSystem(Fixtures.system("tenant.updated"), Instant.now());
            assertThat(full.status()).as(full.raw()).isEqualTo(503);
            assertThat(full.code()).isEqualTo("spool_full");
            assertThat(jsonFiles(spool)).isEqualTo(1);
            try (Stream<Path> leftovers = Files.list(spool)) {
                assertThat(leftovers.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".writing-"));
            }

            pg = start(dataDir, pgPort);
            OrgsyncApp.await("the spooled event applied", () -> jsonFilesQuietly(spool) == 0, Duration.ofSeconds(30));
            assertThat(app.row("SELECT name FROM av_organizations WHERE id = 'tnt_acme123'")).containsEntry("name", "Acme Corporation");
        } finally {
            pg.close();
        }
    }

    static long jsonFilesQuietly(Path dir) {
        try {
            return jsonFiles(dir);
        } catch (IOException e) {
            return -1;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static EmbeddedPostgres start(Path dataDir, int port) throws IOException {
        return EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false).setPort(port).start();
    }

    static long jsonFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".json")).count();
        }
    }
}
