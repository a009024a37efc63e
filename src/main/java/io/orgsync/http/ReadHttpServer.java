package io.orgsync.http;

import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;

/**
 * The read API's HTTP server (orgsync.read-api.port): a port that cannot be bound stops start-up with
 * one clear line, as the webhook server's does ({@link PublicHttpServer}).
 */
public class ReadHttpServer extends VertxPlatformHttpServer {

    private final VertxPlatformHttpServerConfiguration configuration;

    public ReadHttpServer(VertxPlatformHttpServerConfiguration configuration) {
        super(configuration);
        this.configuration = configuration;
    }

    @Override
    protected void startServer() throws Exception {
        PublicHttpServer.probe(configuration, "orgsync.read-api.port", "ORGSYNC_READ_API_PORT or ORGSYNC_READ_API_HOST");
        super.startServer();
    }
}
