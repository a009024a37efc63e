package io.orgsync.admin;

import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;

/**
 * Serves a platform-http route on the management server (camel.management.port) instead of the
 * public one: the admin API must never be reachable where the webhooks are. Routes opt in with
 * {@code platformHttpEngine: "#managementHttp"}.
 */
public class ManagementHttpEngine extends VertxPlatformHttpEngine {

    private final int port;

    public ManagementHttpEngine(int port) {
        this.port = port;
    }

    @Override
    public int getServerPort() {
        return port;
    }
}
