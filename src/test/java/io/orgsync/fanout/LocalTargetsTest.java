package io.orgsync.fanout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Fixtures;
import io.orgsync.support.LogCapture;
import io.orgsync.support.OrgsyncApp;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The archive folder and the daily audit files, as shipped (no bucket, no SIEM): a claim's rows are
 * written at once (routes batch-archive and batch-audit-sink); when that fails, each row is delivered
 * alone, so a row that cannot be written retries by itself while the rest of its claim is done, and
 * nothing is written twice.
 */
class LocalTargetsTest {

    static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void aClaimIsWrittenAtOnceAndWhatCannotBeWrittenRetriesAloneWhileTheRestIsDone() throws Exception {
        LogCapture logs = new LogCapture();
        logs.attach();
        // the first claim comes after the poll period: every event below is in it
        try (OrgsyncApp app = OrgsyncApp.start(Map.of("orgsync.outbox.poll-ms", "3000",
                "orgsync.target.archive.initial-backoff-ms", "200", "orgsync.target.archive.max-backoff-ms", "400"))) {
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            String day = String.format("%04d/%02d/%02d", today.getYear(), today.getMonthValue(), today.getDayOfMonth());
            // a file where today's AuthVital archive folder should be: those documents cannot be written
            Path blocked = app.workDir.resolve("archive/authvital/" + day);
            Files.createDirectories(blocked.getParent());
            Files.writeString(blocked, "in the way");

            List<String> authvital = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                ObjectNode created = Fixtures.tenantEvent("tenant.created", "tnt_local" + i, "local-" + i);
                assertThat(app.postSystem(created).status()).isEqualTo(200);
            }
            authvital.addAll(app.rows("SELECT event_id FROM orgsync_events WHERE source = 'authvital'").stream()
                    .map(r -> (String) r.get("event_id")).toList());
            assertThat(authvital).hasSize(3);
            for (String org : List.of("org_local1", "org_local2")) {
                ObjectNode member = Fixtures.clerk("organizationMembership.created");
                ((ObjectNode) member.get("data")).put("id", "orgmem_" + org);
                ((ObjectNode) member.get("data").get("organization")).put("id", org);
                assertThat(app.postClerk(member, "msg_" + org).status()).isEqualTo(200);
            }

            // the audit lines are unaffected: one per event, in one file
            OrgsyncApp.await("the audit sink", () -> app.outbox("audit-sink", "done") == 5, WAIT);
            List<JsonNode> lines = new ArrayList<>();
            for (String line : Files.readAllLines(app.workDir.resolve("audit/audit-" + today + ".jsonl"))) {
                lines.add(Fixtures.MAPPER.readTree(line));
            }
            assertThat(lines).hasSize(5);
            assertThat(lines.stream().map(l -> l.path("event_id").asText()).distinct()).hasSize(5);
            // the batch's counters, by event type as for one row's delivery; the webhooks' too
            String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://localhost:" + app.managementPort + "/observe/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).containsPattern("orgsync_delivery_successes_total\\{[^}]*target=\"audit-sink\"[^}]*type=\"tenant.created\"[^}]*} 3\\.0")
                    .containsPattern("orgsync_delivery_successes_total\\{[^}]*target=\"audit-sink\"[^}]*type=\"organizationMembership.created\"[^}]*} 2\\.0")
                    .containsPattern("orgsync_delivery_attempts_total\\{[^}]*target=\"audit-sink\"[^}]*type=\"tenant.created\"[^}]*} 3\\.0")
                    .containsPattern("orgsync_webhook_accepted_total\\{[^}]*source=\"authvital\"[^}]*type=\"tenant.created\"[^}]*} 3\\.0");

            // Clerk's documents written, AuthVital's retried one by one as retryable failures, none dead
            OrgsyncApp.await("Clerk's documents", () -> app.count("orgsync_outbox o JOIN orgsync_events e ON e.id = o.event_pk "
                    + "WHERE o.target = 'archive' AND o.status = 'done' AND e.source = 'clerk'") == 2, WAIT);
            try (Stream<Path> clerk = Files.list(app.workDir.resolve("archive/clerk/" + day))) {
                assertThat(clerk.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("msg_org_local1.json", "msg_org_local2.json");
            }
            OrgsyncApp.await("AuthVital's documents retried", () -> app.count("orgsync_outbox WHERE target = 'archive' AND status = 'pending' "
                    + "AND attempts >= 2 AND error_category = 'retryable'") == 3, WAIT);
            assertThat(app.outbox("archive", "dead")).isZero();
            // each failed attempt kept, with its error, for each of them
            assertThat(app.count("(SELECT DISTINCT a.outbox_id FROM orgsync_outbox_attempts a JOIN orgsync_outbox o ON o.id = a.outbox_id "
                    + "WHERE o.target = 'archive' AND a.category = 'retryable' AND a.error LIKE '%Exception%') failed")).isEqualTo(3);

            // the way cleared: the next attempts write them, and no temporary is left anywhere
            Files.delete(blocked);
            OrgsyncApp.await("the archive", () -> app.outbox("archive", "done") == 5, WAIT);
            for (String eventId : authvital) {
                JsonNode document = Fixtures.MAPPER.readTree(app.workDir.resolve("archive/authvital/" + day + "/"
                        + eventId.replaceAll("[^A-Za-z0-9._-]", "_").substring(0, Math.min(100, eventId.length())) + "-"
                        + sha256(eventId).substring(0, 12) + ".json").toFile());
                assertThat(document.path("event_id").asText()).isEqualTo(eventId);
            }
            try (Stream<Path> all = Files.walk(app.workDir.resolve("archive"))) {
                assertThat(all.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".writing-"))).isEmpty();
            }
            assertThat(Files.readAllLines(app.workDir.resolve("audit/audit-" + today + ".jsonl"))).hasSize(5);

            // the webhook counter's tag follows each message's type through the one endpoint
            assertThat(app.postSystem(Fixtures.system("application.created")).status()).isEqualTo(200);
            String after = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://localhost:" + app.managementPort + "/observe/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(after).containsPattern("orgsync_webhook_accepted_total\\{[^}]*source=\"authvital\"[^}]*type=\"tenant.created\"[^}]*} 3\\.0")
                    .containsPattern("orgsync_webhook_accepted_total\\{[^}]*source=\"authvital\"[^}]*type=\"application.created\"[^}]*} 1\\.0");
        } finally {
            logs.detach();
        }
        // the claim was tried at once, then row by row; each row's delivery is in the trail either way
        assertThat(logs.lines).anyMatch(l -> l.startsWith("5 archive rows could not be delivered at once (") && l.contains("Not a directory"));
        assertThat(logs.lines).noneMatch(l -> l.contains("audit-sink rows could not be delivered at once"));
        assertThat(logs.events.stream().filter(l -> l.logger().equals("io.orgsync.trail") && l.text().startsWith("Delivered ")))
                .extracting(l -> l.mdc().get("target")).containsOnly("archive", "audit-sink", "provisioning").filteredOn("audit-sink"::equals).hasSize(5);
    }

    static String sha256(String text) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
