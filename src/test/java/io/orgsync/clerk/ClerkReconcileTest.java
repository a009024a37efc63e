package io.orgsync.clerk;

import java.util.Map;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/** Reconciliation against WireMock standing in for Clerk's Backend API, several pages, one failing once. */
class ClerkReconcileTest {

    static final String TOKEN = "admin-token-reconcile-0123456789abcdef";
    static final String KEY = "sk_test_clerk_backend";
    WireMockServer clerk;
    OrgsyncApp app;

    @BeforeEach
    void start() {
        clerk = new WireMockServer(options().dynamicPort());
        clerk.start();
        app = OrgsyncApp.start(Map.of("orgsync.admin.token", TOKEN, "orgsync.clerk.secret-key", KEY,
                "orgsync.clerk.api-url", clerk.baseUrl(), "orgsync.clerk.reconcile.page-size", "2"));
    }

    @AfterEach
    void stop() {
        app.close();
        clerk.stop();
    }

    static ObjectNode org(String id, String name, long updated) {
        ObjectNode o = Fixtures.clerk("organization.created").with("data").deepCopy();
        o.put("id", id).put("name", name).put("slug", id.replace('_', '-')).put("updated_at", updated);
        return o;
    }

    static ObjectNode member(String id, ObjectNode org, String user, long updated) {
        ObjectNode m = Fixtures.clerk("organizationMembership.created").with("data").deepCopy();
        m.put("id", id).put("updated_at", updated).set("organization", org);
        ((ObjectNode) m.get("public_user_data")).put("user_id", user).put("identifier", user + "@acme.example");
        return m;
    }

    void webhook(String type, ObjectNode data, String svixId) {
        ObjectNode event = Fixtures.clerk(type.startsWith("organizationMembership") ? "organizationMembership.created" : "organization.created");
        event.put("type", type).set("data", data);
        assertThat(app.postClerk(event, svixId).status()).isEqualTo(200);
    }

    static String page(ObjectNode... items) {
        return page(-1, items);
    }

    static String page(int total, ObjectNode... items) {
        ObjectNode page = Fixtures.MAPPER.createObjectNode();
        ArrayNode data = page.putArray("data");
        for (ObjectNode item : items) {
            data.add(item);
        }
        page.put("total_count", total < 0 ? items.length : total);
        return page.toString();
    }

    void organizations(int offset, String body) {
        clerk.stubFor(get(urlPathEqualTo("/v1/organizations")).withQueryParam("offset", equalTo(Integer.toString(offset)))
                .withHeader("Authorization", equalTo("Bearer " + KEY)).willReturn(okJson(body)));
    }

    void memberships(String org, String body) {
        clerk.stubFor(get(urlPathEqualTo("/v1/organizations/" + org + "/memberships")).willReturn(okJson(body)));
    }

    /** Starts a run (202 with its id) and waits for its end: the run as GET /admin/reconcile/runs/{id} shows it. */
    com.fasterxml.jackson.databind.JsonNode reconcile() {
        // a run that just ended says so a moment before its lock is released: a 409 then is asked again
        OrgsyncApp.Reply[] reply = new OrgsyncApp.Reply[1];
        OrgsyncApp.await("a run to start", () -> {
            reply[0] = app.admin("POST", "/admin/clerk/reconcile", TOKEN);
            return reply[0].status() != 409;
        }, java.time.Duration.ofSeconds(10));
        OrgsyncApp.Reply started = reply[0];
        assertThat(started.status()).as(started.raw()).isEqualTo(202);
        return awaitRun(started.json().path("run_id").asLong());
    }

    com.fasterxml.jackson.databind.JsonNode awaitRun(long id) {
        com.fasterxml.jackson.databind.JsonNode[] run = new com.fasterxml.jackson.databind.JsonNode[1];
        OrgsyncApp.await("run " + id + " to end", () -> {
            run[0] = app.admin("GET", "/admin/reconcile/runs/" + id, TOKEN).json();
            return run[0] != null && !"running".equals(run[0].path("status").asText());
        }, java.time.Duration.ofSeconds(60));
        return run[0];
    }

    @Test
    void bringsTheMirrorInLineWithClerk() {
        ObjectNode keep = org("org_keep", "Keep", 1_000);
        ObjectNode changedOld = org("org_changed", "Old Name", 1_000);
        ObjectNode gone = org("org_gone", "Gone", 1_000);
        webhook("organization.created", keep, "msg_keep");
        webhook("organization.created", changedOld, "msg_changed");
        webhook("organization.created", gone, "msg_gone");
        webhook("organizationMembership.created", member("orgmem_keep", keep, "user_keep", 1_000), "msg_mk");
        webhook("organizationMembership.created", member("orgmem_left", changedOld, "user_left", 1_000), "msg_ml");
        webhook("organizationMembership.created", member("orgmem_of_gone", gone, "user_g", 1_000), "msg_mg");

        ObjectNode changed = org("org_changed", "New Name", 2_000);
        ObjectNode created = org("org_new", "Brand New", 1_500);
        // three organisations over two pages of two; the second page fails once
        organizations(0, page(3, keep, changed));
        clerk.stubFor(get(urlPathEqualTo("/v1/organizations")).withQueryParam("offset", equalTo("2")).inScenario("flaky")
                .whenScenarioStateIs(Scenario.STARTED).willReturn(aResponse().withStatus(503)).willSetStateTo("ok"));
        clerk.stubFor(get(urlPathEqualTo("/v1/organizations")).withQueryParam("offset", equalTo("2")).inScenario("flaky")
                .whenScenarioStateIs("ok").willReturn(okJson(page(3, created))));
        memberships("org_keep", page(member("orgmem_keep", keep, "user_keep", 1_000)));
        memberships("org_changed", page(member("orgmem_joined", changed, "user_joined", 2_000)));
        memberships("org_new", page(member("orgmem_new", created, "user_new", 1_500)));
        clerk.stubFor(get(urlPathEqualTo("/v1/organizations/org_gone")).willReturn(aResponse().withStatus(404)));

        com.fasterxml.jackson.databind.JsonNode run = reconcile();
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("succeeded");
        com.fasterxml.jackson.databind.JsonNode counts = run.path("progress");
        assertThat(counts.path("complete").asBoolean()).isTrue();
        assertThat(counts.path("created").asInt()).isEqualTo(3);    // org_new, orgmem_new, orgmem_joined
        assertThat(counts.path("updated").asInt()).isEqualTo(1);    // org_changed
        assertThat(counts.path("deleted").asInt()).isEqualTo(2);    // orgmem_left, org_gone
        assertThat(counts.path("unchanged").asInt()).isEqualTo(2);  // org_keep, orgmem_keep
        assertThat(counts.path("errors").asInt()).isZero();

        assertThat(app.rows("SELECT id, name, status FROM organizations ORDER BY id")).containsExactly(
                Map.of("id", "org_changed", "name", "New Name", "status", "active"),
                Map.of("id", "org_gone", "name", "Gone", "status", "deleted"),
                Map.of("id", "org_keep", "name", "Keep", "status", "active"),
                Map.of("id", "org_new", "name", "Brand New", "status", "active"));
        assertThat(app.rows("SELECT id, status FROM organization_members ORDER BY id")).containsExactly(
                Map.of("id", "orgmem_joined", "status", "active"),
                Map.of("id", "orgmem_keep", "status", "active"),
                Map.of("id", "orgmem_left", "status", "deleted"),
                Map.of("id", "orgmem_new", "status", "active"),
                Map.of("id", "orgmem_of_gone", "status", "deleted"));
        // audited like webhook changes
        assertThat(app.rows("SELECT event_type FROM av_organization_audit_logs WHERE event_id LIKE 'reconcile:%' ORDER BY id"))
                .extracting(r -> r.get("event_type")).containsExactlyInAnyOrder("organization.updated", "organization.created",
                        "organizationMembership.created", "organizationMembership.created", "organizationMembership.deleted",
                        "organization.deleted");
        assertThat(clerk.findAll(getRequestedFor(urlPathEqualTo("/v1/organizations")))).hasSize(3);

        // a second run finds nothing to do
        com.fasterxml.jackson.databind.JsonNode again = reconcile().path("progress");
        assertThat(again.path("created").asInt() + again.path("updated").asInt() + again.path("deleted").asInt()).isZero();
        assertThat(again.path("unchanged").asInt()).isEqualTo(6);
    }

    @Test
    void anOrganisationCreatedByWebhookWhileARunListsMembershipsIsNotTombstonedByThatRun() throws Exception {
        ObjectNode listed = org("org_listed", "Listed", 1_000);
        webhook("organization.created", listed, "msg_listed");
        organizations(0, page(1, listed));
        // Clerk is slow to list the memberships: while it does, an organisation is created in Clerk and
        // its webhook arrives; it is not in the listing this run read (that page was read before)
        clerk.stubFor(get(urlPathEqualTo("/v1/organizations/org_listed/memberships"))
                .willReturn(okJson(page()).withFixedDelay(2_000)));
        OrgsyncApp.Reply started = app.admin("POST", "/admin/clerk/reconcile", TOKEN);
        assertThat(started.status()).as(started.raw()).isEqualTo(202);
        OrgsyncApp.await("the run to list memberships", () -> !clerk.findAll(
                getRequestedFor(urlPathEqualTo("/v1/organizations/org_listed/memberships"))).isEmpty(), java.time.Duration.ofSeconds(10));
        ObjectNode born = org("org_born_mid_run", "Born mid-run", System.currentTimeMillis());
        webhook("organization.created", born, "msg_born");
        webhook("organizationMembership.created", member("orgmem_born", born, "user_born", System.currentTimeMillis()), "msg_born_m");

        com.fasterxml.jackson.databind.JsonNode run = awaitRun(started.json().path("run_id").asLong());
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("succeeded");
        assertThat(run.path("progress").path("deleted").asInt()).isZero();
        assertThat(app.row("SELECT status FROM organizations WHERE id = 'org_born_mid_run'")).containsEntry("status", "active");
        assertThat(app.row("SELECT status FROM organization_members WHERE id = 'orgmem_born'")).containsEntry("status", "active");
        assertThat(app.row("SELECT status FROM organizations WHERE id = 'org_listed'")).containsEntry("status", "active");
    }

    @Test
    void anOrganisationThatOffsetPagesSkipIsNotTakenForGone() {
        ObjectNode a = org("org_a", "A", 1_000);
        ObjectNode b = org("org_b", "B", 1_000);
        ObjectNode c = org("org_c", "C", 1_000);
        webhook("organization.created", a, "msg_a");
        webhook("organization.created", b, "msg_b");
        webhook("organization.created", c, "msg_c");
        memberships("org_a", page());
        memberships("org_b", page());
        // an organisation listed on the first page was deleted before the second was read: the rest
        // shifted back by one and org_c was on no page; the total tells
        organizations(0, page(4, a, b));
        organizations(2, page(3, org("org_d", "D", 1_000)));
        memberships("org_d", page());
        com.fasterxml.jackson.databind.JsonNode first = reconcile();
        assertThat(first.path("status").asText()).as(first.toString()).isEqualTo("succeeded");
        assertThat(first.path("progress").path("deleted").asInt()).isZero();
        assertThat(app.row("SELECT status FROM organizations WHERE id = 'org_c'")).containsEntry("status", "active");

        // a listing that looks complete, but org_c's own GET says it is there: never tombstoned on a page's word
        organizations(0, page(3, a, b));
        organizations(2, page(3, org("org_d", "D", 1_000)));
        clerk.stubFor(get(urlPathEqualTo("/v1/organizations/org_c")).willReturn(okJson(c.toString())));
        com.fasterxml.jackson.databind.JsonNode second = reconcile();
        assertThat(second.path("progress").path("deleted").asInt()).as(second.toString()).isZero();
        assertThat(app.row("SELECT status FROM organizations WHERE id = 'org_c'")).containsEntry("status", "active");
    }

    @Test
    void aRunThatKeepsFailingStopsWithoutTombstoningAnything() {
        webhook("organization.created", org("org_a", "A", 1_000), "msg_a");
        clerk.stubFor(get(urlPathEqualTo("/v1/organizations")).willReturn(aResponse().withStatus(500)));
        com.fasterxml.jackson.databind.JsonNode run = reconcile();
        assertThat(run.path("status").asText()).isEqualTo("failed");
        assertThat(run.path("progress").path("complete").asBoolean()).isFalse();
        assertThat(run.path("progress").path("errors").asInt()).isEqualTo(1);
        assertThat(app.row("SELECT status FROM organizations")).containsEntry("status", "active");
        // the page was retried before the run gave up
        assertThat(clerk.findAll(getRequestedFor(urlPathEqualTo("/v1/organizations"))).size()).isGreaterThan(1);
        assertThat(run.toString()).doesNotContain(KEY);
    }

    @Test
    void withoutTheTokenItIs401() {
        assertThat(app.admin("POST", "/admin/clerk/reconcile", null).status()).isEqualTo(401);
        assertThat(clerk.getAllServeEvents()).isEmpty();
    }
}
