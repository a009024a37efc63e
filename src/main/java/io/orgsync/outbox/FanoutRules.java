package io.orgsync.outbox;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.http.Json;
import org.apache.camel.CamelContext;

/**
 * The fan-out routing table: which targets an event goes to, read from application.properties
 * (the first key that is set):
 * <ol>
 * <li>{@code orgsync.fanout.ignored} for an event no statement maps (outcome ignored);</li>
 * <li>{@code orgsync.fanout.<source>.<event type>}, e.g. {@code orgsync.fanout.authvital.tenant.created};</li>
 * <li>{@code orgsync.fanout.default}.</li>
 * </ol>
 * A target is the delivery route {@code deliver-<name>} (routes/fanout-engine.camel.yaml, or a
 * file of one's own); one whose route is not there (Stripe without an API key: its route's
 * precondition is false) is left out. Decided once per source, type and outcome.
 */
public class FanoutRules {

    private final CamelContext context;
    private final Map<String, String> decided = new ConcurrentHashMap<>();

    public FanoutRules(CamelContext context) {
        this.context = context;
    }

    /** The targets of one recorded event, comma-separated (empty when none). */
    public String targets(String source, String eventType, String outcome) {
        return decided.computeIfAbsent(source + "|" + eventType + "|" + outcome, k -> {
            String rule = "ignored".equals(outcome) ? property("orgsync.fanout.ignored") : null;
            if (rule == null) {
                rule = property("orgsync.fanout." + source + "." + eventType);
            }
            if (rule == null) {
                rule = property("orgsync.fanout.default");
            }
            return rule == null ? "" : Arrays.stream(rule.split(",")).map(String::strip)
                    .filter(t -> !t.isEmpty() && context.getRoute("deliver-" + t) != null)
                    .distinct().collect(Collectors.joining(","));
        });
    }

    /**
     * The plan of a claim of dispatch rows (the rows claim-dispatch.sql returns: outbox_id, source,
     * event_type, outcome): {@code [{"id": <dispatch row>, "targets": ["archive", …]}, …]}, the input
     * of routes/sql/outbox/plan-deliveries.sql.
     */
    public String plans(List<Map<String, Object>> claimed) {
        ArrayNode plans = Json.MAPPER.createArrayNode();
        for (Map<String, Object> row : claimed) {
            ObjectNode plan = plans.addObject();
            plan.put("id", ((Number) row.get("outbox_id")).longValue());
            ArrayNode targets = plan.putArray("targets");
            String chosen = targets(String.valueOf(row.get("source")), String.valueOf(row.get("event_type")),
                    String.valueOf(row.get("outcome")));
            if (!chosen.isEmpty()) {
                Arrays.stream(chosen.split(",")).forEach(targets::add);
            }
        }
        return plans.toString();
    }

    private String property(String key) {
        return context.getPropertiesComponent().resolveProperty(key).map(String::strip).orElse(null);
    }
}
