package io.orgsync.http;

import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.ExtendedStartupListener;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.support.service.ServiceSupport;

/**
 * The public (webhook) port: when it listens, and the answers it gives before a request reaches a
 * route, all JSON with a stable code (Vert.x's own are plain text or empty):
 * <ul>
 * <li><b>503 {@code not_ready}</b> (with {@code Retry-After}) from the moment it listens until every
 * route has started, and again from the moment orgsync begins to stop. Without it a sender saw 404
 * ("wrong URL"; a system webhook answered 404 is never sent again) or an empty 503 from a suspended
 * route. The database is opened and migrated before the context starts, so "every route started"
 * means ready.</li>
 * <li>413 {@code body_too_large} above {@code orgsync.webhook.max-body-bytes}.</li>
 * </ul>
 * The server is {@link PublicHttpServer}, started by this listener once the routes are built and
 * before any route consumer starts, with the gate on its router before it listens; it is stopped
 * with this service, after the routes.
 */
public class HttpFrontDoor extends ServiceSupport implements ExtendedStartupListener {

    private final CamelContext context;
    private final int port;
    private final long maxBodyBytes;
    private final PublicHttpServer server;
    private volatile boolean routesStarted;

    public HttpFrontDoor(CamelContext context, String host, int port, long maxBodyBytes) {
        this.context = context;
        this.port = port;
        this.maxBodyBytes = maxBodyBytes;
        VertxPlatformHttpServerConfiguration configuration = new VertxPlatformHttpServerConfiguration();
        configuration.setBindHost(host);
        configuration.setBindPort(port);
        configuration.setMaxBodySize(maxBodyBytes);
        this.server = new PublicHttpServer(configuration, this);
        server.setCamelContext(context);
    }

    /** True when a webhook can be received and stored: every route started, the context not stopping. */
    public boolean isOpen() {
        return routesStarted && context.isStarted() && !context.isStopping();
    }

    /** The routes are built, their consumers not started yet: the public server starts now, gate first. */
    @Override
    public void onCamelContextStarted(CamelContext camelContext, boolean alreadyStarted) {
        ServiceHelper.startService(server);
    }

    @Override
    public void onCamelContextFullyStarted(CamelContext camelContext, boolean alreadyStarted) {
        routesStarted = true;
    }

    @Override
    protected void doStop() {
        ServiceHelper.stopService(server);
    }

    /** Puts the gate on the router the public server has just made, before it listens ({@link PublicHttpServer}). */
    void install() {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(context, VertxPlatformHttpRouter.getRouterNameFromPort(port));
        if (router == null) {
            throw new IllegalStateException("The webhook server on port " + port + " made no router to put the start/stop gate on");
        }
        router.route().order(Integer.MIN_VALUE).handler(rc -> {
            if (isOpen()) {
                rc.next();
            } else {
                rc.response().putHeader("Retry-After", "5");
                answer(rc, 503, "not_ready", "orgsync is starting or stopping; retry shortly");
            }
        }).failureHandler(rc -> {
            // a failure handler on a catch-all route sees the failures of every route's body handler
            if (rc.statusCode() == 413) {
                answer(rc, 413, "body_too_large", "The body is larger than " + maxBodyBytes + " bytes");
            } else {
                rc.next();
            }
        });
    }

    private static void answer(RoutingContext rc, int status, String code, String message) {
        if (rc.response().ended()) {
            return;
        }
        rc.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end("{\"status\":\"rejected\",\"code\":\"" + code + "\",\"message\":\"" + message + "\"}");
    }
}
