package io.orgsync.outbox;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;

/**
 * What the outbox holds, per target, for the metrics and the admin API.
 * <ul>
 * <li>Gauges from the rows of routes/sql/outbox/gauges.sql, which route outbox-gauges runs on a
 * timer: {@code orgsync_outbox_pending}, {@code orgsync_outbox_dead} and {@code orgsync_outbox_held}
 * (pending rows that a dead letter of their tenant holds back), tagged {@code target}.</li>
 * <li>{@link #holdTargets()}: the targets whose {@code orgsync.target.<name>.on-dead} is "hold", the
 * targets being the delivery routes {@code deliver-<name>} (a target added in YAML counts too).</li>
 * </ul>
 */
public class OutboxStatus {

    private static final String[] KINDS = {"pending", "dead", "held"};
    private static final String DELIVERY_ROUTE = "deliver-";

    private final CamelContext context;
    private final UnaryOperator<String> onDeadPolicy;
    private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();

    /** @param onDeadPolicy a target's on-dead policy, "hold" or "skip" */
    public OutboxStatus(CamelContext context, UnaryOperator<String> onDeadPolicy) {
        this.context = context;
        this.onDeadPolicy = onDeadPolicy;
    }

    /** The targets whose dead letters hold back their tenant's later rows, comma-separated. */
    public String holdTargets() {
        return context.getRoutes().stream().map(Route::getRouteId).filter(id -> id.startsWith(DELIVERY_ROUTE))
                .map(id -> id.substring(DELIVERY_ROUTE.length())).filter(t -> "hold".equals(onDeadPolicy.apply(t)))
                .sorted().collect(Collectors.joining(","));
    }

    /** Takes one snapshot: rows of {target, pending, dead, held}; held counts only for "hold" targets. */
    public void update(List<Map<String, Object>> rows) {
        MeterRegistry registry = context.getRegistry().findSingleByType(MeterRegistry.class);
        values.values().forEach(v -> v.set(0));
        for (Map<String, Object> row : rows) {
            String target = String.valueOf(row.get("target"));
            for (String kind : KINDS) {
                long value = ((Number) row.get(kind)).longValue();
                if (kind.equals("held") && !"hold".equals(onDeadPolicy.apply(target))) {
                    value = 0;
                }
                gauge(registry, kind, target).set(value);
            }
        }
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
