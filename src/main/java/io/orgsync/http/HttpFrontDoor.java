package io.orgsync.http;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
 * It also times every answer, from the request's first byte read to its last byte written, as timer
 * {@code orgsync_webhook_ack_seconds{source, status}} (source: the path's last segment under
 * /webhooks/, else {@code other}), with buckets at the usual latency objectives for a histogram.
 * The server is {@link PublicHttpServer}, started by this listener once the routes are built and
 * before any route consumer starts, with the gate on its router before it listens; it is stopped
 * with this service, after the routes.
 */
public class HttpFrontDoor extends ServiceSupport implements ExtendedStartupListener {

    private static final String WEBHOOKS = "/webhooks/";
    private static final Set<String> KNOWN_SOURCES = Set.of("authvital", "clerk");
    private static final Duration[] ACK_BUCKETS = Stream.of(5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
            .map(Duration::ofMillis).toArray(Duration[]::new);
    private static final MeterRegistry NO_REGISTRY = new SimpleMeterRegistry();

    private final Map<String, Timer> ackTimers = new ConcurrentHashMap<>();
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
            long started = System.nanoTime();
            rc.addEndHandler(done -> ackTimer(rc.normalizedPath(), rc.response().getStatusCode())
                    .record(System.nanoTime() - started, TimeUnit.NANOSECONDS));
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

    private Timer ackTimer(String path, int status) {
        String source = path.startsWith(WEBHOOKS) && path.indexOf('/', WEBHOOKS.length()) < 0 && KNOWN_SOURCES.contains(path.substring(WEBHOOKS.length()))
                ? path.substring(WEBHOOKS.length()) : "other";
        return ackTimers.computeIfAbsent(source + "|" + status, key -> Timer.builder("orgsync.webhook.ack")
                .description("Time from a webhook request's arrival to the last byte of its answer")
                .tags("source", source, "status", Integer.toString(status))
                .serviceLevelObjectives(ACK_BUCKETS)
                .register(registry()));
    }

    private MeterRegistry registry() {
        MeterRegistry registry = context.getRegistry().findSingleByType(MeterRegistry.class);
        return registry != null ? registry : NO_REGISTRY;
    }

    private static void answer(RoutingContext rc, int status, String code, String message) {
        if (rc.response().ended()) {
            return;
        }
        rc.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end("{\"status\":\"rejected\",\"code\":\"" + code + "\",\"message\":\"" + message + "\"}");
    }
}
