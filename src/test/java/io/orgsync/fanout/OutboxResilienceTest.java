package io.orgsync.fanout;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The outbox across restarts and instances: retries survive a stop, two instances never deliver one
 * row twice, and a backlog drains within a poll, a claim at a time, each claim one statement.
 */
class OutboxResilienceTest {

    static final Duration WAIT = Duration.ofSeconds(30);
    final List<OrgsyncApp> apps = new ArrayList<>();
    WireMockServer siem;

    @BeforeEach
    void startSiem() {
        siem = new WireMockServer(options().dynamicPort());
        siem.start();
    }

    @AfterEach
    void stopAll() {
        apps.forEach(OrgsyncApp::close);
        siem.stop();
    }

    Map<String, String> properties(String backoffMs) {
        Map<String, String> p = new HashMap<>();
        p.put("orgsync.audit.url", siem.baseUrl() + "/audit");
        p.put("orgsync.target.audit-sink.initial-backoff-ms", backoffMs);
        p.put("orgsync.target.audit-sink.max-backoff-ms", backoffMs);
        return p;
    }

    OrgsyncApp start(String db, Map<String, String> properties) {
        OrgsyncApp app = OrgsyncApp.start(db, properties);
        apps.add(app);
        return app;
    }

    @Test
    void aContextStoppedDuringABackOffResumesThePendingRetryWhenStartedAgain() throws Exception {
        siem.stubFor(post(urlEqualTo("/audit")).willReturn(aResponse().withStatus(503).withHeader("Retry-After", "3")));
        String db = TestDatabase.newDatabaseUrl();
        OrgsyncApp first = start(db, properties("200"));
        assertThat(first.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
        OrgsyncApp.await("a failed attempt", () -> ((Number) first.row("SELECT count(*) AS n FROM orgsync_outbox "
                + "WHERE target = 'audit-sink' AND error_category = 'retryable'").get("n")).longValue() == 1, WAIT);
        // Retry-After: 3 was honoured over the 200 ms back-off
        Map<String, Object> waiting = first.row("SELECT attempts, status, next_attempt_at > now() + interval '1 second' AS later "
                + "FROM orgsync_outbox WHERE target = 'audit-sink'");
        assertThat(waiting).containsEntry("status", "pending").containsEntry("later", true);
        first.close();
        apps.remove(first);

        siem.resetAll();
        siem.stubFor(post(urlEqualTo("/audit")).willReturn(aResponse().withStatus(204)));
        OrgsyncApp second = start(db, properties("200"));
        OrgsyncApp.await("the resumed retry", () -> second.outbox("audit-sink", "done") == 1, WAIT);
        assertThat(siem.findAll(postRequestedFor(urlEqualTo("/audit")))).hasSize(1);
        assertThat(second.row("SELECT attempts FROM orgsync_outbox WHERE target = 'audit-sink'").get("attempts")).isEqualTo(2);
    }

    @Test
    void twoContextsOnOneDatabaseShareTheOutboxWithoutADoubleDelivery() {
        siem.stubFor(post(urlEqualTo("/audit")).willReturn(aResponse().withStatus(204).withFixedDelay(20)));
        String db = TestDatabase.newDatabaseUrl();
        // one row per claim: an instance alone would need 40 polls, so both take part whatever
        // the phase of their timers (with whole batches one instance could win every claim)
        Map<String, String> oneRowPerClaim = properties("200");
        oneRowPerClaim.put("orgsync.outbox.batch-size", "1");
        OrgsyncApp a = start(db, oneRowPerClaim);
        OrgsyncApp b = start(db, oneRowPerClaim);
        int events = 0;
        for (int tenant = 0; tenant < 10; tenant++) {
            for (int n = 0; n < 4; n++) {
                ObjectNode event = Fixtures.seed("tenant.updated");
                event.put("id", "evt_" + tenant + "_" + n).put("tenant_id", "tnt_" + tenant)
                        .put("timestamp", "2026-11-20T10:00:0" + n + ".000Z");
                ((ObjectNode) event.get("data")).put("tenant_id", "tnt_" + tenant);
                OrgsyncApp target = (tenant + n) % 2 == 0 ? a : b;
                assertThat(target.postSync(event).status()).isEqualTo(200);
                events++;
            }
        }
        int expected = events;
        OrgsyncApp.await("every audit line", () -> a.outbox("audit-sink", "done") == expected, WAIT);
        List<LoggedRequest> posts = siem.findAll(postRequestedFor(urlEqualTo("/audit")));
        Map<String, Long> perEvent = posts.stream().collect(Collectors.groupingBy(r -> r.getHeader("Idempotency-Key"), Collectors.counting()));
        assertThat(perEvent).hasSize(expected);
        assertThat(perEvent.values()).containsOnly(1L);
        // both instances delivered (different leases), and each tenant's lines arrived in event order
        assertThat(a.rows("SELECT DISTINCT lease_owner FROM orgsync_outbox WHERE target = 'audit-sink'")).hasSize(2);
        Map<String, List<String>> byTenant = posts.stream()
                .sorted((x, y) -> x.getLoggedDate().compareTo(y.getLoggedDate()))
                .map(r -> r.getHeader("Idempotency-Key"))
                .collect(Collectors.groupingBy(id -> id.substring(0, id.lastIndexOf('_')), Collectors.toList()));
        byTenant.values().forEach(ids -> assertThat(ids).isSorted());
        assertThat(byTenant).hasSize(10);
    }

    @Test
    void anHttpTargetThatDoesNotAnswerIsCutOffByItsTimeoutAndRetried() {
        siem.stubFor(post(urlEqualTo("/audit")).willReturn(aResponse().withStatus(204).withFixedDelay(4000)));
        Map<String, String> p = properties("60000");
        p.put("camel.component.http.response-timeout", "500");
        p.put("camel.component.http.so-timeout", "500");
        OrgsyncApp a = start(TestDatabase.newDatabaseUrl(), p);
        assertThat(a.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
        OrgsyncApp.await("the first attempt to fail", () -> !a.rows("SELECT id FROM orgsync_outbox WHERE target = 'audit-sink' "
                + "AND last_error IS NOT NULL").isEmpty(), WAIT);
        Map<String, Object> row = a.row("SELECT status, error_category, last_error FROM orgsync_outbox WHERE target = 'audit-sink'");
        assertThat(row).containsEntry("status", "pending").containsEntry("error_category", "retryable");
        assertThat(((String) row.get("last_error")).toLowerCase()).contains("timeout");
    }

    @Test
    void aRowThatWaitsForAThreadRenewsItsLeaseSoNoOtherInstanceTakesItMidClaim() throws Exception {
        // each delivery takes 2 s; 20 tenants' rows in one claim run on 10 threads: the second ten start
        // 2 s after the claim, and end 4 s after it, past the 3 s lease they were claimed with
        siem.stubFor(post(urlEqualTo("/audit")).willReturn(aResponse().withStatus(204).withFixedDelay(2000)));
        Map<String, String> p = properties("200");
        p.put("orgsync.outbox.lease-seconds", "3");
        p.put("orgsync.outbox.lease-renew-after-seconds", "1");
        OrgsyncApp a = start(TestDatabase.newDatabaseUrl(), p);
        a.camel().getRouteController().stopRoute("deliver-audit-sink");
        for (int tenant = 0; tenant < 20; tenant++) {
            ObjectNode event = Fixtures.seed("tenant.updated");
            event.put("id", "evt_lease_" + tenant).put("tenant_id", "tnt_lease_" + tenant);
            ((ObjectNode) event.get("data")).put("tenant_id", "tnt_lease_" + tenant);
            assertThat(a.postSync(event).status()).isEqualTo(200);
        }
        OrgsyncApp.await("20 rows planned", () -> a.outbox("audit-sink", "pending") == 20, WAIT);
        a.camel().getRouteController().startRoute("deliver-audit-sink");
        OrgsyncApp.await("one claim of all 20", () -> a.rows("SELECT id FROM orgsync_outbox WHERE target = 'audit-sink' "
                + "AND lease_until IS NOT NULL").size() == 20, WAIT);
        Thread.sleep(3300);
        // what a second instance's claim would take now: rows whose lease has run out
        List<Map<String, Object>> taken = a.rows("UPDATE orgsync_outbox SET lease_owner = 'other', lease_until = now() + interval '1 minute' "
                + "WHERE target = 'audit-sink' AND status = 'pending' AND lease_until < now() RETURNING id");
        assertThat(taken).as("no row's lease ran out while it was still to be delivered").isEmpty();
        OrgsyncApp.await("every audit line", () -> a.outbox("audit-sink", "done") == 20, WAIT);
        assertThat(siem.findAll(postRequestedFor(urlEqualTo("/audit")))).hasSize(20);
    }

    @Test
    void aBacklogDrainsWithinOnePollOneStatementPerClaimAndAFailedRowHoldsBackNoOther() {
        // every delivery answered 204 but one, which the SIEM refuses (503, retry in 10 minutes)
        siem.stubFor(post(urlEqualTo("/audit")).willReturn(aResponse().withStatus(204)));
        siem.stubFor(post(urlEqualTo("/audit")).withHeader("Idempotency-Key", equalTo("evt_b3_0"))
                .willReturn(aResponse().withStatus(503).withHeader("Retry-After", "600")));
        Map<String, String> p = properties("60000");
        // a poll every 5 s: one row of a tenant per claim, so tenant a's 30 events would take 30 polls
        // (150 s) without the claims that follow a claim at once
        p.put("orgsync.outbox.poll-ms", "5000");
        p.put("orgsync.outbox.max-claims-per-poll", "50");
        OrgsyncApp app = start(TestDatabase.newDatabaseUrl(), p);
        List<String> tenantA = new ArrayList<>();
        for (int n = 0; n < 30; n++) {
            tenantA.add(String.format("evt_a_%02d", n));
        }
        List<String> ids = new ArrayList<>(tenantA);
        for (int tenant = 0; tenant < 10; tenant++) {
            ids.add("evt_b" + tenant + "_0");
        }
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            String tenant = "tnt_" + id.substring(4, id.lastIndexOf('_'));
            ObjectNode event = Fixtures.seed("tenant.updated");
            event.put("id", id).put("tenant_id", tenant)
                    .put("timestamp", Instant.parse("2026-11-20T10:00:00Z").plusSeconds(i).toString());
            ((ObjectNode) event.get("data")).put("tenant_id", tenant);
            assertThat(app.postSync(event).status()).isEqualTo(200);
        }
        int delivered = ids.size() - 1;
        OrgsyncApp.await("every audit line but the refused one", () -> app.outbox("audit-sink", "done") == delivered, WAIT);

        // tenant a's lines in event order, each once; the refused row waits for its retry, alone
        List<String> posted = siem.findAll(postRequestedFor(urlEqualTo("/audit"))).stream()
                .sorted((x, y) -> x.getLoggedDate().compareTo(y.getLoggedDate()))
                .map(r -> r.getHeader("Idempotency-Key")).toList();
        assertThat(posted.stream().filter(tenantA::contains).toList()).isEqualTo(tenantA);
        assertThat(posted).doesNotHaveDuplicates();
        assertThat(app.row("SELECT o.status, o.error_category FROM orgsync_outbox o JOIN orgsync_events e ON e.id = o.event_pk "
                + "WHERE o.target = 'audit-sink' AND e.event_id = 'evt_b3_0'"))
                .containsEntry("status", "pending").containsEntry("error_category", "retryable");
        // each event's target rows were written with it, in its transaction (the routing table in the
        // database, applied by the outbox trigger): no dispatch row, and the same transaction time
        assertThat(app.rows("SELECT id FROM orgsync_outbox WHERE target = 'dispatch'")).isEmpty();
        assertThat(app.rows("SELECT e.event_id FROM orgsync_events e JOIN orgsync_outbox o ON o.event_pk = e.id "
                + "GROUP BY e.event_id HAVING count(*) = count(*) FILTER (WHERE o.created_at = e.received_at)")).hasSize(ids.size());
        // a target's claim marked the rows it delivered done together: one statement for several
        List<Long> perDone = app.rows("SELECT count(*) AS n FROM orgsync_outbox WHERE target = 'audit-sink' AND status = 'done' "
                + "GROUP BY done_at").stream().map(r -> ((Number) r.get("n")).longValue()).toList();
        assertThat(perDone).anyMatch(n -> n > 1);
    }
    @Test
    void theRoutingTableIsWrittenAtStartAndEventsRecordedBeforeItArePlannedWithIt() {
        siem.stubFor(post(urlEqualTo("/audit")).willReturn(aResponse().withStatus(204)));
        String db = TestDatabase.newDatabaseUrl();
        OrgsyncApp first = start(db, properties("200"));
        // application.properties' routing table, its targets only those running here (no Stripe key)
        assertThat(first.rows("SELECT rule, array_to_string(targets, ',') AS targets FROM orgsync_fanout_rules ORDER BY rule"))
                .containsExactly(
                        Map.of("rule", "authvital.tenant.created", "targets", "archive,audit-sink,provisioning"),
                        Map.of("rule", "authvital.tenant.deleted", "targets", "archive,audit-sink"),
                        Map.of("rule", "authvital.tenant.updated", "targets", "archive,audit-sink"),
                        Map.of("rule", "default", "targets", "archive,audit-sink"),
                        Map.of("rule", "ignored", "targets", "archive"),
                        Map.of("rule", "rebuilt", "targets", "provisioning"));
        assertThat(first.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
        OrgsyncApp.await("the event delivered", () -> first.outbox("audit-sink", "done") == 1, WAIT);
        assertThat(first.rows("SELECT target FROM orgsync_outbox ORDER BY id").stream().map(r -> r.get("target")).toList())
                .containsExactly("archive", "audit-sink", "provisioning");

        // as an instance of an earlier version records an event before any routing table exists: a
        // dispatch row, which the next start plans with the table it writes
        first.rows("DELETE FROM orgsync_fanout_rules RETURNING rule");
        first.rows("INSERT INTO orgsync_events (dedupe_key, source, channel, event_id, event_type, entity_type, entity_id, tenant_id, "
                + "occurred_at, key_id, outcome, data, headers, raw_body) SELECT dedupe_key || ':older', source, channel, "
                + "event_id || '_older', 'tenant.updated', entity_type, entity_id, tenant_id, occurred_at + interval '1 second', key_id, "
                + "outcome, data, headers, raw_body FROM orgsync_events RETURNING id");
        assertThat(first.row("SELECT target, status FROM orgsync_outbox ORDER BY id DESC LIMIT 1"))
                .containsEntry("target", "dispatch").containsEntry("status", "pending");
        first.close();
        apps.remove(first);

        OrgsyncApp second = start(db, properties("200"));
        OrgsyncApp.await("the older event delivered", () -> second.outbox("audit-sink", "done") == 2, WAIT);
        assertThat(second.row("SELECT status FROM orgsync_outbox WHERE target = 'dispatch'")).containsEntry("status", "done");
        assertThat(second.rows("SELECT o.target FROM orgsync_outbox o JOIN orgsync_events e ON e.id = o.event_pk "
                + "WHERE e.event_id LIKE '%_older' AND o.target <> 'dispatch' ORDER BY o.id").stream().map(r -> r.get("target")).toList())
                .containsExactly("archive", "audit-sink");
        String older = (String) second.row("SELECT event_id FROM orgsync_events WHERE event_id LIKE '%_older'").get("event_id");
        assertThat(siem.findAll(postRequestedFor(urlEqualTo("/audit"))).stream().map(r -> r.getHeader("Idempotency-Key")))
                .contains(older);
    }
    @Test
    void aClaimWritesNoIndexEntries() {
        siem.stubFor(post(urlEqualTo("/audit")).willReturn(aResponse().withStatus(204)));
        OrgsyncApp app = start(TestDatabase.newDatabaseUrl(), properties("200"));
        for (int n = 0; n < 10; n++) {
            ObjectNode event = Fixtures.seed("tenant.updated");
            event.put("id", "evt_hot_" + n).put("tenant_id", "tnt_hot_" + n);
            ((ObjectNode) event.get("data")).put("tenant_id", "tnt_hot_" + n);
            assertThat(app.postSync(event).status()).isEqualTo(200);
        }
        OrgsyncApp.await("every row delivered", () -> app.fanoutSettled() && app.outbox("audit-sink", "done") == 10, WAIT);
        long claimed = ((Number) app.row("SELECT count(*) AS n FROM orgsync_outbox WHERE status = 'done'").get("n")).longValue();
        // each row was claimed once (an update of its lease columns only: HOT, no index entry) and
        // marked done once (its status, in the partial indexes' predicates: not HOT); the statistics
        // reach pg_stat_user_tables within PostgreSQL's flush interval
        OrgsyncApp.await("the claims counted as HOT updates", () -> ((Number) app.row(
                "SELECT n_tup_hot_upd AS n FROM pg_stat_user_tables WHERE relname = 'orgsync_outbox'").get("n")).longValue() >= claimed,
                Duration.ofSeconds(40));
    }
}
