package io.orgsync.http;

import java.util.function.Consumer;

import io.vertx.ext.web.Router;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;

/**
 * The read API's HTTP server (orgsync.read-api.port): a port that cannot be bound stops start-up with
 * one clear line, as the webhook server's does ({@link PublicHttpServer}). Handlers that go before the
 * routes' (the read cache's answers, {@code ReadFastPath}) are put on its router before it listens.
 */
public class ReadHttpServer extends VertxPlatformHttpServer {

    private final VertxPlatformHttpServerConfiguration configuration;
    private final Consumer<Router> before;

    public ReadHttpServer(VertxPlatformHttpServerConfiguration configuration, Consumer<Router> before) {
        super(configuration);
        this.configuration = configuration;
        this.before = before;
    }

    @Override
    protected void initializeServer() {
        super.initializeServer();
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(getCamelContext(),
                VertxPlatformHttpRouter.getRouterNameFromPort(configuration.getBindPort()));
        if (router == null) {
            throw new IllegalStateException("The read API's server on port " + configuration.getBindPort() + " made no router");
        }
        before.accept(router);
    }

    @Override
    protected void startServer() throws Exception {
        PublicHttpServer.probe(configuration, "orgsync.read-api.port", "ORGSYNC_READ_API_PORT or ORGSYNC_READ_API_HOST");
        super.startServer();
    }
}
