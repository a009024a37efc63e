package io.orgsync.ops;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.orgsync.support.AuthVitalSigner;
import io.orgsync.support.Fixtures;
import io.orgsync.support.LogCapture;
import io.orgsync.support.OrgsyncApp;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One event can be followed through the log: its receipt, each delivery and each failed delivery
 * carry event_id, source and event_type in the MDC (deliveries target and outbox_id too), and no
 * line, in its text or its MDC, holds a secret or the raw body.
 */
class StructuredLogsTest {

    static final String TOKEN = "structured-logs-admin-token-0123456789";
    static final String MARKER = "Body-Marker-7f3a9c"; // only in the raw body

    @Test
    void anEventIsFollowedFromReceiptToEachDeliveryAndNoSecretIsLogged() {
        LogCapture logs = new LogCapture();
        logs.attach();
        WireMockServer siem = new WireMockServer(options().dynamicPort());
        siem.start();
        siem.stubFor(post(urlEqualTo("/audit")).willReturn(aResponse().withStatus(500).withBody("down " + MARKER)));
        String eventId;
        String signature;
        try (OrgsyncApp app = OrgsyncApp.start(Map.of("orgsync.admin.token", TOKEN, "orgsync.audit.url", siem.baseUrl() + "/audit",
                "orgsync.target.audit-sink.max-attempts", "1"))) {
            ObjectNode event = Fixtures.seed("tenant.created");
            ((ObjectNode) event.get("data")).put("name", MARKER);
            eventId = event.get("id").asText();
            byte[] body = Fixtures.bytes(event);
            Map<String, String> headers = app.signer.syncHeaders(body, eventId, "tenant.created", AuthVitalSigner.now());
            assertThat(app.post(body, headers).status()).isEqualTo(200);
            signature = headers.get("X-AuthVital-Signature");
            // a tampered copy (its signature is another body's): rejected, logged without its body
            assertThat(app.post(Fixtures.bytes(event.put("id", "evt_tampered")), headers).status()).isEqualTo(401);
            OrgsyncApp.await("the dead letter", () -> app.outbox("audit-sink", "dead") == 1, Duration.ofSeconds(30));
            OrgsyncApp.await("the archive", () -> app.outbox("archive", "done") == 1, Duration.ofSeconds(30));
            assertThat(app.admin("GET", "/admin/dead-letters", TOKEN).status()).isEqualTo(200);
        } finally {
            siem.stop();
            logs.detach();
        }

        List<LogCapture.Line> ofEvent = logs.events.stream().filter(l -> eventId.equals(l.mdc().get("event_id"))).toList();
        assertThat(ofEvent).anySatisfy(l -> {
            assertThat(l.logger()).isEqualTo("io.orgsync.trail");
            assertThat(l.text()).startsWith("Received authvital tenant.created " + eventId + ": 200");
            assertThat(l.mdc()).containsEntry("source", "authvital").containsEntry("event_type", "tenant.created");
        });
        assertThat(ofEvent).anySatisfy(l -> {
            assertThat(l.text()).startsWith("Delivered tenant.created " + eventId + " to archive");
            assertThat(l.mdc()).containsEntry("target", "archive").containsEntry("source", "authvital").containsKey("outbox_id");
        });
        assertThat(ofEvent).anySatisfy(l -> {
            assertThat(l.level()).isEqualTo("WARN");
            assertThat(l.text()).contains("to audit-sink failed");
            assertThat(l.mdc()).containsEntry("target", "audit-sink").containsEntry("event_type", "tenant.created").containsKey("outbox_id");
        });
        assertThat(logs.events).anySatisfy(l -> {
            assertThat(l.text()).contains("authvital request rejected: 401 invalid_signature");
            assertThat(l.mdc()).containsEntry("source", "authvital");
        });
        for (LogCapture.Line line : logs.events) {
            String all = line.text() + " " + line.mdc();
            assertThat(all).as(line.toString()).doesNotContain(MARKER).doesNotContain(TOKEN)
                    .doesNotContain(OrgsyncApp.CLERK_SECRET).doesNotContain(signature);
        }
    }
}
