package io.orgsync.fanout;

import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retention prunes what is done with, in batches: done outbox rows and the raw bodies the archive
 * holds. It keeps pending and dead rows and the event rows, so a redelivery stays a duplicate.
 */
class RetentionTest {

    @Test
    void doneRowsAndArchivedBodiesArePrunedInBatchesWhatIsPendingOrDeadIsKept() throws Exception {
        try (OrgsyncApp app = OrgsyncApp.start(Map.of("orgsync.retention.keep-hours", "0", "orgsync.retention.batch-size", "3",
                "orgsync.retention.period-ms", "300",
                // the audit sink points nowhere reachable: its rows end as dead letters, which stay
                "orgsync.audit.url", "http://127.0.0.1:9/audit", "orgsync.target.audit-sink.max-attempts", "1"))) {
            for (int i = 0; i < 10; i++) {
                ObjectNode event = Fixtures.seed("tenant.updated");
                event.put("id", "evt_keep_" + i).put("tenant_id", "tnt_keep_" + i);
                ((ObjectNode) event.get("data")).put("tenant_id", "tnt_keep_" + i);
                assertThat(app.postSync(event).status()).isEqualTo(200);
            }
            OrgsyncApp.await("ten dead audit rows", () -> app.outbox("audit-sink", "dead") == 10, Duration.ofSeconds(30));
            OrgsyncApp.await("the done rows pruned", () -> app.rows("SELECT id FROM orgsync_outbox WHERE status = 'done'").isEmpty(),
                    Duration.ofSeconds(30));
            OrgsyncApp.await("the archived bodies dropped", () -> app.rows("SELECT id FROM orgsync_events WHERE raw_body IS NOT NULL").isEmpty(),
                    Duration.ofSeconds(30));
            // archive, dispatch and provisioning rows went, in batches of three; the dead letters stay
            assertThat(app.count("orgsync_outbox")).isEqualTo(10);
            assertThat(app.outbox("audit-sink", "dead")).isEqualTo(10);
            assertThat(app.count("orgsync_events")).isEqualTo(10);
            assertThat(app.count("av_organizations")).isEqualTo(10);
            // the archive still holds every body
            try (var files = java.nio.file.Files.walk(app.workDir.resolve("archive"))) {
                assertThat(files.filter(java.nio.file.Files::isRegularFile).count()).isEqualTo(10);
            }
            // the event row is the dedupe record: a redelivery is still a duplicate
            ObjectNode again = Fixtures.seed("tenant.updated");
            again.put("id", "evt_keep_3").put("tenant_id", "tnt_keep_3");
            ((ObjectNode) again.get("data")).put("tenant_id", "tnt_keep_3");
            assertThat(app.postSync(again).status("status")).isEqualTo("duplicate");
        }
    }
}
