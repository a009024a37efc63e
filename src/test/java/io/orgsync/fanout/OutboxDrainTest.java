package io.orgsync.fanout;

import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backlog drains at the speed of the targets, not one batch a poll: a poll claims again at once
 * while its claims find rows. With batches of 2 and a 4-second poll, 12 events of 12 tenants are
 * archived in one poll (one claim after another), where one batch a poll would take six polls.
 */
class OutboxDrainTest {

    static final long POLL_MS = 4000;

    @Test
    void aPollDrainsTheBacklogInsteadOfTakingOneBatch() throws Exception {
        try (OrgsyncApp app = OrgsyncApp.start(TestDatabase.newDatabaseUrl(), Map.of(
                "orgsync.outbox.poll-ms", Long.toString(POLL_MS),
                "orgsync.outbox.batch-size", "2"))) {
            for (int i = 0; i < 12; i++) {
                ObjectNode e = Fixtures.seed("tenant.updated");
                e.put("id", "evt_drain_" + i).put("tenant_id", "tnt_drain_" + i);
                ((ObjectNode) e.get("data")).put("tenant_id", "tnt_drain_" + i);
                assertThat(app.postSync(e).status()).isEqualTo(200);
            }
            OrgsyncApp.await("the archive of all 12 events", () -> app.outbox("archive", "done") == 12, Duration.ofSeconds(60));
            Map<String, Object> span = app.row("SELECT CAST(extract(epoch FROM max(last_attempt_at) - min(last_attempt_at)) * 1000 AS bigint) AS ms "
                    + "FROM orgsync_outbox WHERE target = 'archive'");
            Duration took = Duration.ofMillis(((Number) span.get("ms")).longValue());
            // six claims of 2, all within one poll: the next poll is POLL_MS later
            assertThat(took).isLessThan(Duration.ofMillis(POLL_MS));
            assertThat(app.outbox("audit-sink", "done")).isEqualTo(12);
        }
    }
}
