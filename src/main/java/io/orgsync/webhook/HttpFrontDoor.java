package io.orgsync.webhook;

import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.ExtendedStartupListener;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * The answers Vert.x gives before a request reaches a route (a body above
 * {@code camel.server.max-body-size}, an unknown path) are plain text by default; every orgsync
 * error is JSON with a stable code, so these are too.
 */
public class JsonHttpErrors implements ExtendedStartupListener {

    private final int port;
    private final long maxBodyBytes;

    public JsonHttpErrors(int port, long maxBodyBytes) {
        this.port = port;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        // the router exists once the context has fully started
    }

    @Override
    public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(context, VertxPlatformHttpRouter.getRouterNameFromPort(port));
        if (router == null) {
            return;
        }
        // a failure handler on a catch-all route sees the failures of every route's body handler
        router.route().order(Integer.MIN_VALUE).failureHandler(rc -> {
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
