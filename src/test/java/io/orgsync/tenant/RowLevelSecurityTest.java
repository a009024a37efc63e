package io.orgsync.tenant;

import java.io.StringWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Row-level security over the real mirror, written by real webhooks: through a login role that is a
 * member of orgsync_reader (as an application's would be), a statement sees and changes only the rows
 * of the tenant context it runs under, in the mirror and in the tenant's own schema; with no context,
 * nothing. orgsync_writer sees every tenant. The jar migrates as a superuser here, which bypasses
 * row-level security: so every check goes through roles that do not.
 */
class RowLevelSecurityTest {

    static OrgsyncApp app;
    static String schemaA;
    static String schemaB;

    @BeforeAll
    static void start() throws Exception {
        app = OrgsyncApp.start(Map.of("orgsync.provisioning.mode", "bucket,schema"));
        Instant t = Instant.now().minusSeconds(30);
        for (String tenant : List.of("tnt_a", "tnt_b")) {
            app.postSystem(tenantCreated(tenant, tenant + "-slug"), t);
            ObjectNode app1 = Fixtures.system("application.created");
            ((ObjectNode) app1.get("data")).put("application_id", "app_" + tenant).put("tenant_id", tenant).put("slug", "app-" + tenant);
            app.postSystem(app1, t);
            ObjectNode sso = Fixtures.system("sso.provider_added");
            ((ObjectNode) sso.get("data")).put("provider_id", "sso_" + tenant).put("tenant_id", tenant);
            app.postSystem(sso, t);
            ObjectNode grant = Fixtures.system("tenant.app.granted");
            ((ObjectNode) grant.get("data")).put("tenant_id", tenant).put("application_id", "app_" + tenant);
            app.postSystem(grant, t);
        }
        // instance-wide: no tenant
        app.postSystem(Fixtures.system("application.created"), t);
        for (String org : List.of("org_a", "org_b")) {
            ObjectNode member = Fixtures.clerk("organizationMembership.created");
            ((ObjectNode) member.get("data")).put("id", "orgmem_" + org);
            ((ObjectNode) member.get("data").get("organization")).put("id", org);
            assertThat(app.postClerk(member, "msg_" + org).status()).isEqualTo(200);
        }
        OrgsyncApp.await("both tenants provisioned", () -> app.count("av_organizations WHERE lifecycle = 'active' AND tenant_schema IS NOT NULL") == 2,
                Duration.ofSeconds(60));
        schemaA = (String) app.row("SELECT tenant_schema FROM av_organizations WHERE id = 'tnt_a'").get("tenant_schema");
        schemaB = (String) app.row("SELECT tenant_schema FROM av_organizations WHERE id = 'tnt_b'").get("tenant_schema");
        try (Connection c = DriverManager.getConnection(app.dbUrl); Statement s = c.createStatement()) {
            // roles are the cluster's: made once, whichever test database comes first
            s.execute("DO $$ BEGIN "
                    + "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rls_app') THEN CREATE ROLE rls_app LOGIN PASSWORD 'rls' IN ROLE orgsync_reader; END IF; "
                    + "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rls_editor') THEN CREATE ROLE rls_editor LOGIN PASSWORD 'rls' IN ROLE orgsync_reader; END IF; "
                    + "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rls_plain') THEN CREATE ROLE rls_plain LOGIN PASSWORD 'rls'; END IF; "
                    + "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rls_service') THEN CREATE ROLE rls_service LOGIN PASSWORD 'rls' IN ROLE orgsync_writer; END IF; "
                    + "END $$");
            // an editor may write, as an application that was granted more would: the policies still confine it
            s.execute("GRANT INSERT, UPDATE, DELETE ON av_organizations, av_applications, av_sso_providers, av_tenant_app_access, "
                    + "av_organization_audit_logs, organizations, organization_members TO rls_editor");
            s.execute("GRANT INSERT, UPDATE, DELETE ON " + schemaA + ".workspaces, " + schemaB + ".workspaces TO rls_editor");
            s.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA " + schemaB + " TO rls_editor");
            // the same table privileges as a reader, without the role: row-level security shows it nothing
            s.execute("GRANT SELECT ON av_organizations TO rls_plain");
        }
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    static ObjectNode tenantCreated(String id, String slug) {
        return Fixtures.tenantEvent("tenant.created", id, slug);
    }

    Connection as(String role) throws SQLException {
        return DriverManager.getConnection(app.dbUrl.replace("user=postgres", "user=" + role + "&password=rls"));
    }

    static List<String> column(Connection c, String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }

    static void context(Connection c, String tenant) throws SQLException {
        try (var s = c.prepareStatement("SELECT set_tenant_context(?)")) {
            s.setString(1, tenant);
            s.execute();
        }
    }

    @Test
    void withNoTenantContextTheReaderSeesNothing() throws Exception {
        try (Connection c = as("rls_app")) {
            for (String table : List.of("av_organizations", "av_applications", "av_sso_providers", "av_tenant_app_access",
                    "av_organization_audit_logs", "av_organization_lifecycle", "organizations", "organization_members",
                    schemaA + ".workspaces", schemaA + ".organization_settings")) {
                assertThat(column(c, "SELECT count(*) FROM " + table)).as(table).containsExactly("0");
            }
            // the same after a context was set and cleared
            context(c, "tnt_a");
            context(c, null);
            assertThat(column(c, "SELECT count(*) FROM av_organizations")).containsExactly("0");
        }
    }

    @Test
    void underTenantAStatementsSeeTenantARowsOnly() throws Exception {
        try (Connection c = as("rls_app")) {
            context(c, "tnt_a");
            assertThat(column(c, "SELECT id FROM av_organizations")).containsExactly("tnt_a");
            // its own applications and providers, and the instance-wide ones; never tenant B's
            assertThat(column(c, "SELECT id FROM av_applications ORDER BY id")).containsExactly("app_dashboard456", "app_tnt_a");
            assertThat(column(c, "SELECT id FROM av_sso_providers")).containsExactly("sso_tnt_a");
            assertThat(column(c, "SELECT DISTINCT tenant_id FROM av_tenant_app_access")).containsExactly("tnt_a");
            assertThat(column(c, "SELECT DISTINCT organization_id FROM av_organization_audit_logs")).containsExactly("tnt_a");
            assertThat(column(c, "SELECT DISTINCT organization_id FROM av_organization_lifecycle")).containsExactly("tnt_a");
            assertThat(column(c, "SELECT count(*) FROM av_organizations WHERE id = 'tnt_b'")).containsExactly("0");
            // a join reaches no further than its tables do
            assertThat(column(c, "SELECT o.id || '/' || a.id FROM av_organizations o JOIN av_applications a ON a.organization_id = o.id"))
                    .containsExactly("tnt_a/app_tnt_a");
            assertThat(column(c, "SELECT a.id FROM av_applications a LEFT JOIN av_tenant_app_access x ON x.application_id = a.id "
                    + "WHERE a.organization_id = 'tnt_b' OR x.tenant_id = 'tnt_b'")).isEmpty();
            // the tenant's own schema: its rows under its context; tenant B's schema shows nothing
            assertThat(column(c, "SELECT name FROM " + schemaA + ".workspaces")).containsExactly("Default Workspace");
            assertThat(column(c, "SELECT count(*) FROM " + schemaB + ".workspaces")).containsExactly("0");
            // Clerk: an organisation's context shows that organisation and its members
            context(c, "org_b");
            assertThat(column(c, "SELECT id FROM organizations")).containsExactly("org_b");
            assertThat(column(c, "SELECT id FROM organization_members")).containsExactly("orgmem_org_b");
            assertThat(column(c, "SELECT count(*) FROM av_organizations")).containsExactly("0");
        }
    }

    @Test
    void copyReadsTheContextsRowsOnly() throws Exception {
        try (Connection c = as("rls_app")) {
            context(c, "tnt_b");
            StringWriter out = new StringWriter();
            c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY av_organizations (id, slug) TO STDOUT", out);
            assertThat(out.toString()).isEqualTo("tnt_b\ttnt_b-slug\n");
            StringWriter schema = new StringWriter();
            c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY " + schemaA + ".workspaces (organization_id) TO STDOUT", schema);
            assertThat(schema.toString()).isEmpty();
        }
    }

    @Test
    void underTenantAUpdatesAndDeletesCannotReachTenantB() throws Exception {
        Map<String, Object> before = app.row("SELECT name, slug, status FROM av_organizations WHERE id = 'tnt_b'");
        long workspacesB = app.count(schemaB + ".workspaces");
        try (Connection c = as("rls_editor"); Statement s = c.createStatement()) {
            context(c, "tnt_a");
            assertThat(s.executeUpdate("UPDATE av_organizations SET name = 'taken' WHERE id = 'tnt_b'")).isZero();
            assertThat(s.executeUpdate("UPDATE av_organizations SET name = 'taken'")).isEqualTo(1); // tenant A's own
            assertThat(s.executeUpdate("DELETE FROM av_applications WHERE organization_id = 'tnt_b'")).isZero();
            assertThat(s.executeUpdate("DELETE FROM av_tenant_app_access WHERE tenant_id <> 'tnt_a'")).isZero();
            assertThat(s.executeUpdate("DELETE FROM " + schemaB + ".workspaces")).isZero();
            // nor move a row of its own into tenant B, or write one there
            assertThatThrownBy(() -> s.executeUpdate("UPDATE av_sso_providers SET organization_id = 'tnt_b' WHERE id = 'sso_tnt_a'"))
                    .hasMessageContaining("row-level security");
            assertThatThrownBy(() -> s.executeUpdate("INSERT INTO " + schemaB + ".workspaces (organization_id, name) VALUES ('tnt_b', 'x')"))
                    .hasMessageContaining("row-level security");
            // COPY into a table under row-level security is refused altogether
            assertThatThrownBy(() -> c.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn("COPY av_organizations (id, last_event_at) FROM STDIN", new java.io.StringReader("tnt_x\t2026-01-01\n")))
                    .hasMessageContaining("row-level security");
        }
        assertThat(app.row("SELECT name, slug, status FROM av_organizations WHERE id = 'tnt_b'")).isEqualTo(before);
        assertThat(app.count("av_applications WHERE organization_id = 'tnt_b'")).isEqualTo(1);
        assertThat(app.count("av_tenant_app_access WHERE tenant_id = 'tnt_b'")).isEqualTo(1);
        assertThat(app.count(schemaB + ".workspaces")).isEqualTo(workspacesB);
        assertThat(app.count("av_sso_providers WHERE id = 'sso_tnt_a' AND organization_id = 'tnt_a'")).isEqualTo(1);
    }

    @Test
    void aTransactionLocalContextEndsWithItsTransaction() throws Exception {
        try (Connection c = as("rls_app")) {
            c.setAutoCommit(false);
            try (var s = c.prepareStatement("SELECT set_tenant_context(?, true)")) {
                s.setString(1, "tnt_a");
                s.execute();
            }
            assertThat(column(c, "SELECT id FROM av_organizations")).containsExactly("tnt_a");
            c.commit();
            assertThat(column(c, "SELECT count(*) FROM av_organizations")).containsExactly("0");
        }
    }

    @Test
    void theReaderReadsNoneOfOrgsyncsOwnTablesAndOnlyItsRoleSeesRows() throws Exception {
        try (Connection c = as("rls_app")) {
            context(c, "tnt_a");
            assertThatThrownBy(() -> column(c, "SELECT count(*) FROM orgsync_events")).hasMessageContaining("permission denied");
            assertThatThrownBy(() -> column(c, "SELECT count(*) FROM orgsync_outbox")).hasMessageContaining("permission denied");
        }
        try (Connection c = as("rls_plain")) {
            context(c, "tnt_a");
            assertThat(column(c, "SELECT count(*) FROM av_organizations")).containsExactly("0");
        }
        // orgsync's own role: every tenant, with no context, explicitly (policy orgsync_all_rows)
        try (Connection c = as("rls_service")) {
            assertThat(column(c, "SELECT id FROM av_organizations ORDER BY id")).containsExactly("tnt_a", "tnt_b");
            assertThat(column(c, "SELECT count(*) FROM " + schemaB + ".workspaces")).containsExactly("1");
            assertThat(column(c, "SELECT count(*) FROM orgsync_events")).isNotEqualTo(List.of("0"));
        }
    }

    @Test
    void everyTenantScopedTableIsForcedUnderRowLevelSecurity() {
        List<Map<String, Object>> tables = app.rows("SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
                + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', ?) AND c.relkind = 'r' "
                + "AND c.relname NOT LIKE 'orgsync%' AND c.relname <> 'flyway_schema_history' ORDER BY 1", schemaA);
        assertThat(tables).extracting(t -> t.get("relname")).contains("av_organizations", "av_applications", "av_sso_providers",
                "av_tenant_app_access", "av_organization_audit_logs", "av_organization_lifecycle", "organizations",
                "organization_members", "workspaces", "organization_settings");
        assertThat(tables).allSatisfy(t -> assertThat(t).as(String.valueOf(t.get("relname")))
                .containsEntry("relrowsecurity", true).containsEntry("relforcerowsecurity", true));
    }
}
