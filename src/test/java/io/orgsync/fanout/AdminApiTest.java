package io.orgsync.fanout;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.orgsync.support.Fixtures;
import io.orgsync.support.LogCapture;
import io.orgsync.support.OrgsyncApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/** The dead-letter admin API: every status it documents, and a token that never reaches a log. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminApiTest {

    static final String TOKEN = "s3cr3t-admin-token-9f8e7d-0123456789abcdef";
    static final Duration WAIT = Duration.ofSeconds(30);
    static final LogCapture LOGS = new LogCapture();
    static WireMockServer siem;
    static OrgsyncApp app;

    @BeforeAll
    static void start() {
        LOGS.attach();
        siem = new WireMockServer(options().dynamicPort());
        siem.start();
        siem.stubFor(post(urlEqualTo("/audit")).willReturn(aResponse().withStatus(422).withBody("schema mismatch")));
        app = OrgsyncApp.start(Map.of("orgsync.admin.token", TOKEN, "orgsync.audit.url", siem.baseUrl() + "/audit"));
        for (String type : List.of("tenant.created", "tenant.updated", "application.created")) {
            assertThat(app.postSync(Fixtures.seed(type)).status()).isEqualTo(200);
        }
        OrgsyncApp.await("three dead letters", () -> app.outbox("audit-sink", "dead") == 3, WAIT);
    }

    @AfterAll
    static void stop() {
        app.close();
        siem.stop();
        LOGS.detach();
        assertThat(LOGS.lines).isNotEmpty();
        assertThat(LOGS.lines).noneMatch(line -> line.contains(TOKEN));
    }

    @Test
    void withoutTheRightTokenEverythingIs401() {
        for (String token : new String[] {null, "wrong", TOKEN + "x", ""}) {
            OrgsyncApp.Reply reply = app.admin("GET", "/admin/dead-letters", token);
            assertThat(reply.status()).isEqualTo(401);
            assertThat(reply.code()).isEqualTo("unauthorized");
        }
        assertThat(app.admin("POST", "/admin/dead-letters/replay", "wrong").status()).isEqualTo(401);
        assertThat(app.outbox("audit-sink", "dead")).isEqualTo(3);
    }

    @Test
    void listFiltersAndPages() {
        OrgsyncApp.Reply all = app.admin("GET", "/admin/dead-letters", TOKEN);
        assertThat(all.status()).isEqualTo(200);
        assertThat(all.json()).hasSize(3);
        assertThat(all.json().get(0).path("target").asText()).isEqualTo("audit-sink");
        assertThat(all.json().get(0).path("last_error").asText()).contains("422");
        assertThat(all.json().get(0).path("error_category").asText()).isEqualTo("permanent");

        assertThat(app.admin("GET", "/admin/dead-letters?event_type=tenant.updated", TOKEN).json()).singleElement()
                .satisfies(n -> assertThat(n.path("event_id").asText()).isEqualTo("evt_test002"));
        assertThat(app.admin("GET", "/admin/dead-letters?target=stripe", TOKEN).json()).isEmpty();
        assertThat(app.admin("GET", "/admin/dead-letters?limit=2&offset=2", TOKEN).json()).hasSize(1);
        String future = Instant.now().plusSeconds(3600).toString();
        assertThat(app.admin("GET", "/admin/dead-letters?from=" + future, TOKEN).json()).isEmpty();
        assertThat(app.admin("GET", "/admin/dead-letters?to=" + future, TOKEN).json()).hasSize(3);
    }

    @Test
    void oneDeadLetterShowsItsRawBodyHeadersAndEveryAttemptsError() {
        long id = app.admin("GET", "/admin/dead-letters?event_type=tenant.created", TOKEN).json().get(0).path("id").asLong();
        OrgsyncApp.Reply one = app.admin("GET", "/admin/dead-letters/" + id, TOKEN);
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.json().path("raw_body").asText()).contains("\"evt_test001\"");
        assertThat(one.json().path("headers").isObject()).isTrue();
        assertThat(one.json().path("data").path("tenant_id").asText()).isEqualTo("tnt_test123");
        assertThat(one.json().path("attempt_errors")).singleElement().satisfies(a -> {
            assertThat(a.path("attempt").asInt()).isEqualTo(1);
            assertThat(a.path("category").asText()).isEqualTo("permanent");
            assertThat(a.path("error").asText()).contains("422");
        });
    }

    @Test
    void theBacklogPerTargetAndTheReconciliationRunsAreListed() {
        OrgsyncApp.Reply backlog = app.admin("GET", "/admin/outbox", TOKEN);
        assertThat(backlog.status()).isEqualTo(200);
        assertThat(backlog.json().findValuesAsText("target")).contains("dispatch", "archive", "audit-sink", "provisioning").doesNotContain("stripe");
        for (var target : backlog.json()) {
            if (target.path("target").asText().equals("audit-sink")) {
                assertThat(target.path("dead").asLong()).isEqualTo(3);
                assertThat(target.path("on_dead").asText()).isEqualTo("skip");
                assertThat(target.has("oldest_pending_age_seconds")).isTrue();
            }
        }
        OrgsyncApp.Reply runs = app.admin("GET", "/admin/reconcile/runs?source=clerk", TOKEN);
        assertThat(runs.status()).isEqualTo(200);
        assertThat(runs.json().isArray()).isTrue();
        assertThat(app.admin("GET", "/admin/reconcile/runs?source=okta", TOKEN).code()).isEqualTo("invalid_filter");
        assertThat(app.admin("GET", "/admin/outbox", "wrong").status()).isEqualTo(401);
    }

    @Test
    void badFiltersAre400() {
        for (String query : new String[] {"limit=0", "limit=501", "limit=ten", "offset=-1", "from=yesterday",
                "to=2026-11-20", "target=bad%20name", "event_type=%27%3B--"}) {
            OrgsyncApp.Reply reply = app.admin("GET", "/admin/dead-letters?" + query, TOKEN);
            assertThat(reply.status()).as(query).isEqualTo(400);
            assertThat(reply.code()).isEqualTo("invalid_filter");
        }
    }

    @Test
    void unknownIdsAre404() {
        for (String path : new String[] {"/admin/dead-letters/999999", "/admin/dead-letters/abc"}) {
            OrgsyncApp.Reply reply = app.admin("GET", path, TOKEN);
            assertThat(reply.status()).as(path).isEqualTo(404);
            assertThat(reply.code()).isEqualTo("not_found");
        }
        assertThat(app.admin("POST", "/admin/dead-letters/999999/replay", TOKEN).status()).isEqualTo(404);
        assertThat(app.admin("DELETE", "/admin/dead-letters/999999", TOKEN).status()).isEqualTo(404);
    }

    @Test
    void reconciliationWithoutAClerkKeyIs503() {
        OrgsyncApp.Reply reply = app.admin("POST", "/admin/clerk/reconcile", TOKEN);
        assertThat(reply.status()).isEqualTo(503);
        assertThat(reply.code()).isEqualTo("not_configured");
    }

    @Test
    void theAdminApiIsNotOnThePublicPort() {
        assertThat(app.send("GET", "/admin/dead-letters", null, Map.of("Authorization", "Bearer " + TOKEN)).status()).isEqualTo(404);
    }

    @Test
    @Order(Integer.MAX_VALUE) // changes the dead letters the other tests read
    void discardThenReplayTheRestByFilter() {
        long id = app.admin("GET", "/admin/dead-letters?event_type=application.created", TOKEN).json().get(0).path("id").asLong();
        OrgsyncApp.Reply discarded = app.admin("DELETE", "/admin/dead-letters/" + id, TOKEN);
        assertThat(discarded.status()).isEqualTo(200);
        assertThat(discarded.json().path("discarded").asLong()).isEqualTo(id);
        assertThat(app.admin("DELETE", "/admin/dead-letters/" + id, TOKEN).status()).isEqualTo(404);

        siem.resetAll();
        siem.stubFor(post(urlEqualTo("/audit")).willReturn(aResponse().withStatus(204)));
        OrgsyncApp.Reply replay = app.admin("POST", "/admin/dead-letters/replay?target=audit-sink", TOKEN);
        assertThat(replay.status()).isEqualTo(200);
        assertThat(replay.json().path("replayed").asInt()).isEqualTo(2);
        OrgsyncApp.await("the replays", () -> app.outbox("audit-sink", "done") == 2, WAIT);
        assertThat(siem.findAll(postRequestedFor(urlEqualTo("/audit")))).hasSize(2);
        assertThat(app.outbox("audit-sink", "discarded")).isEqualTo(1);
        assertThat(app.admin("GET", "/admin/dead-letters", TOKEN).json()).isEmpty();
    }

}
