package io.orgsync.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Concurrently;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A database that hangs (here: a lock nobody releases) instead of going away. Requests are answered
 * 503 in bounded time, at most group-commit-max-queued of them wait, a timed-out request's events
 * are withdrawn, the statement itself is cancelled by statement_timeout, and the senders' retries
 * then store every event exactly once.
 */
class HungDatabaseTest {

    @Test
    void requestsGet503InBoundedTimeTheQueueIsBoundedAndRetriesStoreEachEventOnce() throws Exception {
        try (OrgsyncApp app = OrgsyncApp.start(Map.of("orgsync.db.group-commit-timeout-ms", "1000",
                "orgsync.db.group-commit-max-queued", "3", "orgsync.db.statement-timeout-ms", "8000"))) {
            List<ObjectNode> events = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                ObjectNode event = Fixtures.seed("tenant.created");
                event.put("id", "evt_hung_" + i);
                event.put("tenant_id", "tnt_hung_" + i);
                ((ObjectNode) event.get("data")).put("tenant_id", "tnt_hung_" + i);
                events.add(event);
            }
            Map<String, Integer> answers = new TreeMap<>();
            try (Connection lock = DriverManager.getConnection(app.dbUrl); Statement s = lock.createStatement()) {
                lock.setAutoCommit(false);
                s.execute("LOCK TABLE orgsync_events IN ACCESS EXCLUSIVE MODE");
                List<Callable<Object>> sends = new ArrayList<>();
                for (ObjectNode event : events) {
                    sends.add(() -> app.postSync(event));
                }
                long started = System.nanoTime();
                for (Object reply : Concurrently.run(sends)) {
                    OrgsyncApp.Reply r = (OrgsyncApp.Reply) reply;
                    answers.merge(r.status() + " " + r.code(), 1, Integer::sum);
                }
                // answered by the commit timeout (1 s), long before the statement timeout (8 s) ends the hang
                assertThat((System.nanoTime() - started) / 1_000_000).as("answered within the commit timeout, not the hang")
                        .isLessThan(6000);
                Thread.sleep(9000); // past statement_timeout: the statement that was running is cancelled
                lock.rollback();
            }
            assertThat(answers).as("every request told to retry").containsOnlyKeys("503 database_unavailable");
            // what was queued and withdrawn never runs; the one statement that was running was cancelled
            Thread.sleep(1000);
            assertThat(app.count("orgsync_events")).isZero();

            // the senders retry: every event stored once
            for (ObjectNode event : events) {
                OrgsyncApp.Reply retry = app.postSync(event);
                assertThat(retry.status()).as(retry.raw()).isEqualTo(200);
            }
            assertThat(app.count("orgsync_events")).isEqualTo(12);
            assertThat(app.count("av_organizations")).isEqualTo(12);
        }
    }
}
