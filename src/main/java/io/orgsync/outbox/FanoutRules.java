package io.orgsync.outbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import java.util.stream.Stream;

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
    private final Path schemas;

    public FanoutRules(CamelContext context, DataSource dataSource, Path schemas) {
        this.context = context;
        this.dataSource = dataSource;
        this.schemas = schemas;
    }

    /**
     * Rule ('ignored', '<source>.<event type>', 'default') → its running targets, in the order written.
     * The keys looked up: those application.properties (or a test's properties) has, 'ignored', and
     * '<source>.<event type>' for every event type with a schema (routes/schemas/<source>/), each
     * resolved as any setting is, so an environment variable or a -D property alone sets a rule too.
     */
    public Map<String, List<String>> rules() throws IOException {
        TreeSet<String> keys = new TreeSet<>(context.getPropertiesComponent().loadProperties(k -> k.startsWith(PREFIX)).stringPropertyNames());
        keys.add(PREFIX + "ignored");
        if (Files.isDirectory(schemas)) {
            try (Stream<Path> files = Files.walk(schemas, 2)) {
                files.map(f -> schemas.relativize(f)).filter(f -> f.getNameCount() == 2)
                        .map(f -> f.getName(0) + "." + f.getFileName().toString().replaceFirst("\\.schema\\.json$", ""))
                        .filter(rule -> !rule.endsWith(".common") && !rule.endsWith(".json"))
                        .forEach(rule -> keys.add(PREFIX + rule));
            }
        }
        keys.remove(PREFIX + "default");
        Map<String, List<String>> rules = new LinkedHashMap<>();
        for (String key : keys) {
            context.getPropertiesComponent().resolveProperty(key).ifPresent(value -> rules.put(key.substring(PREFIX.length()), running(value)));
        }
        // no default key: no targets, as before; written all the same, so that a table with no key at
        // all is not taken for "no table written yet" (which records dispatch rows)
        rules.put("default", running(context.getPropertiesComponent().resolveProperty(PREFIX + "default").orElse("")));
        return rules;
    }

    /** The targets of a rule's value whose delivery route runs here. */
    private List<String> running(String value) {
        return Arrays.stream(value.split(",")).map(String::strip)
                .filter(t -> !t.isEmpty() && context.getRoute("deliver-" + t) != null).distinct().toList();
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
                CROSS JOIN LATERAL orgsync_fanout_targets(e.source, e.event_type, e.outcome, e.origin) WITH ORDINALITY AS t(target, k)
                WHERE d.target = 'dispatch' AND d.status = 'pending'
                ORDER BY d.id, t.k
                ON CONFLICT ON CONSTRAINT orgsync_outbox_once DO NOTHING
                RETURNING 1
            )
            UPDATE orgsync_outbox SET status = 'done', done_at = now(), lease_until = NULL
            WHERE target = 'dispatch' AND status = 'pending'
            """;
}
