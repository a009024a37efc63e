package io.orgsync.http;

import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;

/**
 * Serves a platform-http route on the HTTP server of one port. Two are bound: {@code publicHttp}
 * (the webhooks, {@link PublicHttpServer}) and {@code managementHttp} (health, metrics, the admin
 * API: never where the webhooks are). Routes choose with {@code platformHttpEngine: "#publicHttp"}
 * or {@code "#managementHttp"}.
 */
public class PortHttpEngine extends VertxPlatformHttpEngine {

    private final int port;

    public PortHttpEngine(int port) {
        this.port = port;
    }

    @Override
    public int getServerPort() {
        return port;
    }
}
