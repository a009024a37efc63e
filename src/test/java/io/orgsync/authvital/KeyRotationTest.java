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
    void aFloodOfUnknownKidsDoesNotHammerTheJwksHostAndIsNotTakenForAnswersWhileRefetchesArePaused() {
        app = OrgsyncApp.start(Map.of("orgsync.authvital.jwks-refetch-interval-seconds", "60"));
        assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
        byte[] body = Fixtures.rawSeed("tenant.updated");
        Map<String, Integer> answers = new java.util.TreeMap<>();
        for (int i = 0; i < 50; i++) {
            RSAKey forged = AuthVitalSigner.newKey();
            OrgsyncApp.Reply reply = app.post(body, AuthVitalSigner.syncHeaders(forged, body, "evt_test002", "tenant.updated", AuthVitalSigner.now()));
            answers.merge(reply.status() + " " + reply.code(), 1, Integer::sum);
        }
        // "no such key" only after a refetch has shown it; while refetches are paused a new kid may be a
        // real rotation, so it is a retryable 503 (an attacker cannot get a real rotation answered 401)
        assertThat(answers.keySet()).containsOnly("401 unknown_key", "503 key_refetch_limited");
        assertThat(answers.get("503 key_refetch_limited")).isGreaterThanOrEqualTo(45);
        // Nimbus lets a second refetch through per interval (to catch a rotation in progress), never more
        assertThat(app.jwksRequests()).isLessThanOrEqualTo(3);
        assertThat(app.count("orgsync_events")).isEqualTo(1);
        // the known key still works throughout
        assertThat(app.postSync(Fixtures.seed("tenant.updated")).status()).isEqualTo(200);
    }

    @Test
    void theKeySetIsLoadedAtStartAndACachedSetOutlivesItsExpiryThroughAnOutageUpToTheCeiling() throws Exception {
        app = OrgsyncApp.start(Map.of("orgsync.authvital.jwks-cache-seconds", "1", "orgsync.authvital.jwks-refetch-interval-seconds", "0",
                "orgsync.authvital.jwks-max-stale-seconds", "6", "orgsync.authvital.jwks-timeout-ms", "200"));
        assertThat(app.jwksRequests()).as("loaded at start, before any webhook").isGreaterThanOrEqualTo(1);
        // the last successful read of the key set: its cached copy has expired (1 s), so this verification reads it again
        Thread.sleep(1200);
        assertThat(app.postSync(Fixtures.seed("application.created")).status()).isEqualTo(200);
        long lastRead = System.nanoTime();
        app.jwks.stubFor(get(urlEqualTo(OrgsyncApp.JWKS_PATH)).willReturn(aResponse().withStatus(503)));
        Thread.sleep(2000); // the cached set has expired; the JWKS host is down
        OrgsyncApp.Reply during = app.postSync(Fixtures.seed("tenant.created"));
        assertThat(during.status()).as("the last set read still verifies: " + during.raw()).isEqualTo(200);
        // past orgsync.authvital.jwks-max-stale-seconds after the last read
        Thread.sleep(Math.max(0, 7000 - (System.nanoTime() - lastRead) / 1_000_000));
        OrgsyncApp.Reply stale = app.postSync(Fixtures.seed("tenant.updated"));
        assertThat(stale.status()).as(stale.raw()).isEqualTo(503);
        assertThat(stale.code()).isEqualTo("jwks_unavailable");
    }

    @Test
    void withNoKeysAtAllASystemWebhookIsSpooledUnverifiedAndVerifiedAgainstItsReceiptOnceKeysAreBack() throws Exception {
        app = OrgsyncApp.prepare(io.orgsync.support.TestDatabase.newDatabaseUrl(), Map.of("orgsync.authvital.jwks-timeout-ms", "300",
                "orgsync.authvital.jwks-refetch-interval-seconds", "1"));
        app.jwks.stubFor(get(urlEqualTo(OrgsyncApp.JWKS_PATH)).willReturn(aResponse().withStatus(500)));
        app.boot(); // AuthVital's JWKS cannot be read at start-up

        OrgsyncApp.Reply sync = app.postSync(Fixtures.seed("tenant.created"));
        assertThat(sync.status()).as("AuthVital retries sync events").isEqualTo(503);
        assertThat(sync.code()).isEqualTo("jwks_unavailable");
        // a system webhook is never resent: it is kept as received
        java.time.Instant sent = java.time.Instant.now().minusSeconds(200);
        OrgsyncApp.Reply system = app.postSystem(Fixtures.system("tenant.created"), sent);
        assertThat(system.status()).as(system.raw()).isEqualTo(202);
        assertThat(system.status("status")).isEqualTo("spooled");
        // one signed by a key AuthVital never published is kept too, since nothing can be checked yet
        com.fasterxml.jackson.databind.node.ObjectNode forgedBody = Fixtures.system("tenant.deleted");
        forgedBody.put("timestamp", java.time.Instant.now().toString());
        byte[] forged = Fixtures.bytes(forgedBody);
        OrgsyncApp.Reply forgery = app.post(forged, AuthVitalSigner.systemHeaders(AuthVitalSigner.newKey(), forged, "tenant.deleted",
                forgedBody.get("timestamp").asText()));
        assertThat(forgery.status()).isEqualTo(202);
        // and an authentic one that will not fit the mirror (no tenant_id)
        com.fasterxml.jackson.databind.node.ObjectNode noTenant = Fixtures.system("tenant.updated");
        ((com.fasterxml.jackson.databind.node.ObjectNode) noTenant.get("data")).remove("tenant_id");
        assertThat(app.postSystem(noTenant, java.time.Instant.now()).status()).isEqualTo(202);
        assertThat(app.writtenRows()).as("nothing is applied unverified").isZero();
        java.nio.file.Path spool = app.workDir.resolve("spool/authvital-unverified");
        assertThat(DatabaseOutageTest.jsonFiles(spool)).isEqualTo(3);
        Thread.sleep(1000); // a few polls with the keys still missing: the files are kept
        assertThat(DatabaseOutageTest.jsonFiles(spool)).isEqualTo(3);

        // 200 s later than it was signed, verified against its receipt (within the 300 s tolerance then)
        Thread.sleep(1000);
        app.publishKeys();
        OrgsyncApp.await("the spool verified and emptied", () -> DatabaseOutageTest.jsonFilesQuietly(spool) == 0, java.time.Duration.ofSeconds(30));
        assertThat(app.row("SELECT name, status FROM av_organizations WHERE id = 'tnt_acme123'"))
                .containsEntry("name", "Acme Corporation").containsEntry("status", "active");
        assertThat(app.row("SELECT channel, key_id FROM orgsync_events WHERE event_type = 'tenant.created'"))
                .containsEntry("channel", "system").containsEntry("key_id", app.signer.activeKey().getKeyID());
        assertThat(app.count("orgsync_events")).as("the forgery is never applied").isEqualTo(1);
        // verified once the keys were back, the authentic one that cannot be applied is quarantined, not moved aside
        assertThat(app.row("SELECT code, event_type, received_at < now() - interval '1 second' AS kept_receipt FROM orgsync_quarantine"))
                .containsEntry("code", "invalid_event").containsEntry("event_type", "tenant.updated").containsEntry("kept_receipt", true);
        java.nio.file.Path rejected = app.workDir.resolve("spool/rejected");
        try (var reasons = java.nio.file.Files.list(rejected)) {
            assertThat(reasons.filter(p -> p.toString().endsWith(".reason")).map(p -> {
                try {
                    return java.nio.file.Files.readString(p);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            })).containsExactly("unknown_key: No AuthVital signing key has this key id");
        }
    }

    @Test
    void anUnreachableJwksWithNoKeySetReadYetIsA503ForASyncEventSoAuthVitalRetries() {
        // (once a key set has been read, it keeps verifying through an outage: the test above)
        app = OrgsyncApp.prepare(io.orgsync.support.TestDatabase.newDatabaseUrl(), Map.of("orgsync.authvital.jwks-refetch-interval-seconds", "0"));
        app.jwks.stubFor(get(urlEqualTo(OrgsyncApp.JWKS_PATH)).willReturn(aResponse().withStatus(500)));
        app.boot();
        OrgsyncApp.Reply reply = app.postSync(Fixtures.seed("tenant.created"));
        assertThat(reply.status()).isEqualTo(503);
        assertThat(reply.code()).isEqualTo("jwks_unavailable");
        assertThat(app.writtenRows()).isZero();
        app.publishKeys();
        assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
    }
}
