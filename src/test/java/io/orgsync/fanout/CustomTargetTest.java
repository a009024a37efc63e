package io.orgsync.fanout;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A target of one's own in YAML alone: routes/examples/notify-webhook.camel.yaml, loaded beside the
 * routes, and one line of the routing table. It gets retries, dead letters and the admin API's
 * replay like the built-in targets, without a line of Java.
 */
class CustomTargetTest {

    static final String TOKEN = "custom-target-test-token-0123456789abcdef";
    static final Duration WAIT = Duration.ofSeconds(30);

    WireMockServer receiver;
    OrgsyncApp app;

    @BeforeEach
    void start() {
        receiver = new WireMockServer(options().dynamicPort());
        receiver.start();
        app = OrgsyncApp.start(Map.of(
                "camel.main.routes-include-pattern", "file:routes/*.camel.yaml,file:routes/examples/notify-webhook.camel.yaml",
                "orgsync.fanout.authvital.tenant.created", "archive,notify-webhook",
                "orgsync.notify.url", receiver.baseUrl() + "/notify",
                "orgsync.notify.initial-backoff-ms", "100",
                "orgsync.notify.max-backoff-ms", "200",
                "orgsync.admin.token", TOKEN));
    }

    @AfterEach
    void stop() {
        app.close();
        receiver.stop();
    }

    @Test
    void theExampleTargetDeliversRetriesDeadLettersAndReplaysLikeABuiltInOne() {
        // a 503 first: retried, then delivered
        receiver.stubFor(post(urlEqualTo("/notify")).inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(503)).willSetStateTo("up"));
        receiver.stubFor(post(urlEqualTo("/notify")).inScenario("flaky").whenScenarioStateIs("up")
                .willReturn(aResponse().withStatus(204)));
        assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
        OrgsyncApp.await("the notification", () -> app.outbox("notify-webhook", "done") == 1, WAIT);
        assertThat(app.row("SELECT attempts FROM orgsync_outbox WHERE target = 'notify-webhook'")).containsEntry("attempts", 2);
        List<LoggedRequest> posts = receiver.findAll(postRequestedFor(urlEqualTo("/notify"))
                .withHeader("Idempotency-Key", equalTo("evt_test001"))
                .withRequestBody(matchingJsonPath("$.event_type", equalTo("tenant.created")))
                .withRequestBody(matchingJsonPath("$.tenant_id", equalTo("tnt_test123"))));
        assertThat(posts).hasSize(2);
        // the routing table sends tenant.updated elsewhere
        assertThat(app.postSync(Fixtures.seed("tenant.updated")).status()).isEqualTo(200);
        OrgsyncApp.await("the update's fan-out", app::fanoutSettled, WAIT);
        assertThat(app.rows("SELECT id FROM orgsync_outbox WHERE target = 'notify-webhook'")).hasSize(1);

        // a 400: a dead letter at once, listed, and replayed once the receiver takes it
        receiver.resetAll();
        receiver.stubFor(post(urlEqualTo("/notify")).willReturn(aResponse().withStatus(400)));
        ObjectNode other = Fixtures.seed("tenant.created");
        other.put("id", "evt_other").put("tenant_id", "tnt_other");
        ((ObjectNode) other.get("data")).put("tenant_id", "tnt_other");
        assertThat(app.postSync(other).status()).isEqualTo(200);
        OrgsyncApp.await("the dead letter", () -> app.outbox("notify-webhook", "dead") == 1, WAIT);
        OrgsyncApp.Reply dead = app.admin("GET", "/admin/dead-letters?target=notify-webhook", TOKEN);
        assertThat(dead.json()).hasSize(1);
        receiver.stubFor(post(urlEqualTo("/notify")).willReturn(aResponse().withStatus(204)));
        long id = dead.json().get(0).path("id").asLong();
        assertThat(app.admin("POST", "/admin/dead-letters/" + id + "/replay", TOKEN).status()).isEqualTo(200);
        OrgsyncApp.await("the replay", () -> app.outbox("notify-webhook", "done") == 2, WAIT);
        assertThat(receiver.findAll(postRequestedFor(urlEqualTo("/notify")).withHeader("Idempotency-Key", equalTo("evt_other"))))
                .hasSize(2);
    }
}
