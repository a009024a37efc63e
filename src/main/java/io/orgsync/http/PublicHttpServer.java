package io.orgsync.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

import io.orgsync.ConfigurationError;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;

/**
 * The public (webhook) HTTP server. orgsync makes it itself rather than through camel-main
 * ({@code camel.server.enabled = false}), so that {@link HttpFrontDoor} decides when it listens and
 * what it answers: its gate goes on the router after the router is made and before the server
 * listens, and the server starts only once the routes are built, just before their consumers start.
 * camel-main's own server listened first and got its routes later: a request in between was answered
 * 404 by Vert.x (seen under load, in a few milliseconds at start-up).
 */
public class PublicHttpServer extends VertxPlatformHttpServer {

    private final VertxPlatformHttpServerConfiguration configuration;
    private final HttpFrontDoor frontDoor;

    public PublicHttpServer(VertxPlatformHttpServerConfiguration configuration, HttpFrontDoor frontDoor) {
        super(configuration);
        this.configuration = configuration;
        this.frontDoor = frontDoor;
    }

    @Override
    protected void initializeServer() {
        super.initializeServer();
        frontDoor.install();
    }

    /**
     * A port that cannot be bound stops start-up with one clear line: Vert.x only logs the failure,
     * and the process would run on, answering nothing.
     */
    @Override
    protected void startServer() throws Exception {
        probe(configuration, "camel.server.port", "ORGSYNC_HTTP_PORT or ORGSYNC_HTTP_HOST");
        super.startServer();
    }

    /** Fails with one clear line when the server's port cannot be bound (key and variables: what to set). */
    static void probe(VertxPlatformHttpServerConfiguration configuration, String key, String variables) {
        if (configuration.getBindPort() > 0) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.setReuseAddress(true);
                probe.bind(new InetSocketAddress(configuration.getBindHost(), configuration.getBindPort()));
            } catch (IOException e) {
                throw new ConfigurationError(key, configuration.getBindHost() + ":" + configuration.getBindPort()
                        + " cannot be bound (" + e.getMessage() + "): set " + variables);
            }
        }
    }
}
