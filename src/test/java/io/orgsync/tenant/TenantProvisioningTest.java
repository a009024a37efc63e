package io.orgsync.tenant;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Concurrently;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Schema-per-tenant provisioning over real webhooks into a real PostgreSQL: whatever the slug, the
 * schema is a safe, unique name of its own, migrated from db/tenant/ with the default resources, and
 * recorded on the tenant row; re-delivery, replay and two instances at once make it once.
 */
class TenantProvisioningTest {

    static final Duration WAIT = Duration.ofSeconds(60);
    static OrgsyncApp app;

    @BeforeAll
    static void start() {
        app = OrgsyncApp.start(Map.of("orgsync.provisioning.mode", "schema"));
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    static ObjectNode tenantCreated(String id, String slug) {
        return Fixtures.tenantEvent("tenant.created", id, slug);
    }

    static String provisionedSchema(String tenantId) {
        OrgsyncApp.await(tenantId + " provisioned", () -> app.count("av_organizations WHERE id = '" + tenantId
                + "' AND lifecycle = 'active' AND tenant_schema IS NOT NULL") == 1, WAIT);
        return (String) app.row("SELECT tenant_schema FROM av_organizations WHERE id = ?", tenantId).get("tenant_schema");
    }

    @Test
    void hostileSlugsGetSafeSchemasOfTheirOwnWithTheDefaultResources() {
        Map<String, String> slugs = new LinkedHashMap<>();
        slugs.put("tnt_quotes", "a\"b'c");
        slugs.put("tnt_sql", "x\"; DROP SCHEMA public CASCADE; --");
        slugs.put("tnt_unicode", "Ünïcødé 東京 🚀");
        slugs.put("tnt_long", "a".repeat(200));
        slugs.put("tnt_empty", "");
        slugs.put("tnt_dot", "Acme.io");
        slugs.put("tnt_underscore", "acme_io");
        slugs.put("tnt_hyphen", "acme-io");
        Instant t = Instant.now().minusSeconds(10);
        slugs.forEach((id, slug) -> assertThat(app.postSystem(tenantCreated(id, slug), t)).as(id).extracting(OrgsyncApp.Reply::status).isEqualTo(200));

        Map<String, String> schemas = new HashMap<>();
        for (String id : slugs.keySet()) {
            String schema = provisionedSchema(id);
            schemas.put(id, schema);
            assertThat(schema).as(id).matches("tenant_[a-z0-9_]+_[0-9a-f]{10}").hasSizeLessThanOrEqualTo(63);
            assertThat(app.count("pg_namespace WHERE nspname = '" + schema + "'")).as(id).isEqualTo(1);
            // the default resources, for this tenant
            assertThat(app.rows("SELECT organization_id, name, is_default FROM " + schema + ".workspaces"))
                    .containsExactly(Map.of("organization_id", id, "name", "Default Workspace", "is_default", true));
            assertThat(app.rows("SELECT organization_id, theme, timezone FROM " + schema + ".organization_settings"))
                    .containsExactly(Map.of("organization_id", id, "theme", "light", "timezone", "UTC"));
            assertThat(app.row("SELECT organization_id FROM " + schema + ".orgsync_tenant")).containsEntry("organization_id", id);
        }
        assertThat(schemas.values()).doesNotHaveDuplicates();
        // accents come off (Ü → u, ï → i, é → e); a letter of its own (ø) and the rest become separators
        assertThat(schemas.get("tnt_unicode")).startsWith("tenant_unic_de_");
        assertThat(schemas.get("tnt_long")).startsWith("tenant_" + "a".repeat(40) + "_");
        assertThat(schemas.get("tnt_empty")).startsWith("tenant_tenant_");
        assertThat(List.of(schemas.get("tnt_dot"), schemas.get("tnt_underscore"), schemas.get("tnt_hyphen")))
                .allSatisfy(s -> assertThat(s).startsWith("tenant_acme_io_"));
        // the public schema and everything in it survived the slug that asked to drop it
        assertThat(app.count("orgsync_events")).isGreaterThanOrEqualTo(slugs.size());
        assertThat(app.count("pg_namespace WHERE nspname LIKE 'tenant\\_%'")).isGreaterThanOrEqualTo(slugs.size());
        assertThat(app.outbox("provisioning", "dead")).isZero();
    }

    @Test
    void reDeliveryReplayAndTwoInstancesAtOnceProvisionOnce() throws Exception {
        Instant t = Instant.now().minusSeconds(10);
        ObjectNode created = tenantCreated("tnt_again", "again");
        assertThat(app.postSystem(created, t).status()).isEqualTo(200);
        String schema = provisionedSchema("tnt_again");
        // the same bytes again: a duplicate, nothing planned again
        assertThat(app.postSystem(created, t).status("status")).isEqualTo("duplicate");
        assertThat(app.count("orgsync_outbox WHERE target = 'provisioning' AND order_key = 'tnt_again'")).isEqualTo(1);

        // the delivery replayed, eight times at once (two instances, an operator's replay): one schema, one of each resource
        Map<String, Object> row = app.row("SELECT e.data::text AS data, e.tenant_id, e.event_id, e.event_type FROM orgsync_events e "
                + "WHERE e.tenant_id = 'tnt_again' AND e.event_type = 'tenant.created'");
        ProducerTemplate producer = app.camel().createProducerTemplate();
        List<java.util.concurrent.Callable<Exception>> deliveries = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            deliveries.add(() -> {
                Exchange exchange = new DefaultExchange(app.camel());
                exchange.setVariable("row", row);
                exchange.setVariable("tenantId", "tnt_again");
                exchange.setVariable("eventId", row.get("event_id"));
                exchange.setVariable("eventType", "tenant.created");
                return producer.send("direct:target-provisioning", exchange).getException();
            });
        }
        List<Exception> failures = Concurrently.run(deliveries);
        // a delivery that lost a race may fail (the outbox would retry it); at least one made it, and nothing twice
        assertThat(failures).contains((Exception) null);
        assertThat(app.count("pg_namespace WHERE nspname LIKE 'tenant\\_again\\_%'")).isEqualTo(1);
        assertThat(app.row("SELECT tenant_schema FROM av_organizations WHERE id = 'tnt_again'")).containsEntry("tenant_schema", schema);
        assertThat(app.count(schema + ".workspaces")).isEqualTo(1);
        assertThat(app.count(schema + ".organization_settings")).isEqualTo(1);
        assertThat(app.count(schema + ".flyway_schema_history WHERE success AND version IN ('1', '2')")).isEqualTo(2);
        // and a failure, if any, said why
        failures.stream().filter(java.util.Objects::nonNull).forEach(f -> assertThat(f.getMessage()).isNotBlank());

        // a later tenant.created for the tenant with another slug (a reconciliation after a rename) reuses its schema
        ObjectNode renamed = tenantCreated("tnt_again", "renamed");
        assertThat(app.postSystem(renamed, t.plusSeconds(1)).status()).isEqualTo(200);
        OrgsyncApp.await("the second delivery", () -> app.outbox("provisioning", "pending") == 0
                && app.count("orgsync_outbox WHERE target = 'provisioning' AND order_key = 'tnt_again' AND status = 'done'") == 2, WAIT);
        assertThat(app.count("pg_namespace WHERE nspname LIKE 'tenant\\_renamed\\_%'")).isZero();
        assertThat(app.row("SELECT tenant_schema FROM av_organizations WHERE id = 'tnt_again'")).containsEntry("tenant_schema", schema);
    }

    @Test
    void aSchemaMarkedAsAnotherTenantsIsNeverShared() {
        // a schema of this name exists and is another tenant's (a hash collision, or a hand-made schema)
        String schema = io.orgsync.outbox.Provisioning.schemaName("taken", "tnt_taken");
        app.rows("SELECT orgsync_prepare_tenant_schema(?, 'tnt_someone_else') AS s", schema);
        assertThat(app.postSystem(tenantCreated("tnt_taken", "taken"), Instant.now().minusSeconds(5)).status()).isEqualTo(200);
        OrgsyncApp.await("the dead letter", () -> app.count("orgsync_outbox WHERE target = 'provisioning' AND order_key = 'tnt_taken' "
                + "AND status = 'dead'") == 1, WAIT);
        assertThat(app.row("SELECT last_error FROM orgsync_outbox WHERE target = 'provisioning' AND order_key = 'tnt_taken'")
                .get("last_error").toString()).contains("belongs to another tenant");
        assertThat(app.row("SELECT organization_id FROM " + schema + ".orgsync_tenant")).containsEntry("organization_id", "tnt_someone_else");
        assertThat(app.row("SELECT lifecycle, tenant_schema FROM av_organizations WHERE id = 'tnt_taken'"))
                .containsEntry("lifecycle", "provisioning").containsEntry("tenant_schema", null);
    }

    @Test
    void aTenantMigrationAddedLaterReachesExistingTenantsAtTheNextStart() throws Exception {
        String db = io.orgsync.support.TestDatabase.newDatabaseUrl();
        String schema;
        try (OrgsyncApp first = OrgsyncApp.start(db, Map.of("orgsync.provisioning.mode", "schema"))) {
            assertThat(first.postSystem(tenantCreated("tnt_later", "later"), Instant.now().minusSeconds(5)).status()).isEqualTo(200);
            OrgsyncApp.await("provisioned", () -> first.count("av_organizations WHERE id = 'tnt_later' AND tenant_schema IS NOT NULL") == 1, WAIT);
            schema = (String) first.row("SELECT tenant_schema FROM av_organizations WHERE id = 'tnt_later'").get("tenant_schema");
        }
        // the next version's tenant migrations: the shipped ones and a new table
        java.nio.file.Path migrations = java.nio.file.Files.createTempDirectory("tenant-migrations");
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of("db/tenant"))) {
            for (java.nio.file.Path file : files.toList()) {
                java.nio.file.Files.copy(file, migrations.resolve(file.getFileName()));
            }
        }
        java.nio.file.Files.writeString(migrations.resolve("V3__projects.sql"),
                "CREATE TABLE projects (id bigserial PRIMARY KEY, organization_id text NOT NULL, name text NOT NULL);\n"
                + "INSERT INTO projects (organization_id, name) SELECT organization_id, 'First project' FROM orgsync_tenant;\n");
        try (OrgsyncApp next = OrgsyncApp.start(db, Map.of("orgsync.provisioning.mode", "schema",
                "orgsync.provisioning.schema-migrations", "filesystem:" + migrations))) {
            OrgsyncApp.await("the new migration in the existing tenant's schema", () -> next.count(schema
                    + ".flyway_schema_history WHERE version = '3' AND success") == 1, WAIT);
            OrgsyncApp.await("its table under row-level security", () -> next.count("pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    + "WHERE n.nspname = '" + schema + "' AND c.relname = 'projects' AND c.relforcerowsecurity") == 1, WAIT);
            assertThat(next.rows("SELECT organization_id, name FROM " + schema + ".projects"))
                    .containsExactly(Map.of("organization_id", "tnt_later", "name", "First project"));
            assertThat(next.count(schema + ".workspaces")).isEqualTo(1);
        }
    }
}
