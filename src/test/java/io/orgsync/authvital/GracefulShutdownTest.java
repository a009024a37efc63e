package io.orgsync.authvital;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.TestDatabase;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/** Stopping orgsync (Ctrl-C, SIGTERM) finishes the requests in flight before it closes. */
class GracefulShutdownTest {

    @Test
    void aRequestInFlightWhenStoppingIsFinishedAndStored() throws Exception {
        String db = TestDatabase.newDatabaseUrl();
        OrgsyncApp app = OrgsyncApp.start(db, java.util.Map.of());
        // the first request waits 2 s for AuthVital's keys: it is in flight when the stop begins
        app.jwks.stubFor(get(urlEqualTo(OrgsyncApp.JWKS_PATH)).willReturn(okJson(app.signer.jwks()).withFixedDelay(2000)));
        CompletableFuture<OrgsyncApp.Reply> inFlight = CompletableFuture.supplyAsync(() -> app.postSync(Fixtures.seed("tenant.created")));
        Thread.sleep(500);
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(app::close);
        OrgsyncApp.Reply reply = inFlight.get(30, TimeUnit.SECONDS);
        stopping.get(60, TimeUnit.SECONDS);
        assertThat(reply.status()).as(reply.raw()).isEqualTo(200);
        assertThat(reply.status("status")).isEqualTo("applied");
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(db);
             java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM av_organizations")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(1);
        }
    }
}
