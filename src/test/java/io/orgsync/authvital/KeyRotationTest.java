package io.orgsync.authvital;

import java.util.Map;

import com.nimbusds.jose.jwk.RSAKey;
import io.orgsync.support.AuthVitalSigner;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/** AuthVital rotates its keys every 30 days: the JWKS is cached, refetched on a new kid, never hammered. */
class KeyRotationTest {

    OrgsyncApp app;

    @AfterEach
    void shutdown() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void aNewKidCausesOneRefetchAndVerifies() {
        app = OrgsyncApp.start(Map.of("orgsync.authvital.jwks-refetch-interval-seconds", "1"));
        assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
        assertThat(app.postSync(Fixtures.seed("tenant.updated")).status()).isEqualTo(200);
        assertThat(app.jwksRequests()).as("the key set is cached").isEqualTo(1);

        RSAKey rotated = app.signer.rotate(true);
        app.publishKeys();
        OrgsyncApp.Reply reply = app.postSync(Fixtures.seed("application.created"));
        assertThat(reply.status()).as(reply.raw()).isEqualTo(200);
        assertThat(app.row("SELECT key_id FROM orgsync_events WHERE event_id = 'evt_test003'")).containsEntry("key_id", rotated.getKeyID());
        assertThat(app.jwksRequests()).as("one refetch for the new kid").isEqualTo(2);
        assertThat(app.postSync(Fixtures.seed("sso.provider_added")).status()).isEqualTo(200);
        assertThat(app.jwksRequests()).isEqualTo(2);
    }

    @Test
    void aFloodOfUnknownKidsDoesNotHammerTheJwksHost() {
        app = OrgsyncApp.start(Map.of("orgsync.authvital.jwks-refetch-interval-seconds", "60"));
        assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
        byte[] body = Fixtures.rawSeed("tenant.updated");
        for (int i = 0; i < 50; i++) {
            RSAKey forged = AuthVitalSigner.newKey();
            OrgsyncApp.Reply reply = app.post(body, AuthVitalSigner.syncHeaders(forged, body, "evt_test002", "tenant.updated", AuthVitalSigner.now()));
            assertThat(reply.status()).isEqualTo(401);
            assertThat(reply.code()).isEqualTo("unknown_key");
        }
        // Nimbus lets a second refetch through per interval (to catch a rotation in progress), never more
        assertThat(app.jwksRequests()).isLessThanOrEqualTo(3);
        assertThat(app.count("orgsync_events")).isEqualTo(1);
        // the known key still works throughout
        assertThat(app.postSync(Fixtures.seed("tenant.updated")).status()).isEqualTo(200);
    }

    @Test
    void anUnreachableJwksIsA503SoAuthVitalRetries() {
        app = OrgsyncApp.start();
        app.jwks.stubFor(get(urlEqualTo(OrgsyncApp.JWKS_PATH)).willReturn(aResponse().withStatus(500)));
        OrgsyncApp.Reply reply = app.postSync(Fixtures.seed("tenant.created"));
        assertThat(reply.status()).isEqualTo(503);
        assertThat(reply.code()).isEqualTo("jwks_unavailable");
        assertThat(app.writtenRows()).isZero();
        app.publishKeys();
        assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
    }
}
