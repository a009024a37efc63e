package io.orgsync.outbox;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import javax.sql.DataSource;

import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fan-out routing table: which targets an event goes to, from the {@code orgsync.fanout.*} keys of
 * application.properties (for an event, the first key that is set):
 * <ol>
 * <li>{@code orgsync.fanout.ignored} for an event no statement maps (outcome ignored);</li>
 * <li>{@code orgsync.fanout.<source>.<event type>}, e.g. {@code orgsync.fanout.authvital.tenant.created};</li>
 * <li>{@code orgsync.fanout.default}.</li>
 * </ol>
 * A target is the delivery route {@code deliver-<name>} (routes/fanout-engine.camel.yaml, or a file of
 * one's own); one whose route is not there (Stripe without an API key: its route's precondition is
 * false) is left out.
 * <p>
 * The table is applied by PostgreSQL, in the transaction that records an event (the outbox trigger,
 * db/migration/V6__fanout_rules.sql): this bean writes it to {@code orgsync_fanout_rules} once the routes
 * are built and before any consumer starts, so before the first webhook is taken, and then plans the
 * 'dispatch' rows of events recorded while no table had been written yet (an upgrade).
 */
public class FanoutRules implements StartupListener {

    private static final Logger LOG = LoggerFactory.getLogger(FanoutRules.class);
    private static final String PREFIX = "orgsync.fanout.";

    private final CamelContext context;
    private final DataSource dataSource;

    public FanoutRules(CamelContext context, DataSource dataSource) {
        this.context = context;
        this.dataSource = dataSource;
    }

    /** Rule ('ignored', 'default', '<source>.<event type>') → its running targets, in the order written. */
    public Map<String, List<String>> rules() {
        Map<String, List<String>> rules = new LinkedHashMap<>();
        TreeSet<String> keys = new TreeSet<>(context.getPropertiesComponent().loadProperties(k -> k.startsWith(PREFIX)).stringPropertyNames());
        for (String key : keys) {
            String value = context.getPropertiesComponent().resolveProperty(key).map(String::strip).orElse("");
            rules.put(key.substring(PREFIX.length()), Arrays.stream(value.split(",")).map(String::strip)
                    .filter(t -> !t.isEmpty() && context.getRoute("deliver-" + t) != null).distinct().toList());
        }
        // no default key: no targets, as before; written, so that a table with no key at all is not
        // taken for "no table written yet" (which records dispatch rows)
        rules.putIfAbsent("default", List.of());
        return rules;
    }

    /** The routes are built, no consumer has started: the table is written, then older events planned with it. */
    @Override
    public void onCamelContextStarted(CamelContext camelContext, boolean alreadyStarted) throws Exception {
        if (alreadyStarted) {
            return;
        }
        Map<String, List<String>> rules = rules();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement();
                 PreparedStatement insert = c.prepareStatement("INSERT INTO orgsync_fanout_rules (rule, targets) VALUES (?, ?)")) {
                // one writer at a time; readers (the trigger) see the old table or the new one, never a mix
                s.execute("LOCK TABLE orgsync_fanout_rules IN EXCLUSIVE MODE");
                s.execute("DELETE FROM orgsync_fanout_rules");
                for (Map.Entry<String, List<String>> rule : rules.entrySet()) {
                    Array targets = c.createArrayOf("text", rule.getValue().toArray());
                    insert.setString(1, rule.getKey());
                    insert.setArray(2, targets);
                    insert.addBatch();
                }
                insert.executeBatch();
                int planned = s.executeUpdate(PLAN_DISPATCH_ROWS);
                c.commit();
                LOG.info("Fan-out routing table written ({} rules){}", rules.size(),
                        planned > 0 ? "; " + planned + " events recorded before it now planned with it" : "");
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /**
     * Pending 'dispatch' rows (events recorded while no routing table existed) become one pending row
     * per target, chosen as the trigger chooses, in event order; the dispatch rows are then done.
     * Idempotent: a target row exists once per event (constraint orgsync_outbox_once).
     */
    static final String PLAN_DISPATCH_ROWS = """
            WITH planned AS (
                INSERT INTO orgsync_outbox (event_pk, target, order_key, event_type, occurred_at)
                SELECT d.event_pk, t.target, d.order_key, d.event_type, d.occurred_at
                FROM orgsync_outbox d
                JOIN orgsync_events e ON e.id = d.event_pk
                CROSS JOIN LATERAL orgsync_fanout_targets(e.source, e.event_type, e.outcome) WITH ORDINALITY AS t(target, k)
                WHERE d.target = 'dispatch' AND d.status = 'pending'
                ORDER BY d.id, t.k
                ON CONFLICT ON CONSTRAINT orgsync_outbox_once DO NOTHING
                RETURNING 1
            )
            UPDATE orgsync_outbox SET status = 'done', done_at = now(), lease_until = NULL
            WHERE target = 'dispatch' AND status = 'pending'
            """;
}
