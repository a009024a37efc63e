package io.orgsync.authvital;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.SharedAppTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every AuthVital event, on the system envelope and on the seed/sync envelope, over real HTTP
 * with real signatures, lands in PostgreSQL as the seed's mapping tables say.
 */
class AuthVitalMappingTest extends SharedAppTest {


    @Test
    void systemTenantLifecycle() {
        Instant t = Instant.now().minusSeconds(10);
        assertApplied(app.postSystem(Fixtures.system("tenant.created"), t));
        Map<String, Object> row = app.row("SELECT * FROM av_organizations WHERE id = 'tnt_acme123'");
        assertThat(row).containsEntry("name", "Acme Corporation").containsEntry("slug", "acme-corp")
                .containsEntry("plan", "free").containsEntry("status", "active")
                .containsEntry("allow_signups", true).containsEntry("require_mfa", false)
                .containsEntry("session_lifetime_minutes", 480).containsEntry("password_policy", "standard")
                .containsEntry("created_by_sub", "usr_founder001").containsEntry("owner_email", "founder@acme.example");
        assertThat(row.get("allowed_email_domains")).isEqualTo(List.of());
        assertThat(json(row.get("settings"))).isEqualTo(json("{\"theme\":\"dark\"}"));
        assertThat(json(row.get("data")).path("owner_email").asText()).isEqualTo("founder@acme.example");
        assertThat(app.row("SELECT source_created_at = '2026-11-20T10:00:00Z' AS ok FROM av_organizations").get("ok")).isEqualTo(true);

        assertApplied(app.postSystem(Fixtures.system("tenant.updated"), t.plusSeconds(1)));
        row = app.row("SELECT * FROM av_organizations WHERE id = 'tnt_acme123'");
        assertThat(row).containsEntry("name", "Acme Corp").containsEntry("updated_by_sub", "usr_admin001")
                .containsEntry("created_by_sub", "usr_founder001").containsEntry("status", "active");
        Map<String, Object> audit = app.row("SELECT * FROM av_organization_audit_logs WHERE event_type = 'tenant.updated'");
        assertThat(audit).containsEntry("organization_id", "tnt_acme123").containsEntry("entity_type", "organization")
                .containsEntry("entity_id", "tnt_acme123").containsEntry("changed_by_sub", "usr_admin001")
                .containsEntry("source", "authvital");
        assertThat(audit.get("changed_fields")).isEqualTo(List.of("name"));
        assertThat(json(audit.get("previous_values"))).isEqualTo(json("{\"name\":\"Acme Corporation\"}"));
        assertThat(json(audit.get("new_values")).path("name").asText()).isEqualTo("Acme Corp");
        assertThat(json(audit.get("new_values")).has("changed_fields")).isFalse();

        assertApplied(app.postSystem(Fixtures.system("tenant.suspended"), t.plusSeconds(2)));
        row = app.row("SELECT *, suspended_at = '2026-11-20T10:00:00Z' AS when_ok FROM av_organizations");
        assertThat(row).containsEntry("status", "suspended").containsEntry("suspended_by_sub", "usr_admin001")
                .containsEntry("suspended_reason", "payment overdue").containsEntry("when_ok", true)
                .containsEntry("name", "Acme Corp");

        assertApplied(app.postSystem(Fixtures.system("tenant.deleted"), t.plusSeconds(3)));
        row = app.row("SELECT *, deleted_at = '2026-11-20T10:00:00Z' AS when_ok FROM av_organizations");
        assertThat(row).containsEntry("status", "deleted").containsEntry("deleted_by_sub", "usr_admin001")
                .containsEntry("when_ok", true);
        assertThat(app.count("av_organization_audit_logs")).isEqualTo(4);
        assertThat(app.rows("SELECT event_type FROM av_organization_audit_logs ORDER BY occurred_at"))
                .extracting(r -> r.get("event_type"))
                .containsExactly("tenant.created", "tenant.updated", "tenant.suspended", "tenant.deleted");
    }

    @Test
    void systemApplicationLifecycle() {
        Instant t = Instant.now().minusSeconds(10);
        assertApplied(app.postSystem(Fixtures.system("application.created"), t));
        Map<String, Object> row = app.row("SELECT * FROM av_applications WHERE id = 'app_dashboard456'");
        assertThat(row).containsEntry("name", "Acme Dashboard").containsEntry("slug", "acme-dashboard")
                .containsEntry("description", "Main customer dashboard").containsEntry("client_id", "acme_dashboard_prod")
                .containsEntry("application_type", "SPA").containsEntry("is_active", true)
                .containsEntry("organization_id", null).containsEntry("access_token_ttl_seconds", 3600)
                .containsEntry("refresh_token_ttl_seconds", 604800).containsEntry("initiate_login_uri", null)
                .containsEntry("token_endpoint_auth_method", "client_secret_basic").containsEntry("status", "active");
        assertThat(row.get("redirect_uris")).isEqualTo(List.of("https://dashboard.acme.example/callback"));
        assertThat(row.get("post_logout_redirect_uris")).isEqualTo(List.of("https://dashboard.acme.example"));
        assertThat(json(row.get("licensing")).path("mode").asText()).isEqualTo("PER_SEAT");

        assertApplied(app.postSystem(Fixtures.system("application.updated"), t.plusSeconds(1)));
        row = app.row("SELECT * FROM av_applications");
        assertThat(row).containsEntry("is_active", false).containsEntry("name", "Acme Dashboard");
        // application.updated carries no config: the redirect URIs stay as created
        assertThat(row.get("redirect_uris")).isEqualTo(List.of("https://dashboard.acme.example/callback"));

        assertApplied(app.postSystem(Fixtures.system("application.deleted"), t.plusSeconds(2)));
        row = app.row("SELECT *, deleted_at = '2026-11-20T10:00:00Z' AS when_ok FROM av_applications");
        assertThat(row).containsEntry("status", "deleted").containsEntry("when_ok", true);
        assertThat(app.count("av_organization_audit_logs")).isEqualTo(3);
    }

    @Test
    void systemSsoProviderLifecycle() {
        Instant t = Instant.now().minusSeconds(10);
        assertApplied(app.postSystem(Fixtures.system("sso.provider_added"), t));
        Map<String, Object> row = app.row("SELECT * FROM av_sso_providers WHERE id = 'GOOGLE'");
        assertThat(row).containsEntry("provider_type", "google").containsEntry("display_name", "Google")
                .containsEntry("is_enabled", true).containsEntry("organization_id", null).containsEntry("status", "active");
        assertThat(row.get("domains")).isEqualTo(List.of());

        assertApplied(app.postSystem(Fixtures.system("sso.provider_updated"), t.plusSeconds(1)));
        assertThat(app.row("SELECT changed_fields FROM av_organization_audit_logs WHERE event_type = 'sso.provider_updated'")
                .get("changed_fields")).isEqualTo(List.of("is_enabled"));
        assertThat(app.row("SELECT display_name FROM av_sso_providers").get("display_name")).isEqualTo("Google");

        assertApplied(app.postSystem(Fixtures.system("sso.provider_removed"), t.plusSeconds(2)));
        row = app.row("SELECT *, deleted_at = '2026-11-20T10:00:00Z' AS when_ok FROM av_sso_providers");
        assertThat(row).containsEntry("status", "deleted").containsEntry("when_ok", true);
    }

    @Test
    void systemGrantsAndRevokes() {
        Instant t = Instant.now().minusSeconds(10);
        assertApplied(app.postSystem(Fixtures.system("tenant.app.granted"), t));
        Map<String, Object> row = app.row("SELECT * FROM av_tenant_app_access");
        assertThat(row).containsEntry("id", "tnt_acme123:app_dashboard456:user:usr_123")
                .containsEntry("grant_kind", "user").containsEntry("user_email", "jane@acme.example")
                .containsEntry("access_type", "GRANTED").containsEntry("granted_by_id", "usr_admin001")
                .containsEntry("license_assignment_id", "lic_asg_1").containsEntry("status", "granted");

        assertApplied(app.postSystem(Fixtures.system("tenant.app.revoked"), t.plusSeconds(1)));
        row = app.row("SELECT * FROM av_tenant_app_access");
        assertThat(row).containsEntry("status", "revoked").containsEntry("revoked_by_id", "usr_admin001")
                .containsEntry("access_type", "GRANTED");

        ObjectNode subscription = Fixtures.system("tenant.app.granted");
        ObjectNode data = (ObjectNode) subscription.get("data");
        data.remove(List.of("user_id", "user_email", "access_type", "granted_by_id", "license_assignment_id"));
        data.put("subscription_id", "sub_77").put("license_type_id", "lt_pro").put("license_type_name", "Pro")
                .put("quantity_purchased", 25).put("status", "ACTIVE");
        assertApplied(app.postSystem(subscription, t.plusSeconds(2)));
        row = app.row("SELECT * FROM av_tenant_app_access WHERE grant_kind = 'subscription'");
        assertThat(row).containsEntry("id", "tnt_acme123:app_dashboard456:subscription:sub_77")
                .containsEntry("license_type_name", "Pro").containsEntry("quantity_purchased", 25)
                .containsEntry("subscription_status", "ACTIVE").containsEntry("status", "granted");
    }

    @Test
    void seedEnvelopeMapsEveryFieldOfTheSeedTables() {
        assertApplied(app.postSync(Fixtures.seed("tenant.created")));
        Map<String, Object> row = app.row("SELECT * FROM av_organizations WHERE id = 'tnt_test123'");
        assertThat(row).containsEntry("name", "Test Corp").containsEntry("slug", "test-corp").containsEntry("plan", "pro")
                .containsEntry("allow_signups", true).containsEntry("require_mfa", false)
                .containsEntry("session_lifetime_minutes", 480).containsEntry("password_policy", "standard")
                .containsEntry("created_by_sub", "usr_admin001").containsEntry("status", "active");
        assertThat(row.get("allowed_email_domains")).isEqualTo(List.of());

        ObjectNode update = Fixtures.seed("tenant.updated");
        update.put("timestamp", "2026-11-20T10:00:01.000Z");
        assertApplied(app.postSync(update));
        row = app.row("SELECT * FROM av_organizations WHERE id = 'tnt_test123'");
        assertThat(row).containsEntry("plan", "enterprise").containsEntry("allow_signups", false)
                .containsEntry("require_mfa", true).containsEntry("session_lifetime_minutes", 240)
                .containsEntry("password_policy", "strict").containsEntry("created_by_sub", "usr_admin001");
        assertThat(row.get("allowed_email_domains")).isEqualTo(List.of("test.example"));
        Map<String, Object> audit = app.row("SELECT * FROM av_organization_audit_logs WHERE event_type = 'tenant.updated'");
        assertThat(audit).containsEntry("event_id", "evt_test002");
        assertThat(audit.get("changed_fields")).isEqualTo(List.of("plan"));
        assertThat(json(audit.get("previous_values"))).isEqualTo(json("{\"plan\":\"pro\"}"));
        // the seed's "plan changes" query answers through the GIN index on changed_fields
        assertThat(app.rows("SELECT id FROM av_organization_audit_logs WHERE event_type = 'tenant.updated' "
                + "AND changed_fields @> ARRAY['plan'] AND occurred_at > now() - interval '30 days'")).hasSize(1);

        assertApplied(app.postSync(Fixtures.seed("application.created")));
        row = app.row("SELECT * FROM av_applications WHERE id = 'app_portal1'");
        assertThat(row).containsEntry("organization_id", "tnt_test123").containsEntry("name", "Portal")
                .containsEntry("description", "Customer portal").containsEntry("client_id", "portal_client")
                .containsEntry("application_type", "web").containsEntry("token_endpoint_auth_method", "client_secret_basic")
                .containsEntry("access_token_ttl_seconds", 3600).containsEntry("created_by_sub", "usr_admin001");
        assertThat(row.get("redirect_uris")).isEqualTo(List.of("https://portal.test.example/cb"));
        assertThat(row.get("allowed_scopes")).isEqualTo(List.of("openid", "profile"));
        assertThat(row.get("grant_types")).isEqualTo(List.of("authorization_code", "refresh_token"));

        assertApplied(app.postSync(Fixtures.seed("sso.provider_added")));
        row = app.row("SELECT * FROM av_sso_providers WHERE id = 'sso_okta1'");
        assertThat(row).containsEntry("organization_id", "tnt_test123").containsEntry("provider_type", "okta")
                .containsEntry("display_name", "Okta").containsEntry("client_id", "okta-client")
                .containsEntry("issuer", "https://test.okta.example").containsEntry("is_enabled", true);
        assertThat(row.get("domains")).isEqualTo(List.of("test.example"));
        assertThat(json(row.get("attribute_mapping"))).isEqualTo(json("{\"email\":\"email\",\"name\":\"name\"}"));
        assertThat(app.count("av_organization_audit_logs")).isEqualTo(4);
    }

    /** The system payloads, re-enveloped as sync events: every type applies on the sync channel too. */
    @ParameterizedTest
    @ValueSource(strings = {"tenant.created", "tenant.updated", "tenant.suspended", "tenant.deleted",
            "application.created", "application.updated", "application.deleted", "sso.provider_added",
            "sso.provider_updated", "sso.provider_removed", "tenant.app.granted", "tenant.app.revoked"})
    void everyTypeAppliesOnTheSyncEnvelope(String type) {
        ObjectNode system = Fixtures.system(type);
        ObjectNode sync = Fixtures.MAPPER.createObjectNode();
        sync.put("id", "evt_" + type.replace('.', '_'));
        sync.put("type", type);
        sync.put("timestamp", "2026-11-20T10:00:00.000Z");
        sync.set("tenant_id", system.path("data").path("tenant_id"));
        sync.putNull("application_id");
        sync.set("data", system.get("data"));
        OrgsyncApp.Reply reply = app.postSync(sync);
        assertApplied(reply);
        assertThat(reply.status("event_id")).isEqualTo("evt_" + type.replace('.', '_'));
        Map<String, Object> event = app.row("SELECT * FROM orgsync_events");
        assertThat(event).containsEntry("channel", "sync").containsEntry("event_type", type).containsEntry("outcome", "applied");
        String table = switch (event.get("entity_type").toString()) {
            case "organization" -> "av_organizations";
            case "application" -> "av_applications";
            case "sso_provider" -> "av_sso_providers";
            default -> "av_tenant_app_access";
        };
        assertThat(app.row("SELECT count(*) AS n FROM " + table + " WHERE id = ?", event.get("entity_id")).get("n")).isEqualTo(1L);
        assertThat(app.count("av_organization_audit_logs")).isEqualTo(1);
    }

    @Test
    void unknownEventTypeIsRecordedAndIgnored() {
        ObjectNode event = Fixtures.seed("tenant.created");
        event.put("type", "tenant.member_invited");
        OrgsyncApp.Reply reply = app.postSync(event);
        assertThat(reply.status()).isEqualTo(202);
        assertThat(reply.status("status")).isEqualTo("ignored");
        assertThat(app.row("SELECT outcome, event_type FROM orgsync_events"))
                .containsEntry("outcome", "ignored").containsEntry("event_type", "tenant.member_invited");
        assertThat(app.count("av_organizations")).isZero();
        assertThat(app.count("av_organization_audit_logs")).isZero();
        assertThat(app.postSync(event).status("status")).isEqualTo("duplicate");
    }

    @Test
    void hostileStringsAreStoredExactlyAsSent() {
        String name = "Robert'); DROP TABLE av_organizations;-- \\ \" ${body} {{orgsync.db.url}}";
        String slug = "ünïcødé-\u202Etxt.exe-🚀-ℌ𝔢𝔩𝔩𝔬-\u200B-日本語";
        ObjectNode event = Fixtures.seed("tenant.created");
        ((ObjectNode) event.get("data")).put("name", name).put("slug", slug);
        assertApplied(app.postSync(event));
        Map<String, Object> row = app.row("SELECT name, slug FROM av_organizations");
        assertThat(row).containsEntry("name", name).containsEntry("slug", slug);
        assertThat(app.row("SELECT raw_body FROM orgsync_events").get("raw_body")).isEqualTo(new String(Fixtures.bytes(event),
                java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void responseCarriesNoRequestHeaders() {
        OrgsyncApp.Reply reply = app.postSync(Fixtures.seed("tenant.created"));
        assertApplied(reply);
        assertThat(reply.headers().keySet()).noneMatch(h -> h.toLowerCase().startsWith("x-authvital"));
    }

    static void assertApplied(OrgsyncApp.Reply reply) {
        assertThat(reply.status()).as(reply.raw()).isEqualTo(200);
        assertThat(reply.status("status")).as(reply.raw()).isEqualTo("applied");
    }

    static com.fasterxml.jackson.databind.JsonNode json(Object text) {
        try {
            return Fixtures.MAPPER.readTree(text.toString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
