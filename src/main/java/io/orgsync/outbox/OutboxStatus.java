package io.orgsync.outbox;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.orgsync.ops.Gauges;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.RouteDefinition;

/**
 * What the outbox holds, per target, for the metrics and the admin API.
 * <ul>
 * <li>Gauges from the rows of routes/sql/outbox/gauges.sql, which route outbox-gauges runs on a
 * timer: {@code orgsync_outbox_pending}, {@code orgsync_outbox_dead}, {@code orgsync_outbox_held}
 * (pending rows that a dead letter of their tenant holds back) and
 * {@code orgsync_outbox_oldest_pending_age_seconds}, tagged {@code target} (with target {@code dispatch}:
 * events recorded before a routing table was written, during an upgrade, planned at the next start). Every running target has them from the first snapshot on, at 0.</li>
 * <li>{@link #holdTargets()}: the targets whose delivery route {@code deliver-<name>} was made with
 * {@code onDead: hold} (a target added in YAML counts too).</li>
 * </ul>
 */
public class OutboxStatus {

    private static final String[] KINDS = {"pending", "dead", "held", "oldest_pending_age_seconds"};
    private static final String DELIVERY_ROUTE = "deliver-";

    private final CamelContext context;
    private final Gauges gauges;
    private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();

    public OutboxStatus(CamelContext context, Gauges gauges) {
        this.context = context;
        this.gauges = gauges;
    }

    /** A target's on-dead policy, "hold" or "skip": the onDead parameter its delivery route was made with. */
    String onDeadPolicy(String target) {
        RouteDefinition route = ((ModelCamelContext) context).getRouteDefinition(DELIVERY_ROUTE + target);
        Object policy = route == null || route.getTemplateParameters() == null ? null : route.getTemplateParameters().get("onDead");
        return policy == null ? "skip" : context.resolvePropertyPlaceholders(policy.toString()).strip();
    }

    /** The running targets (a delivery route deliver-<name>), and 'dispatch' (events not planned yet: an upgrade). */
    private List<String> targets() {
        return Stream.concat(Stream.of("dispatch"), deliveryTargets()).toList();
    }

    private Stream<String> deliveryTargets() {
        return context.getRoutes().stream().map(Route::getRouteId).filter(id -> id.startsWith(DELIVERY_ROUTE))
                .map(id -> id.substring(DELIVERY_ROUTE.length()));
    }

    /** The targets whose dead letters hold back their tenant's later rows, comma-separated. */
    public String holdTargets() {
        return deliveryTargets().filter(t -> "hold".equals(onDeadPolicy(t))).sorted().collect(Collectors.joining(","));
    }

    /**
     * The backlog per target for GET /admin/outbox and the console, from the rows of gauges.sql: every
     * running target (and dispatch) with its on-dead policy, pending, dead, held and the oldest
     * pending row's age in seconds; held counts only for "hold" targets.
     */
    public List<Map<String, Object>> backlog(List<Map<String, Object>> rows) {
        Map<String, Map<String, Object>> byTarget = new java.util.TreeMap<>();
        for (String target : targets()) {
            Map<String, Object> empty = new java.util.LinkedHashMap<>();
            empty.put("target", target);
            for (String kind : KINDS) {
                empty.put(kind, 0L);
            }
            byTarget.put(target, empty);
        }
        for (Map<String, Object> row : rows) {
            String target = String.valueOf(row.get("target"));
            Map<String, Object> entry = byTarget.computeIfAbsent(target, t -> new java.util.LinkedHashMap<>(Map.of("target", t)));
            for (String kind : KINDS) {
                entry.put(kind, kind.equals("held") && !"hold".equals(onDeadPolicy(target)) ? 0L
                        : Math.round(((Number) row.get(kind)).doubleValue()));
            }
        }
        byTarget.forEach((target, entry) -> entry.put("on_dead", target.equals("dispatch") ? null : onDeadPolicy(target)));
        return new java.util.ArrayList<>(byTarget.values());
    }

    /**
     * The last snapshot's totals over the delivery targets (dispatch rows left out), for the
     * health details: outbox_pending, outbox_dead, outbox_oldest_pending_seconds.
     */
    public Map<String, Object> totals() {
        long pending = 0;
        long dead = 0;
        long oldest = 0;
        for (Map.Entry<String, AtomicLong> e : values.entrySet()) {
            String[] kindAndTarget = e.getKey().split("\\|", 2);
            if (kindAndTarget[1].equals("dispatch")) {
                continue;
            }
            long value = e.getValue().get();
            switch (kindAndTarget[0]) {
                case "pending" -> pending += value;
                case "dead" -> dead += value;
                case "oldest_pending_age_seconds" -> oldest = Math.max(oldest, value);
                default -> { }
            }
        }
        return Map.of("outbox_pending", pending, "outbox_dead", dead, "outbox_oldest_pending_seconds", oldest);
    }

    /** Takes one snapshot: rows of {target, pending, dead, held, oldest_pending_age_seconds}; held counts only for "hold" targets. */
    public void update(List<Map<String, Object>> rows) {
        // names: orgsync.outbox.<kind> (Prometheus: orgsync_outbox_<kind>)
        Map<String, Long> snapshot = new java.util.HashMap<>();
        for (String target : targets()) {
            for (String kind : KINDS) {
                gauge(kind, target);
            }
        }
        for (Map<String, Object> row : rows) {
            String target = String.valueOf(row.get("target"));
            for (String kind : KINDS) {
                long value = Math.round(((Number) row.get(kind)).doubleValue());
                if (kind.equals("held") && !"hold".equals(onDeadPolicy(target))) {
                    value = 0;
                }
                gauge(kind, target);
                snapshot.put(kind + "|" + target, value);
            }
        }
        // set in one pass (a target with no such rows any more reads 0), never zeroing a gauge a scrape could see
        values.forEach((key, gauge) -> gauge.set(snapshot.getOrDefault(key, 0L)));
    }

    private void gauge(String kind, String target) {
        values.computeIfAbsent(kind + "|" + target, k -> gauges.of("orgsync.outbox." + kind,
                kind.endsWith("seconds") ? "How long the target's oldest pending outbox row has waited, in seconds"
                        : "Outbox rows of the target: " + kind, "target", target));
    }
}
