package io.orgsync.outbox;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.RouteDefinition;

/**
 * What the outbox holds, per target, for the metrics and the admin API.
 * <ul>
 * <li>Gauges from the rows of routes/sql/outbox/gauges.sql, which route outbox-gauges runs on a
 * timer: {@code orgsync_outbox_pending}, {@code orgsync_outbox_dead} and {@code orgsync_outbox_held}
 * (pending rows that a dead letter of their tenant holds back), tagged {@code target}.</li>
 * <li>{@link #holdTargets()}: the targets whose delivery route {@code deliver-<name>} was made with
 * {@code onDead: hold} (a target added in YAML counts too).</li>
 * </ul>
 */
public class OutboxStatus {

    private static final String[] KINDS = {"pending", "dead", "held"};
    private static final String DELIVERY_ROUTE = "deliver-";

    private final CamelContext context;
    private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();

    public OutboxStatus(CamelContext context) {
        this.context = context;
    }

    /** A target's on-dead policy, "hold" or "skip": the onDead parameter its delivery route was made with. */
    String onDeadPolicy(String target) {
        RouteDefinition route = ((ModelCamelContext) context).getRouteDefinition(DELIVERY_ROUTE + target);
        Object policy = route == null || route.getTemplateParameters() == null ? null : route.getTemplateParameters().get("onDead");
        return policy == null ? "skip" : context.resolvePropertyPlaceholders(policy.toString()).strip();
    }

    /** The targets whose dead letters hold back their tenant's later rows, comma-separated. */
    public String holdTargets() {
        return context.getRoutes().stream().map(Route::getRouteId).filter(id -> id.startsWith(DELIVERY_ROUTE))
                .map(id -> id.substring(DELIVERY_ROUTE.length())).filter(t -> "hold".equals(onDeadPolicy(t)))
                .sorted().collect(Collectors.joining(","));
    }

    /** Takes one snapshot: rows of {target, pending, dead, held}; held counts only for "hold" targets. */
    public void update(List<Map<String, Object>> rows) {
        MeterRegistry registry = context.getRegistry().findSingleByType(MeterRegistry.class);
        Map<String, Long> snapshot = new java.util.HashMap<>();
        for (Map<String, Object> row : rows) {
            String target = String.valueOf(row.get("target"));
            for (String kind : KINDS) {
                long value = ((Number) row.get(kind)).longValue();
                if (kind.equals("held") && !"hold".equals(onDeadPolicy(target))) {
                    value = 0;
                }
                gauge(registry, kind, target);
                snapshot.put(kind + "|" + target, value);
            }
        }
        // set in one pass (a target with no such rows any more reads 0), never zeroing a gauge a scrape could see
        values.forEach((key, gauge) -> gauge.set(snapshot.getOrDefault(key, 0L)));
    }

    private AtomicLong gauge(MeterRegistry registry, String kind, String target) {
        return values.computeIfAbsent(kind + "|" + target, k -> {
            AtomicLong value = new AtomicLong();
            if (registry != null) {
                Gauge.builder("orgsync.outbox." + kind, value, AtomicLong::get).tag("target", target)
                        .description("Outbox rows of the target: " + kind).register(registry);
            }
            return value;
        });
    }
}
