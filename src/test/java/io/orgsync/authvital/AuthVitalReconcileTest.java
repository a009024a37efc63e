package io.orgsync.authvital;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reconciliation against a stand-in for AuthVital's super-admin API (WireMock, with the shapes of
 * AuthVital's own contracts): pages, a 429 with Retry-After, per-tenant details, the application
 * list, a tenant gone (its detail 404), the login with its cookie or its MFA answer, a tenant created
 * by a webhook during the run, the dry run's report, and two instances starting at once.
 */
class AuthVitalReconcileTest {

    static final String ADMIN = "admin-token-av-reconcile-0123456789abcdef";
    static final String SUPER = "super-admin-jwt";
    static final Instant OLD = Instant.parse("2026-11-01T00:00:00Z");
    static final Instant NEW = Instant.parse("2026-11-25T00:00:00Z");

    OrgsyncApp app;
    OrgsyncApp other;

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
        if (other != null) {
            other.close();
        }
    }

    OrgsyncApp start(String db, Map<String, String> extra) {
        Map<String, String> p = new HashMap<>(Map.of("orgsync.admin.token", ADMIN, "orgsync.authvital.reconcile.page-size", "2",
                "orgsync.authvital.reconcile.pace-ms", "20"));
        p.putAll(extra);
        return OrgsyncApp.start(db, p);
    }

    static ObjectNode listed(String id, String name) {
        return Fixtures.MAPPER.createObjectNode().put("id", id).put("name", name).put("slug", id.replace('_', '-'))
                .put("createdAt", OLD.toString()).put("memberCount", 1).put("subscriptionCount", 0);
    }

    static ObjectNode detail(String id, String name, Instant updated) {
        ObjectNode d = listed(id, name).put("updatedAt", updated.toString());
        d.set("settings", Fixtures.seed("tenant.created").get("data").get("settings")); // as the webhooks sent them
        d.putArray("domains");
        d.putArray("appSubscriptions");
        d.putArray("members");
        return d;
    }

    static String page(int total, int offset, ObjectNode... tenants) {
        ObjectNode page = Fixtures.MAPPER.createObjectNode();
        ArrayNode list = page.putArray("tenants");
        for (ObjectNode t : tenants) {
            list.add(t);
        }
        return page.put("total", total).put("limit", 2).put("offset", offset).toString();
    }

    static String applications(ObjectNode... apps) {
        ArrayNode list = Fixtures.MAPPER.createArrayNode();
        for (ObjectNode a : apps) {
            list.add(a);
        }
        return list.toString();
    }

    static ObjectNode application(String id, String name, Instant updated) {
        ObjectNode a = Fixtures.MAPPER.createObjectNode().put("id", id).put("name", name).put("slug", id.replace('_', '-'))
                .put("description", "from AuthVital").put("isActive", true).put("createdAt", OLD.toString()).put("updatedAt", updated.toString());
        a.putArray("clients").addObject().put("clientId", "cli_" + id).put("type", "CONFIDENTIAL");
        return a;
    }

    /** The mirror before a run: tenants and an application from webhooks, some of which AuthVital no longer has. */
    void mirrorBeforeTheRun(OrgsyncApp app) {
        webhookTenant(app, "evt_keep", "tnt_keep", "Keep", OLD);
        webhookTenant(app, "evt_stale", "tnt_stale", "Old Name", OLD);
        webhookTenant(app, "evt_gone", "tnt_gone", "Gone", OLD);
        ObjectNode app1 = Fixtures.seed("application.created");
        app1.put("id", "evt_app_gone").put("timestamp", OLD.toString());
        ((ObjectNode) app1.get("data")).put("application_id", "app_gone");
        assertThat(app.postSync(app1).status()).isEqualTo(200);
        ObjectNode google = Fixtures.seed("sso.provider_added");
        google.put("id", "evt_google").put("timestamp", OLD.toString());
        ((ObjectNode) google.get("data")).put("provider_id", "GOOGLE").put("provider_type", "google");
        ((ObjectNode) google.get("data").get("config")).put("client_id", "old-client").putArray("domains").add("old.example");
        assertThat(app.postSync(google).status()).isEqualTo(200);
        // a subscription of tnt_stale that AuthVital has since removed (no event is sent for that)
        ObjectNode grant = Fixtures.seed("tenant.created");
        grant.put("id", "evt_sub_gone").put("type", "tenant.app.granted").put("timestamp", OLD.toString()).put("tenant_id", "tnt_stale");
        grant.set("data", Fixtures.MAPPER.createObjectNode().put("tenant_id", "tnt_stale").put("application_id", "app_old")
                .put("subscription_id", "sub_gone").put("status", "ACTIVE").put("quantity_purchased", 5));
        assertThat(app.postSync(grant).status()).isEqualTo(200);
    }

    static void webhookTenant(OrgsyncApp app, String eventId, String tenant, String name, Instant at) {
        ObjectNode e = Fixtures.seed("tenant.created");
        e.put("id", eventId).put("tenant_id", tenant).put("timestamp", at.toString());
        ((ObjectNode) e.get("data")).put("tenant_id", tenant).put("name", name).put("slug", tenant.replace('_', '-'));
        assertThat(app.postSync(e).status()).isEqualTo(200);
    }

    /** AuthVital as it is now: tnt_keep unchanged, tnt_stale renamed, tnt_missing never delivered, tnt_gone gone. */
    static void authVitalNow(WireMockServer av) {
        av.stubFor(get(urlPathEqualTo("/api/super-admin/tenants")).withQueryParam("offset", equalTo("0"))
                .withHeader("Authorization", equalTo("Bearer " + SUPER))
                .inScenario("rate").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "1")).willSetStateTo("ok"));
        av.stubFor(get(urlPathEqualTo("/api/super-admin/tenants")).withQueryParam("offset", equalTo("0"))
                .withHeader("Authorization", equalTo("Bearer " + SUPER)).inScenario("rate").whenScenarioStateIs("ok")
                .willReturn(okJson(page(3, 0, listed("tnt_missing", "Missing"), listed("tnt_stale", "New Name")))));
        av.stubFor(get(urlPathEqualTo("/api/super-admin/tenants")).withQueryParam("offset", equalTo("2"))
                .withHeader("Authorization", equalTo("Bearer " + SUPER))
                .willReturn(okJson(page(3, 2, listed("tnt_keep", "Keep")))));
        ObjectNode missing = detail("tnt_missing", "Missing", NEW);
        ObjectNode subscription = ((ArrayNode) missing.get("appSubscriptions")).addObject().put("id", "sub_1").put("status", "ACTIVE")
                .put("quantityPurchased", 10).put("updatedAt", NEW.toString());
        subscription.putObject("application").put("id", "app_new").put("name", "New App").put("slug", "app-new");
        subscription.putObject("licenseType").put("id", "lt_pro").put("name", "Pro").put("slug", "pro");
        av.stubFor(get(urlPathEqualTo("/api/super-admin/tenants/tnt_missing")).willReturn(okJson(missing.toString())));
        av.stubFor(get(urlPathEqualTo("/api/super-admin/tenants/tnt_stale")).willReturn(okJson(detail("tnt_stale", "New Name", NEW).toString())));
        av.stubFor(get(urlPathEqualTo("/api/super-admin/tenants/tnt_keep")).willReturn(okJson(detail("tnt_keep", "Keep", OLD).toString())));
        av.stubFor(get(urlPathMatching("/api/super-admin/tenants/tnt_(gone|born_mid_run)"))
                .willReturn(aResponse().withStatus(404).withHeader("Content-Type", "application/json").withBody("{\"message\":\"Not found\"}")));
        av.stubFor(get(urlPathEqualTo("/api/super-admin/applications"))
                .willReturn(okJson(applications(application("app_new", "New App", NEW)))));
        // Google turned off and given a client and a domain in AuthVital, with no webhook about it
        av.stubFor(get(urlPathEqualTo("/api/super-admin/sso/providers")).willReturn(okJson("""
                [{"id": "ssop_1", "provider": "GOOGLE", "enabled": false, "clientId": "goog-client", "hasSecret": true,
                  "scopes": ["openid", "email"], "allowedDomains": ["acme.example"], "createdAt": "%s", "updatedAt": "%s"}]"""
                .formatted(OLD, NEW))));
    }

    /**
     * Starts a run, 202: a run that just ended says so a moment before its lock is released, so a
     * start right after it may be told 409 already_running; it is asked again.
     */
    static OrgsyncApp.Reply startRun(OrgsyncApp app, String query) {
        OrgsyncApp.Reply[] reply = new OrgsyncApp.Reply[1];
        OrgsyncApp.await("a run to start", () -> {
            reply[0] = app.admin("POST", "/admin/authvital/reconcile" + query, ADMIN);
            return reply[0].status() != 409;
        }, Duration.ofSeconds(10));
        assertThat(reply[0].status()).as(reply[0].raw()).isEqualTo(202);
        return reply[0];
    }

    JsonNode awaitRun(OrgsyncApp app, long runId) {
        JsonNode[] run = new JsonNode[1];
        OrgsyncApp.await("run " + runId + " to end", () -> {
            run[0] = app.admin("GET", "/admin/reconcile/runs/" + runId, ADMIN).json();
            return run[0] != null && !"running".equals(run[0].path("status").asText());
        }, Duration.ofSeconds(60));
        return run[0];
    }

    @Test
    void aRunHealsTheMirrorAndAWebhookDuringItStaysActive() {
        app = start(TestDatabase.newDatabaseUrl(), Map.of("orgsync.authvital.admin-token", SUPER));
        mirrorBeforeTheRun(app);
        authVitalNow(app.jwks);
        // AuthVital is slow to answer one detail: meanwhile a tenant is created and its webhook arrives
        app.jwks.stubFor(get(urlPathEqualTo("/api/super-admin/tenants/tnt_stale"))
                .willReturn(okJson(detail("tnt_stale", "New Name", NEW).toString()).withFixedDelay(2_000)));

        OrgsyncApp.Reply started = app.admin("POST", "/admin/authvital/reconcile", ADMIN);
        assertThat(started.status()).as(started.raw()).isEqualTo(202);
        assertThat(started.json().path("status").asText()).isEqualTo("running");
        long runId = started.json().path("run_id").asLong();
        OrgsyncApp.await("the run to read a tenant's detail", () -> !app.jwks.findAll(
                getRequestedFor(urlPathEqualTo("/api/super-admin/tenants/tnt_stale"))).isEmpty(), Duration.ofSeconds(20));
        webhookTenant(app, "evt_born", "tnt_born_mid_run", "Born mid-run", Instant.now());

        JsonNode run = awaitRun(app, runId);
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("succeeded");
        assertThat(run.path("progress").path("created").asInt()).isEqualTo(3);    // tnt_missing, its subscription, app_new
        assertThat(run.path("progress").path("updated").asInt()).isEqualTo(2);    // tnt_stale, GOOGLE
        assertThat(run.path("progress").path("tombstoned").asInt()).isEqualTo(3); // tnt_gone, app_gone, tnt_stale's subscription
        assertThat(run.path("progress").path("unchanged").asInt()).isEqualTo(1);  // tnt_keep

        assertThat(app.rows("SELECT id, name, status FROM av_organizations ORDER BY id")).containsExactly(
                Map.of("id", "tnt_born_mid_run", "name", "Born mid-run", "status", "active"),
                Map.of("id", "tnt_gone", "name", "Gone", "status", "deleted"),
                Map.of("id", "tnt_keep", "name", "Keep", "status", "active"),
                Map.of("id", "tnt_missing", "name", "Missing", "status", "active"),
                Map.of("id", "tnt_stale", "name", "New Name", "status", "active"));
        assertThat(app.rows("SELECT id, name, client_id, status FROM av_applications ORDER BY id")).containsExactly(
                Map.of("id", "app_gone", "name", "Portal", "client_id", "portal_client", "status", "deleted"),
                Map.of("id", "app_new", "name", "New App", "client_id", "cli_app_new", "status", "active"));
        assertThat(app.row("SELECT is_enabled, client_id, domains::text AS domains, status FROM av_sso_providers WHERE id = 'GOOGLE'"))
                .containsEntry("is_enabled", false).containsEntry("client_id", "goog-client")
                .containsEntry("domains", "{acme.example}").containsEntry("status", "active");
        // applied as canonical reconcile events: audited, and fanned out like webhooks (provisioning, billing)
        assertThat(app.rows("SELECT event_type FROM orgsync_events WHERE channel = 'reconcile' ORDER BY event_type"))
                .extracting(r -> r.get("event_type")).containsExactly("application.created", "application.deleted",
                        "sso.provider_updated", "tenant.app.granted", "tenant.app.revoked", "tenant.created", "tenant.deleted", "tenant.updated");
        assertThat(app.rows("SELECT id, status, subscription_status, quantity_purchased FROM av_tenant_app_access ORDER BY id")).containsExactly(
                Map.of("id", "tnt_missing:app_new:subscription:sub_1", "status", "granted", "subscription_status", "ACTIVE", "quantity_purchased", 10),
                Map.of("id", "tnt_stale:app_old:subscription:sub_gone", "status", "revoked", "subscription_status", "ACTIVE", "quantity_purchased", 5));
        assertThat(app.count("av_organization_audit_logs WHERE organization_id = 'tnt_missing' AND event_type = 'tenant.created'")).isEqualTo(1);
        assertThat(app.count("orgsync_outbox o JOIN orgsync_events e ON e.id = o.event_pk WHERE e.tenant_id = 'tnt_missing' "
                + "AND o.target = 'provisioning'")).isEqualTo(1);
        // the 429 was waited out and the page asked again; every call carried the super-admin token
        assertThat(app.jwks.findAll(getRequestedFor(urlPathEqualTo("/api/super-admin/tenants"))).size()).isEqualTo(3);
        assertThat(app.jwks.findAll(getRequestedFor(urlPathMatching("/api/super-admin/.*"))))
                .allMatch(r -> ("Bearer " + SUPER).equals(r.getHeader("Authorization")));

        // a second run, AuthVital now listing the tenant born during the first, finds nothing to do
        app.jwks.stubFor(get(urlPathEqualTo("/api/super-admin/tenants")).withQueryParam("offset", equalTo("0")).inScenario("rate")
                .whenScenarioStateIs("ok").willReturn(okJson(page(4, 0, listed("tnt_born_mid_run", "Born mid-run"), listed("tnt_missing", "Missing")))));
        app.jwks.stubFor(get(urlPathEqualTo("/api/super-admin/tenants")).withQueryParam("offset", equalTo("2"))
                .willReturn(okJson(page(4, 2, listed("tnt_stale", "New Name"), listed("tnt_keep", "Keep")))));
        app.jwks.stubFor(get(urlPathEqualTo("/api/super-admin/tenants/tnt_born_mid_run"))
                .willReturn(okJson(detail("tnt_born_mid_run", "Born mid-run", OLD).toString())));
        JsonNode again = awaitRun(app, startRun(app, "").json().path("run_id").asLong());
        assertThat(again.path("progress").path("created").asInt() + again.path("progress").path("updated").asInt()
                + again.path("progress").path("tombstoned").asInt()).as(again.toString()).isZero();
        assertThat(again.path("progress").path("unchanged").asInt()).isEqualTo(7); // four tenants, a subscription, an application, an SSO provider
    }

    @Test
    void aDryRunReportsTheDriftExactlyAndWritesNothing() throws Exception {
        app = start(TestDatabase.newDatabaseUrl(), Map.of("orgsync.authvital.admin-token", SUPER));
        mirrorBeforeTheRun(app);
        authVitalNow(app.jwks);
        long rows = app.writtenRows();
        long outbox = app.count("orgsync_outbox");
        // a run an instance left behind when it stopped mid-run (its lock went with it)
        app.rows("INSERT INTO orgsync_reconcile_runs (source, dry_run, trigger) VALUES ('authvital', false, 'admin') RETURNING id");

        OrgsyncApp.Reply started = app.admin("POST", "/admin/authvital/reconcile?dry_run=true", ADMIN);
        assertThat(started.status()).as(started.raw()).isEqualTo(202);
        assertThat(started.json().path("dry_run").asBoolean()).isTrue();
        JsonNode run = awaitRun(app, started.json().path("run_id").asLong());
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("succeeded");
        assertThat(run.path("report")).isEqualTo(Fixtures.MAPPER.readTree("""
                {"tenant": {"create": ["tnt_missing"], "update": [{"id": "tnt_stale", "fields": ["name"]}], "tombstone": ["tnt_gone"]},
                 "subscription": {"create": ["tnt_missing:app_new:subscription:sub_1"], "update": [], "tombstone": ["tnt_stale:app_old:subscription:sub_gone"]},
                 "application": {"create": ["app_new"], "update": [], "tombstone": ["app_gone"]},
                 "sso_provider": {"create": [], "update": [{"id": "GOOGLE", "fields": ["client_id", "domains", "is_enabled"]}], "tombstone": []}}"""));
        assertThat(app.writtenRows()).isEqualTo(rows);
        assertThat(app.count("orgsync_outbox")).isEqualTo(outbox);
        assertThat(app.row("SELECT status, error FROM orgsync_reconcile_runs ORDER BY id LIMIT 1"))
                .containsEntry("status", "failed").containsEntry("error", "The instance running it stopped before it ended");
        assertThat(app.count("orgsync_events WHERE channel = 'reconcile'")).isZero();
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + app.managementPort + "/observe/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).containsPattern("orgsync_reconcile_drift_total\\{[^}]*change=\"create\"[^}]*dry_run=\"true\"[^}]*kind=\"tenant\"[^}]*} 1\\.0");
        assertThat(metrics).contains("orgsync_reconcile_last_success_seconds");
    }

    @Test
    void aSuperAdminAccountLogsInForItsCookieAndAnMfaAnswerIsAClearConfigurationError() {
        app = start(TestDatabase.newDatabaseUrl(), Map.of("orgsync.authvital.admin-email", "sync@acme.example",
                "orgsync.authvital.admin-password", "correct horse"));
        authVitalNow(app.jwks);
        app.jwks.stubFor(post(urlPathEqualTo("/api/super-admin/login"))
                .withRequestBody(equalToJson("{\"email\": \"sync@acme.example\", \"password\": \"correct horse\"}"))
                .willReturn(okJson("{\"admin\": {\"id\": \"sa_1\", \"email\": \"sync@acme.example\"}}")
                        .withHeader("Set-Cookie", "super_admin_session=" + SUPER + "; Path=/; HttpOnly; Secure; SameSite=Strict")));
        JsonNode run = awaitRun(app, startRun(app, "").json().path("run_id").asLong());
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("succeeded");
        assertThat(app.row("SELECT status FROM av_organizations WHERE id = 'tnt_missing'")).containsEntry("status", "active");

        app.jwks.stubFor(post(urlPathEqualTo("/api/super-admin/login"))
                .willReturn(okJson("{\"mfaRequired\": true, \"mfaChallengeToken\": \"chal_1\"}")));
        JsonNode refused = awaitRun(app, startRun(app, "").json().path("run_id").asLong());
        assertThat(refused.path("status").asText()).isEqualTo("failed");
        assertThat(refused.path("error").asText()).contains("MFA").doesNotContain("correct horse");
    }

    @Test
    void twoInstancesStartingARunAtOnceRunOneAndTheOtherSaysAlreadyRunning() throws Exception {
        String db = TestDatabase.newDatabaseUrl();
        app = start(db, Map.of("orgsync.authvital.admin-token", SUPER));
        other = start(db, Map.of("orgsync.authvital.admin-token", SUPER, "orgsync.authvital.host", app.jwks.baseUrl()));
        authVitalNow(app.jwks);
        app.jwks.stubFor(get(urlPathEqualTo("/api/super-admin/applications"))
                .willReturn(okJson(applications()).withFixedDelay(3_000)));

        CompletableFuture<OrgsyncApp.Reply> one = CompletableFuture.supplyAsync(() -> app.admin("POST", "/admin/authvital/reconcile", ADMIN));
        CompletableFuture<OrgsyncApp.Reply> two = CompletableFuture.supplyAsync(() -> other.admin("POST", "/admin/authvital/reconcile", ADMIN));
        List<OrgsyncApp.Reply> replies = List.of(one.get(), two.get());
        assertThat(replies).extracting(OrgsyncApp.Reply::status).containsExactlyInAnyOrder(202, 409);
        OrgsyncApp.Reply refused = replies.stream().filter(r -> r.status() == 409).findFirst().orElseThrow();
        assertThat(refused.code()).isEqualTo("already_running");
        OrgsyncApp.Reply accepted = replies.stream().filter(r -> r.status() == 202).findFirst().orElseThrow();
        OrgsyncApp runner = accepted == replies.get(0) ? app : other;
        assertThat(awaitRun(runner, accepted.json().path("run_id").asLong()).path("status").asText()).isEqualTo("succeeded");
        // once it ended, either may start the next (the row says it ended a moment before its lock is released)
        startRun(other, "?dry_run=true");
    }

    @Test
    void withoutAnAdminAccountOrTokenItIs503AndBadFlagsAre400() {
        app = start(TestDatabase.newDatabaseUrl(), Map.of());
        assertThat(app.admin("POST", "/admin/authvital/reconcile", null).status()).isEqualTo(401);
        OrgsyncApp.Reply reply = app.admin("POST", "/admin/authvital/reconcile", ADMIN);
        assertThat(reply.status()).isEqualTo(503);
        assertThat(reply.code()).isEqualTo("not_configured");
        assertThat(app.admin("GET", "/admin/reconcile/runs/999", ADMIN).status()).isEqualTo(404);
    }
}
