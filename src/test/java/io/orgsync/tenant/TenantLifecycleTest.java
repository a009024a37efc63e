package io.orgsync.tenant;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Fixtures;
import io.orgsync.support.MovableClock;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.S3Server;
import org.apache.camel.builder.AdviceWith;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A tenant's whole life over real webhooks, a real PostgreSQL and a real S3 server (s3proxy):
 * provisioning → active ↔ suspended → deleted, then, with the purge job's clock moved past the
 * retention, a purge that is cut off after each of its steps in turn and goes on from there; the
 * export before it; a tenant re-created with the same slug before and after the purge.
 */
class TenantLifecycleTest {

    static final String BUCKET = "orgsync-archive";
    static final String TOKEN = "admin-token-for-tests-only-0123456789abcdef";
    static final Duration WAIT = Duration.ofSeconds(60);

    static S3Server s3;
    static S3Client client;
    static OrgsyncApp app;
    static final MovableClock clock = new MovableClock();
    /** The purge step after which the next purge run is cut off (null: none). */
    static final AtomicReference<String> crashAfter = new AtomicReference<>();

    @BeforeAll
    static void start() throws Exception {
        s3 = new S3Server();
        client = s3.client();
        client.createBucket(b -> b.bucket(BUCKET));
        Map<String, String> p = new HashMap<>(s3.properties(BUCKET));
        p.put("orgsync.provisioning.mode", "bucket,schema");
        p.put("orgsync.admin.token", TOKEN);
        p.put("orgsync.lifecycle.purge.export-first", "true");
        p.put("orgsync.lifecycle.purge.period-ms", "3600000"); // the test runs the job itself
        p.put("orgsync.fanout.authvital.tenant.created", "provisioning");
        p.put("orgsync.fanout.default", "");
        app = OrgsyncApp.prepare(io.orgsync.support.TestDatabase.newDatabaseUrl(), p).bind("lifecycleClock", clock);
        app.boot();
        // a crash injected after each purge step: the step is done (and recorded), the rest of the run is not
        AdviceWith.adviceWith(app.camel(), "purge-tenant", a -> {
            for (String step : List.of("export", "anonymise", "drop-schema", "remove-storage")) {
                a.weaveById("purge-step-" + step).after().process(exchange -> {
                    if (step.equals(crashAfter.get())) {
                        throw new IllegalStateException("crash injected after " + step);
                    }
                });
            }
        });
    }

    @AfterAll
    static void stop() {
        app.close();
        client.close();
        s3.close();
    }

    static ObjectNode event(String type, String tenantId, String slug) {
        ObjectNode event = Fixtures.tenantEvent(type, tenantId, slug);
        if (event.get("data").has("deleted_at")) {
            ((ObjectNode) event.get("data")).put("deleted_at", Instant.now().toString());
        }
        return event;
    }

    static Map<String, Object> tenant(String id) {
        return app.row("SELECT * FROM av_organizations WHERE id = ?", id);
    }

    static void purgeRun() {
        app.camel().createProducerTemplate().sendBody("direct:purge-due-tenants", null);
    }

    static List<String> history(String id) {
        return app.rows("SELECT COALESCE(from_state, '-') || '>' || to_state AS h FROM av_organization_lifecycle "
                + "WHERE organization_id = ? ORDER BY id", id).stream().map(r -> (String) r.get("h")).toList();
    }

    static boolean bucketExists(String bucket) {
        try {
            client.headBucket(b -> b.bucket(bucket));
            return true;
        } catch (NoSuchBucketException e) {
            return false;
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    @org.junit.jupiter.api.AfterEach
    void noCrash() {
        crashAfter.set(null);
    }

    @Test
    void theWholePathFromProvisioningToPurgeWithACrashAfterEveryStep() throws Exception {
        Instant t = Instant.now().minusSeconds(60);
        assertThat(app.postSystem(event("tenant.created", "tnt_life", "acme"), t).status()).isEqualTo(200);
        OrgsyncApp.await("provisioned", () -> "active".equals(tenant("tnt_life").get("lifecycle")), WAIT);
        Map<String, Object> row = tenant("tnt_life");
        String bucket = (String) row.get("storage_bucket");
        String schema = (String) row.get("tenant_schema");
        assertThat(bucketExists(bucket)).isTrue();
        assertThat(row.get("activated_at")).isNotNull();
        assertThat(row.get("provisioned_at")).isNotNull();
        client.putObject(b -> b.bucket(bucket).key("files/report.pdf"), RequestBody.fromString("the tenant's file"));
        app.rows("INSERT INTO " + schema + ".workspaces (organization_id, name) VALUES ('tnt_life', 'Second') RETURNING id");

        // suspended, and back when a later event says so
        assertThat(app.postSystem(event("tenant.suspended", "tnt_life", "acme"), t.plusSeconds(1)).status()).isEqualTo(200);
        assertThat(tenant("tnt_life")).containsEntry("lifecycle", "suspended").containsEntry("suspended_reason", "payment overdue");
        ObjectNode older = event("tenant.updated", "tnt_life", "acme");
        ((ObjectNode) older.get("data")).put("status", "active");
        assertThat(app.postSystem(older, t.plusMillis(500)).status()).isEqualTo(200);
        assertThat(tenant("tnt_life")).as("an older event does not lift a suspension").containsEntry("lifecycle", "suspended");
        ObjectNode reactivated = event("tenant.updated", "tnt_life", "acme");
        ((ObjectNode) reactivated.get("data")).put("status", "active");
        assertThat(app.postSystem(reactivated, t.plusSeconds(2)).status()).isEqualTo(200);
        assertThat(tenant("tnt_life")).containsEntry("lifecycle", "active").containsEntry("status", "active");

        // deleted: kept for the retention period
        Instant deletedAt = Instant.now();
        ObjectNode deleted = event("tenant.deleted", "tnt_life", "acme");
        ((ObjectNode) deleted.get("data")).put("deleted_at", deletedAt.toString());
        assertThat(app.postSystem(deleted, t.plusSeconds(3)).status()).isEqualTo(200);
        assertThat(tenant("tnt_life")).containsEntry("lifecycle", "deleted");
        assertThat(app.row("SELECT scheduled_purge_at = deleted_at + interval '30 days' AS ok FROM av_organizations WHERE id = 'tnt_life'"))
                .containsEntry("ok", true);
        assertThat(history("tnt_life")).containsExactly("->provisioning", "provisioning>active", "active>suspended",
                "suspended>active", "active>deleted");
        long auditRows = app.count("av_organization_audit_logs WHERE organization_id = 'tnt_life'");

        // a new tenant takes the slug before the old one is purged: resources of its own
        assertThat(app.postSystem(event("tenant.created", "tnt_life_2", "acme"), Instant.now().minusSeconds(5)).status()).isEqualTo(200);
        OrgsyncApp.await("the new tenant provisioned", () -> "active".equals(tenant("tnt_life_2").get("lifecycle")), WAIT);
        assertThat(tenant("tnt_life_2").get("storage_bucket")).isNotEqualTo(bucket);
        assertThat(tenant("tnt_life_2").get("tenant_schema")).isNotEqualTo(schema);

        // not yet due: nothing happens
        purgeRun();
        assertThat(app.count("orgsync_purge_steps WHERE tenant_id = 'tnt_life'")).isZero();

        // 31 days later, as the purge job sees it; each run is cut off after one more step
        clock.moveForward(Duration.ofDays(31));
        List<String> steps = List.of("export", "anonymise", "drop-schema", "remove-storage");
        for (int i = 0; i < steps.size(); i++) {
            String step = steps.get(i);
            crashAfter.set(step);
            purgeRun();
            // a step in the database is recorded in its own transaction; the export and the storage's removal are
            // recorded after their work, so the crash comes before their record and the next run does them again
            List<String> recorded = new java.util.ArrayList<>(steps.subList(0, i + 1));
            if (step.equals("export") || step.equals("remove-storage")) {
                recorded.remove(step);
            }
            assertThat(app.rows("SELECT step FROM orgsync_purge_steps WHERE tenant_id = 'tnt_life'"))
                    .as("after the crash at " + step).extracting(r -> r.get("step")).containsExactlyInAnyOrderElementsOf(recorded);
            assertThat(tenant("tnt_life")).containsEntry("lifecycle", "deleted");
        }
        // the export was written at each of the two runs that reached it (the first was cut off before its record)
        String exports = "exports/tnt-life-" + io.orgsync.outbox.Provisioning.hash("tnt_life") + "/";
        assertThat(client.listObjectsV2(b -> b.bucket(BUCKET).prefix(exports)).contents()).hasSize(2);
        // after the export: the anonymisation happened once (a second run found it recorded)
        assertThat(app.row("SELECT detail->>'audit_rows' AS n FROM orgsync_purge_steps WHERE tenant_id = 'tnt_life' AND step = 'anonymise'"))
                .containsEntry("n", String.valueOf(auditRows));
        assertThat(bucketExists(bucket)).as("the storage step ran before its crash").isFalse();
        crashAfter.set(null);
        purgeRun();

        Map<String, Object> purged = tenant("tnt_life");
        assertThat(purged).containsEntry("lifecycle", "purged").containsEntry("status", "deleted")
                .containsEntry("owner_email", "[anonymised]").containsEntry("created_by_sub", "[anonymised]")
                .containsEntry("deleted_by_sub", "[anonymised]").containsEntry("name", "Acme Corp");
        assertThat(purged.get("purged_at")).isNotNull();
        assertThat(Fixtures.MAPPER.readTree((String) purged.get("data")).path("owner_email").asText()).isEqualTo("[anonymised]");
        assertThat(app.rows("SELECT step FROM orgsync_purge_steps WHERE tenant_id = 'tnt_life'")).hasSize(5);
        // the audit trail keeps its shape: every row, every key, no personal value
        assertThat(app.count("av_organization_audit_logs WHERE organization_id = 'tnt_life'")).isEqualTo(auditRows);
        assertThat(app.count("av_organization_audit_logs WHERE organization_id = 'tnt_life' AND changed_by_sub <> '[anonymised]'")).isZero();
        assertThat(app.row("SELECT new_values->>'owner_email' AS e FROM av_organization_audit_logs "
                + "WHERE organization_id = 'tnt_life' AND event_type = 'tenant.created'")).containsEntry("e", "[anonymised]");
        assertThat(app.count("orgsync_events WHERE tenant_id = 'tnt_life' AND (raw_body IS NOT NULL OR data::text LIKE '%founder@%')")).isZero();
        assertThat(app.count("pg_namespace WHERE nspname = '" + schema + "'")).isZero();
        assertThat(bucketExists(bucket)).isFalse();
        assertThat(history("tnt_life")).endsWith("active>deleted", "deleted>purged");

        // the export written before the purge: in the archive, without personal data
        String exportKey = (String) app.row("SELECT detail->>'key' AS k FROM orgsync_purge_steps WHERE tenant_id = 'tnt_life' "
                + "AND step = 'export'").get("k");
        JsonNode export = Fixtures.MAPPER.readTree(client.getObjectAsBytes(b -> b.bucket(BUCKET).key(exportKey)).asUtf8String());
        assertThat(export.path("organization").path("id").asText()).isEqualTo("tnt_life");
        assertThat(export.path("organization").has("owner_email")).isFalse();
        assertThat(export.path("tenant_schema").path("workspaces")).hasSize(2);

        // the new tenant with the slug is untouched; the purged one does not come back
        assertThat(tenant("tnt_life_2")).containsEntry("lifecycle", "active");
        assertThat(bucketExists((String) tenant("tnt_life_2").get("storage_bucket"))).isTrue();
        assertThat(app.count("pg_namespace WHERE nspname = '" + tenant("tnt_life_2").get("tenant_schema") + "'")).isEqualTo(1);
        purgeRun();
        assertThat(app.count("orgsync_purge_steps WHERE tenant_id = 'tnt_life'")).isEqualTo(5);
        // its tenant.created again (a replay): tombstoned, and provisioning leaves the purged tenant alone
        assertThat(app.postSystem(event("tenant.created", "tnt_life", "acme"), t.minusSeconds(1)).status()).isEqualTo(200);
        OrgsyncApp.await("the replayed provisioning", () -> app.count("orgsync_outbox WHERE order_key = 'tnt_life' "
                + "AND target = 'provisioning' AND status = 'done'") == 2, WAIT);
        assertThat(tenant("tnt_life")).containsEntry("lifecycle", "purged");
        assertThat(bucketExists(bucket)).isFalse();
        assertThat(app.count("pg_namespace WHERE nspname = '" + schema + "'")).isZero();

        // re-created with the same slug after the purge: fresh resources, never the old ones
        assertThat(app.postSystem(event("tenant.created", "tnt_life_3", "acme"), Instant.now().minusSeconds(5)).status()).isEqualTo(200);
        OrgsyncApp.await("the third tenant provisioned", () -> "active".equals(tenant("tnt_life_3").get("lifecycle")), WAIT);
        assertThat(tenant("tnt_life_3").get("storage_bucket")).isNotIn(bucket, tenant("tnt_life_2").get("storage_bucket"));
        assertThat(tenant("tnt_life_3").get("tenant_schema")).isNotIn(schema, tenant("tnt_life_2").get("tenant_schema"));
        assertThat(client.listObjectsV2(b -> b.bucket((String) tenant("tnt_life_3").get("storage_bucket"))).contents()).isEmpty();
    }

    @Test
    void onlyTheInstanceHoldingTheLeasePurges() {
        assertThat(app.postSystem(event("tenant.created", "tnt_lease", "lease"), Instant.now().minusSeconds(30)).status()).isEqualTo(200);
        OrgsyncApp.await("provisioned", () -> "active".equals(tenant("tnt_lease").get("lifecycle")), WAIT);
        assertThat(app.postSystem(event("tenant.deleted", "tnt_lease", "lease"), Instant.now().minusSeconds(20)).status()).isEqualTo(200);
        app.rows("UPDATE orgsync_job_leases SET owner = 'another-instance', lease_until = now() + interval '1 hour' WHERE job = 'purge' RETURNING job");
        clock.moveForward(Duration.ofDays(31));
        try {
            purgeRun();
            assertThat(tenant("tnt_lease")).containsEntry("lifecycle", "deleted");
            assertThat(app.count("orgsync_purge_steps WHERE tenant_id = 'tnt_lease'")).isZero();
            // its lease runs out (the other instance died): this one takes over
            app.rows("UPDATE orgsync_job_leases SET lease_until = now() - interval '1 second' WHERE job = 'purge' RETURNING job");
            purgeRun();
            assertThat(tenant("tnt_lease")).containsEntry("lifecycle", "purged");
            assertThat(app.row("SELECT lease_until FROM orgsync_job_leases WHERE job = 'purge'")).containsEntry("lease_until", null);
        } finally {
            clock.moveForward(Duration.ofDays(-31));
        }
    }

    @Test
    void theExportWritesOneDocumentAndPersonalDataOnlyWhenAskedFor() throws Exception {
        assertThat(app.postSystem(event("tenant.created", "tnt_export", "export"), Instant.now().minusSeconds(30)).status()).isEqualTo(200);
        ObjectNode grant = Fixtures.system("tenant.app.granted");
        ((ObjectNode) grant.get("data")).put("tenant_id", "tnt_export");
        assertThat(app.postSystem(grant, Instant.now().minusSeconds(20)).status()).isEqualTo(200);
        OrgsyncApp.await("provisioned", () -> "active".equals(tenant("tnt_export").get("lifecycle")), WAIT);

        OrgsyncApp.Reply plain = app.admin("POST", "/admin/tenants/tnt_export/export", TOKEN);
        assertThat(plain.status()).isEqualTo(201);
        assertThat(plain.json().path("personal_data").asBoolean()).isFalse();
        String key = plain.json().path("key").asText();
        assertThat(key).matches("exports/tnt-export-[0-9a-f]{10}/\\d{8}T\\d{6}\\.\\d{3}Z\\.json");
        String document = client.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asUtf8String();
        assertThat(plain.json().path("bytes").asInt()).isEqualTo(document.getBytes(StandardCharsets.UTF_8).length);
        JsonNode doc = Fixtures.MAPPER.readTree(document);
        assertThat(doc.path("format").asText()).isEqualTo("orgsync.tenant-export/1");
        assertThat(doc.path("access_grants")).hasSize(1);
        assertThat(doc.path("audit_trail")).hasSize(2);
        assertThat(doc.path("tenant_schema").path("workspaces").get(0).path("name").asText()).isEqualTo("Default Workspace");
        assertThat(document).doesNotContain("founder@acme.example", "jane@acme.example", "usr_founder001", "usr_admin001");

        OrgsyncApp.Reply personal = app.admin("POST", "/admin/tenants/tnt_export/export?personal-data=true", TOKEN);
        assertThat(personal.status()).isEqualTo(201);
        String full = client.getObjectAsBytes(b -> b.bucket(BUCKET).key(personal.json().path("key").asText())).asUtf8String();
        assertThat(Fixtures.MAPPER.readTree(full).path("organization").path("owner_email").asText()).isEqualTo("founder@acme.example");
        assertThat(full).contains("jane@acme.example");

        // bad requests change nothing
        long objects = client.listObjectsV2(b -> b.bucket(BUCKET).prefix("exports/")).contents().size();
        assertThat(app.admin("POST", "/admin/tenants/tnt_export/export", null).status()).isEqualTo(401);
        OrgsyncApp.Reply unknown = app.admin("POST", "/admin/tenants/tnt_nobody/export", TOKEN);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.code()).isEqualTo("not_found");
        OrgsyncApp.Reply bad = app.admin("POST", "/admin/tenants/tnt_export/export?personal-data=maybe", TOKEN);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.raw()).contains("personal-data");
        assertThat(client.listObjectsV2(b -> b.bucket(BUCKET).prefix("exports/")).contents()).hasSize((int) objects);

        // and the operator's view of the tenant
        OrgsyncApp.Reply shown = app.admin("GET", "/admin/tenants/tnt_export", TOKEN);
        assertThat(shown.status()).isEqualTo(200);
        assertThat(shown.json().path("lifecycle").asText()).isEqualTo("active");
        assertThat(shown.json().path("history")).hasSize(2);
        assertThat(app.admin("GET", "/admin/tenants/tnt_nobody", TOKEN).status()).isEqualTo(404);
    }

    @Test
    void aTenantDeletedBeforeItsProvisioningIsDeliveredGetsNothing() {
        Instant t = Instant.now().minusSeconds(30);
        // the deletion is applied first (events arrive in any order); its creation's provisioning comes after
        assertThat(app.postSystem(event("tenant.deleted", "tnt_gone", "gone"), t.plusSeconds(1)).status()).isEqualTo(200);
        assertThat(app.postSystem(event("tenant.created", "tnt_gone", "gone"), t).status()).isEqualTo(200);
        OrgsyncApp.await("the provisioning delivery", () -> app.count("orgsync_outbox WHERE order_key = 'tnt_gone' "
                + "AND target = 'provisioning' AND status = 'done'") == 1, WAIT);
        assertThat(tenant("tnt_gone")).containsEntry("lifecycle", "deleted").containsEntry("storage_bucket", null)
                .containsEntry("tenant_schema", null);
        assertThat(app.count("pg_namespace WHERE nspname LIKE 'tenant\\_gone\\_%'")).isZero();
    }

    @Test
    void aDeletedClerkOrganisationsMembersAreAnonymisedAfterTheRetention() throws Exception {
        ObjectNode member = Fixtures.clerk("organizationMembership.created");
        ((ObjectNode) member.get("data")).put("id", "orgmem_purge");
        ((ObjectNode) member.get("data").get("organization")).put("id", "org_purge");
        assertThat(app.postClerk(member, "msg_purge_member").status()).isEqualTo(200);
        ObjectNode deleted = Fixtures.clerk("organization.deleted");
        ((ObjectNode) deleted.get("data")).put("id", "org_purge");
        assertThat(app.postClerk(deleted, "msg_purge_deleted").status()).isEqualTo(200);
        assertThat(app.row("SELECT status, scheduled_purge_at = deleted_at + interval '30 days' AS ok FROM organizations WHERE id = 'org_purge'"))
                .containsEntry("status", "deleted").containsEntry("ok", true);
        assertThat(app.row("SELECT identifier, first_name FROM organization_members WHERE id = 'orgmem_purge'"))
                .containsEntry("identifier", "ada@acme.example").containsEntry("first_name", "Ada");
        clock.moveForward(Duration.ofDays(31));
        try {
            purgeRun();
        } finally {
            clock.moveForward(Duration.ofDays(-31));
        }
        assertThat(app.row("SELECT purged_at IS NOT NULL AS purged, created_by FROM organizations WHERE id = 'org_purge'"))
                .containsEntry("purged", true).containsEntry("created_by", "[anonymised]");
        Map<String, Object> anonymised = app.row("SELECT identifier, first_name, last_name, data::text AS data FROM organization_members "
                + "WHERE id = 'orgmem_purge'");
        assertThat(anonymised).containsEntry("identifier", "[anonymised]").containsEntry("first_name", "[anonymised]")
                .containsEntry("last_name", null);
        assertThat((String) anonymised.get("data")).doesNotContain("ada@acme.example", "Ada\"");
        assertThat(app.count("orgsync_events WHERE tenant_id = 'org_purge' AND (raw_body IS NOT NULL OR data::text LIKE '%ada@%')")).isZero();
        // the export before it: the organisation and its members, no personal data
        String key = (String) app.row("SELECT detail->>'key' AS k FROM orgsync_purge_steps WHERE tenant_id = 'org_purge' AND step = 'export'").get("k");
        JsonNode export = Fixtures.MAPPER.readTree(client.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asUtf8String());
        assertThat(export.path("source").asText()).isEqualTo("clerk");
        assertThat(export.path("members")).hasSize(1);
        assertThat(export.toString()).doesNotContain("ada@acme.example");
    }

    @Test
    void aLocalFolderOutsideTheProvisioningFolderIsNeverRemoved() {
        TenantLifecycle lifecycle = app.camel().getRegistry().lookupByNameAndType("tenantLifecycle", TenantLifecycle.class);
        assertThatThrownBy(() -> lifecycle.removeLocalFolder("/tmp")).hasMessageContaining("never removed");
        assertThatThrownBy(() -> lifecycle.removeLocalFolder(app.workDir.resolve("tenants/../archive").toString()))
                .hasMessageContaining("never removed");
    }
}
