package io.orgsync.authvital;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Concurrently;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.SharedAppTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Invariants 2 (idempotency) and 3 (ordering) of docs/invariants.md, over real HTTP and a real database. */
class IdempotencyAndOrderingTest extends SharedAppTest {


    @Test
    void sameSyncEventFiveTimesConcurrentlyHasOneEffect() throws Exception {
        byte[] body = Fixtures.rawSeed("tenant.created");
        List<OrgsyncApp.Reply> replies = Concurrently.times(5, () -> app.postSyncBytes(body, "evt_test001", "tenant.created"));
        assertThat(replies).allMatch(r -> r.status() == 200);
        assertThat(replies).extracting(r -> r.status("status")).containsOnlyOnce("applied")
                .filteredOn("duplicate"::equals).hasSize(4);
        assertThat(replies).allMatch(r -> "evt_test001".equals(r.status("event_id")));
        assertThat(app.count("orgsync_events")).isEqualTo(1);
        assertThat(app.count("av_organizations")).isEqualTo(1);
        assertThat(app.count("av_organization_audit_logs")).isEqualTo(1);
    }

    @Test
    void sameSystemWebhookFiveTimesConcurrentlyHasOneEffect() throws Exception {
        ObjectNode event = Fixtures.system("tenant.created");
        String timestamp = Instant.now().toString();
        event.put("timestamp", timestamp);
        byte[] body = Fixtures.bytes(event);
        List<OrgsyncApp.Reply> replies = Concurrently.times(5, () -> app.post(body, app.signer.systemHeaders(body, "tenant.created", timestamp)));
        assertThat(replies).extracting(r -> r.status("status")).containsOnlyOnce("applied")
                .filteredOn("duplicate"::equals).hasSize(4);
        assertThat(replies).extracting(OrgsyncApp.Reply::status).containsOnly(200);
        assertThat(app.count("orgsync_events")).isEqualTo(1);
        assertThat(app.count("av_organization_audit_logs")).isEqualTo(1);
    }

    @Test
    void aRepeatLaterIsADuplicateAndChangesNothing() {
        ObjectNode created = Fixtures.seed("tenant.created");
        assertThat(app.postSync(created).status("status")).isEqualTo("applied");
        Object updatedAt = app.row("SELECT updated_at FROM av_organizations").get("updated_at");
        OrgsyncApp.Reply again = app.postSync(created);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.status("status")).isEqualTo("duplicate");
        assertThat(app.row("SELECT updated_at FROM av_organizations").get("updated_at")).isEqualTo(updatedAt);
        assertThat(app.count("av_organization_audit_logs")).isEqualTo(1);
    }

    /** created, updated and deleted of one tenant, delivered in each of the 6 orders, end in the same row. */
    @Test
    void createdUpdatedDeletedInAllSixOrdersEndTheSame() {
        String[] types = {"tenant.created", "tenant.updated", "tenant.deleted"};
        int[][] orders = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        Map<String, Object> expected = null;
        for (int[] order : orders) {
            String tenant = "tnt_order_" + order[0] + order[1] + order[2];
            for (int index : order) {
                OrgsyncApp.Reply reply = app.postSync(lifecycleEvent(tenant, types[index], index));
                assertThat(reply.status("status")).as(reply.raw()).isEqualTo("applied");
            }
            Map<String, Object> row = app.row("SELECT name, slug, plan, allow_signups, require_mfa, allowed_email_domains, "
                    + "session_lifetime_minutes, password_policy, settings::text, status, deleted_at, deleted_by_sub, "
                    + "created_by_sub, updated_by_sub, (data - 'tenant_id')::text AS data, attrs_event_at, status_event_at, last_event_at "
                    + "FROM av_organizations WHERE id = ?", tenant);
            assertThat(row.get("status")).as("order %s", java.util.Arrays.toString(order)).isEqualTo("deleted");
            if (expected == null) {
                expected = row;
            } else {
                assertThat(row).as("order %s", java.util.Arrays.toString(order)).isEqualTo(expected);
            }
        }
        assertThat(expected).containsEntry("name", "Renamed Corp").containsEntry("plan", "enterprise")
                .containsEntry("created_by_sub", "usr_creator").containsEntry("deleted_by_sub", "usr_deleter");
    }

    @Test
    void anUpdateOlderThanTheDeleteNeverResurrectsTheTenant() {
        String tenant = "tnt_zombie";
        app.postSync(lifecycleEvent(tenant, "tenant.created", 0));
        app.postSync(lifecycleEvent(tenant, "tenant.deleted", 2));
        ObjectNode lateUpdate = lifecycleEvent(tenant, "tenant.updated", 1);
        assertThat(app.postSync(lateUpdate).status("status")).isEqualTo("applied");
        assertThat(app.row("SELECT status FROM av_organizations WHERE id = ?", tenant)).containsEntry("status", "deleted");
        // even an update newer than the delete leaves the tombstone in place
        ObjectNode newer = lifecycleEvent(tenant, "tenant.updated", 5);
        newer.put("id", "evt_" + tenant + "_newer");
        app.postSync(newer);
        assertThat(app.row("SELECT status, deleted_at IS NOT NULL AS tomb FROM av_organizations WHERE id = ?", tenant))
                .containsEntry("status", "deleted").containsEntry("tomb", true);
    }

    @Test
    void anOlderEventNeverOverwritesANewerOne() {
        String tenant = "tnt_newer";
        app.postSync(lifecycleEvent(tenant, "tenant.created", 0));
        ObjectNode newer = lifecycleEvent(tenant, "tenant.updated", 5);
        ((ObjectNode) newer.get("data")).put("name", "Newest Name");
        app.postSync(newer);
        ObjectNode older = lifecycleEvent(tenant, "tenant.updated", 3);
        older.put("id", "evt_older");
        ((ObjectNode) older.get("data")).put("name", "Stale Name").put("plan", "starter");
        assertThat(app.postSync(older).status("status")).isEqualTo("applied");
        assertThat(app.row("SELECT name, plan FROM av_organizations WHERE id = ?", tenant))
                .containsEntry("name", "Newest Name").containsEntry("plan", "enterprise");
        // the stale event is still recorded and audited: the log is complete, the mirror is right
        assertThat(app.count("av_organization_audit_logs")).isEqualTo(3);
    }

    @Test
    void suspensionSurvivesALaterArrivingOlderCreate() {
        String tenant = "tnt_suspended";
        ObjectNode suspended = lifecycleEvent(tenant, "tenant.suspended", 2);
        ((ObjectNode) suspended.get("data")).put("reason", "fraud").put("suspended_by_sub", "usr_risk");
        app.postSync(suspended);
        app.postSync(lifecycleEvent(tenant, "tenant.updated", 1));
        app.postSync(lifecycleEvent(tenant, "tenant.created", 0));
        assertThat(app.row("SELECT status, suspended_reason, name, created_by_sub FROM av_organizations WHERE id = ?", tenant))
                .containsEntry("status", "suspended").containsEntry("suspended_reason", "fraud")
                .containsEntry("name", "Renamed Corp").containsEntry("created_by_sub", "usr_creator");
    }

    /** A seed-envelope event of one tenant, stamped second {@code second} of a fixed minute. */
    static ObjectNode lifecycleEvent(String tenant, String type, int second) {
        ObjectNode event = Fixtures.seed(type.equals("tenant.created") ? "tenant.created" : "tenant.updated");
        event.put("id", "evt_" + tenant + "_" + type);
        event.put("type", type);
        event.put("tenant_id", tenant);
        event.put("timestamp", "2026-11-20T10:00:0" + second + ".000Z");
        ObjectNode data = (ObjectNode) event.get("data");
        data.put("tenant_id", tenant);
        switch (type) {
            case "tenant.created" -> data.put("name", "Original Corp").put("created_by_sub", "usr_creator");
            case "tenant.updated" -> data.put("name", "Renamed Corp").put("updated_by_sub", "usr_updater");
            case "tenant.deleted" -> {
                data.removeAll();
                data.put("tenant_id", tenant).put("name", "Renamed Corp").put("slug", "test-corp")
                        .put("deleted_at", "2026-11-20T10:00:0" + second + ".000Z").put("deleted_by_sub", "usr_deleter");
            }
            case "tenant.suspended" -> {
                data.removeAll();
                data.put("tenant_id", tenant).put("name", "Renamed Corp").put("slug", "test-corp")
                        .put("suspended_at", "2026-11-20T10:00:0" + second + ".000Z");
            }
            default -> throw new IllegalArgumentException(type);
        }
        return event;
    }
}
