package io.orgsync.db;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Concurrently;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.SharedAppTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Group commit keeps every invariant: requests that share a statement each get their own answer,
 * a bad event fails only its own request, two events of one entity in one batch both apply.
 * Runs the real statements (routes/sql) on the real database through the application's bean.
 */
class GroupCommitTest extends SharedAppTest {

    static final String TENANT_SQL = "sql:file:routes/sql/authvital/apply-tenant.sql";

    static String event(String id, String tenant, String type, String timestamp, String name, String createdAt) {
        ObjectNode data = Fixtures.MAPPER.createObjectNode().put("tenant_id", tenant).put("name", name).put("slug", tenant);
        if (createdAt != null) {
            data.put("created_at", createdAt);
        }
        ObjectNode e = Fixtures.MAPPER.createObjectNode();
        e.put("source", "authvital").put("channel", "sync").put("dedupe_key", "authvital:" + id).put("event_id", id)
                .put("type", type).put("occurred_at", timestamp).put("received_at", timestamp).put("tenant_id", tenant)
                .put("key_id", "k").put("raw_body", "{}");
        e.putObject("headers");
        e.set("data", data);
        return Fixtures.MAPPER.createArrayNode().add(e).toString();
    }

    GroupCommit groupCommit() {
        return app.camel().getRegistry().lookupByNameAndType("groupCommit", GroupCommit.class);
    }

    /** Runs the calls all at once; each result is its rows, or the exception it threw. */
    static List<Object> concurrently(List<Callable<Object>> calls) throws Exception {
        List<Callable<Object>> caught = new ArrayList<>();
        for (Callable<Object> call : calls) {
            caught.add(() -> {
                try {
                    return call.call();
                } catch (Exception e) {
                    return e;
                }
            });
        }
        return Concurrently.run(caught);
    }

    @Test
    void aBadEventInABatchFailsOnlyItsOwnRequest() throws Exception {
        GroupCommit gc = groupCommit();
        List<Callable<Object>> calls = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String events = event("evt_gc_" + i, "tnt_gc_" + i, "tenant.created", "2026-11-20T10:00:00Z", "Tenant " + i, null);
            calls.add(() -> gc.apply(TENANT_SQL, events));
        }
        // a value PostgreSQL refuses (the schema would catch it at the door; here it reaches the statement)
        String poison = event("evt_gc_poison", "tnt_gc_poison", "tenant.created", "2026-11-20T10:00:00Z", "Poison", "not a date");
        calls.add(15, () -> gc.apply(TENANT_SQL, poison));

        List<Object> results = concurrently(calls);
        for (int i = 0; i < results.size(); i++) {
            if (i == 15) {
                assertThat(results.get(i)).isInstanceOf(Exception.class);
                assertThat(new io.orgsync.http.WebhookReplies().classify((Exception) results.get(i))).isEqualTo("invalid_field");
            } else {
                assertThat(results.get(i)).as("request %d", i).isInstanceOf(List.class);
                assertThat((List<?>) results.get(i)).hasSize(1);
            }
        }
        assertThat(app.count("av_organizations")).isEqualTo(30);
        assertThat(app.rows("SELECT 1 FROM orgsync_events WHERE event_id = 'evt_gc_poison'")).isEmpty();
        assertThat(app.count("av_organization_audit_logs")).isEqualTo(30);
    }

    @Test
    void requestsShareCommitsAndEachGetsItsOwnAnswerOverHttp() throws Exception {
        List<Callable<Object>> calls = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            ObjectNode e = Fixtures.seed("tenant.created");
            e.put("id", "evt_http_" + i).put("tenant_id", "tnt_http_" + i);
            ((ObjectNode) e.get("data")).put("tenant_id", "tnt_http_" + i);
            calls.add(() -> app.postSync(e));
        }
        List<Object> results = concurrently(calls);
        for (int i = 0; i < results.size(); i++) {
            OrgsyncApp.Reply reply = (OrgsyncApp.Reply) results.get(i);
            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.status("status")).isEqualTo("applied");
            assertThat(reply.status("event_id")).isEqualTo("evt_http_" + i);
        }
        assertThat(app.count("av_organizations")).isEqualTo(40);
        // fewer transactions than events: commits were shared
        long commits = ((Number) app.row("SELECT count(DISTINCT xmin::text) AS n FROM orgsync_events").get("n")).longValue();
        assertThat(commits).isLessThan(40);
    }

    @Test
    void twoEventsOfOneEntityAndARepeatInOneBatchAllGetTheRightAnswer() throws Exception {
        GroupCommit gc = groupCommit();
        String created = event("evt_same_1", "tnt_same", "tenant.created", "2026-11-20T10:00:00Z", "First", null);
        String updated = event("evt_same_2", "tnt_same", "tenant.updated", "2026-11-20T10:00:05Z", "Second", null);
        List<Callable<Object>> calls = new ArrayList<>();
        calls.add(() -> gc.apply(TENANT_SQL, created));
        calls.add(() -> gc.apply(TENANT_SQL, updated));
        calls.add(() -> gc.apply(TENANT_SQL, updated));  // the same delivery twice
        for (int i = 0; i < 10; i++) {
            String other = event("evt_other_" + i, "tnt_other_" + i, "tenant.created", "2026-11-20T10:00:00Z", "Other", null);
            calls.add(() -> gc.apply(TENANT_SQL, other));
        }
        List<Object> results = concurrently(calls);
        assertThat(results).allMatch(r -> r instanceof List);
        assertThat((List<?>) results.get(0)).hasSize(1);
        // of the two identical deliveries, exactly one applied and the other is a duplicate
        assertThat(((List<?>) results.get(1)).size() + ((List<?>) results.get(2)).size()).isEqualTo(1);
        assertThat(app.row("SELECT name FROM av_organizations WHERE id = 'tnt_same'")).containsEntry("name", "Second");
        assertThat(app.count("av_organizations")).isEqualTo(11);
        assertThat(app.count("orgsync_events")).isEqualTo(12);
    }

    @Test
    void statementsRunOnTheApplyPoolPlannedOnceAndTheRestOnTheGeneralPool() throws Exception {
        ObjectNode e = Fixtures.seed("tenant.created");
        assertThat(app.postSync(e).status()).isEqualTo(200);
        // the apply statement ran on a connection of the apply pool, which plans statements once
        assertThat(app.rows("SELECT 1 FROM pg_stat_activity WHERE application_name = 'orgsync-apply' AND query LIKE '%orgsync_record_%'"))
                .isNotEmpty();
        try (java.sql.Connection c = app.camel().getRegistry().lookupByNameAndType(GroupCommit.DATA_SOURCE, javax.sql.DataSource.class).getConnection();
             java.sql.ResultSet rs = c.createStatement().executeQuery("SHOW plan_cache_mode")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("force_generic_plan");
        }
        // the outbox and admin statements keep PostgreSQL's choice (a generic claim would join the whole outbox)
        try (java.sql.Connection c = app.camel().getRegistry().lookupByNameAndType("dataSource", javax.sql.DataSource.class).getConnection();
             java.sql.ResultSet rs = c.createStatement().executeQuery("SHOW plan_cache_mode")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("auto");
        }
    }
}
