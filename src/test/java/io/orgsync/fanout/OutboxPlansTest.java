package io.orgsync.fanout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.stream.Collectors;

import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The outbox statements' plans on a database that has no statistics of the outbox yet (fresh, or
 * grown faster than autovacuum analyses it): PostgreSQL then estimates one row everywhere, and only
 * the indexes decide; and, for the claim, on one whose statistics were taken while nothing was
 * pending, where the pending rows' indexes look empty. A claim's "older pending row of this tenant?" probe must use the tenant's own
 * index, and the done-marks the primary key; on any other index each costs a walk of the backlog
 * (db/migration/V1__baseline.sql, section 4, says why). Checked with EXPLAIN of the routes' own SQL files, both plan kinds.
 */
class OutboxPlansTest {

    static OrgsyncApp app;
    static String url;

    @BeforeAll
    static void start() {
        url = TestDatabase.newDatabaseUrl();
        // the fan-out idle: nothing touches the outbox, which stays never analysed
        app = OrgsyncApp.start(url, Map.of("orgsync.outbox.poll-ms", "3600000"));
        // a backlog that grew before any ANALYZE: 3,000 events of 100 tenants, each with its dispatch
        // row and two target rows (foreign key and triggers off for the synthetic rows)
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("ALTER TABLE orgsync_outbox SET (autovacuum_enabled = false)");
            s.execute("SET session_replication_role = replica");
            s.execute("INSERT INTO orgsync_outbox (event_pk, target, order_key, event_type, occurred_at) "
                    + "SELECT g, t, 'tnt_' || (g % 100), 'tenant.updated', now() - make_interval(secs => 10000 - g) "
                    + "FROM generate_series(1, 3000) AS g, unnest(ARRAY['dispatch', 'archive', 'audit-sink']) AS t");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    /** The plan of a routes/sql/outbox file, its named parameters in order bound to the given literals. */
    static String plan(String file, boolean generic, String... values) throws Exception {
        return plan(url, true, file, generic, values);
    }

    static String plan(String url, boolean neverAnalysed, String file, boolean generic, String... values) throws Exception {
        String sql = Files.readString(Path.of("routes/sql/outbox", file));
        for (int i = 0; i < values.length; i++) {
            // a generic plan is made for $n parameters (as the JDBC driver's prepared statements send them)
            String bound = generic ? "$" + (i + 1) : values[i];
            sql = sql.replaceFirst(":#\\$\\{variable\\.\\w+}", Matcher.quoteReplacement(bound));
        }
        assertThat(sql).doesNotContain(":#${");
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("SET plan_cache_mode = " + (generic ? "force_generic_plan" : "force_custom_plan"));
            if (neverAnalysed) {
                try (ResultSet stats = s.executeQuery("SELECT reltuples FROM pg_class WHERE relname = 'orgsync_outbox'")) {
                    stats.next();
                    assertThat(stats.getDouble(1)).as("the outbox was never analysed").isLessThan(0);
                }
            }
            StringBuilder plan = new StringBuilder();
            String explain = "EXPLAIN (COSTS OFF) " + sql;
            if (generic) {
                s.execute("PREPARE planned AS " + sql);
                explain = "EXPLAIN (COSTS OFF) EXECUTE planned(" + String.join(", ", values) + ")";
            }
            try (ResultSet rs = s.executeQuery(explain)) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
            }
            return plan.toString();
        }
    }

    @Test
    void aTargetClaimProbesEachTenantOnItsOwnIndex() throws Exception {
        assertTenantProbesUseTheirIndex(url, true);
    }

    /**
     * Statistics taken while nothing was pending (autovacuum analysed the outbox in a quiet moment,
     * after a drained burst), then a backlog: the pending rows' partial indexes look empty, and a
     * probe that could scan one without a condition cost the same to the planner as one on the
     * tenant. Seen in a benchmark run: a claim scanned the whole backlog for each candidate row,
     * 78 s for 88 rows.
     */
    @Test
    void aTargetClaimProbesEachTenantOnItsOwnIndexWhenStatisticsSawNothingPending() throws Exception {
        String quiet = TestDatabase.newDatabaseUrl();
        try (OrgsyncApp other = OrgsyncApp.start(quiet, Map.of("orgsync.outbox.poll-ms", "3600000"));
             Connection c = DriverManager.getConnection(quiet); Statement s = c.createStatement()) {
            s.execute("ALTER TABLE orgsync_outbox SET (autovacuum_enabled = false)");
            s.execute("SET session_replication_role = replica");
            s.execute("INSERT INTO orgsync_outbox (event_pk, target, order_key, event_type, occurred_at, status) "
                    + "SELECT g, t, 'tnt_' || (g % 100), 'tenant.updated', now() - make_interval(secs => 20000 - g), 'done' "
                    + "FROM generate_series(1, 3000) AS g, unnest(ARRAY['dispatch', 'archive', 'audit-sink']) AS t");
            s.execute("ANALYZE orgsync_outbox");
            s.execute("INSERT INTO orgsync_outbox (event_pk, target, order_key, event_type, occurred_at) "
                    + "SELECT g, t, 'tnt_' || (g % 100), 'tenant.updated', now() - make_interval(secs => 10000 - g) "
                    + "FROM generate_series(3001, 6000) AS g, unnest(ARRAY['dispatch', 'archive', 'audit-sink']) AS t");
            assertTenantProbesUseTheirIndex(quiet, false);
        }
    }

    static void assertTenantProbesUseTheirIndex(String url, boolean neverAnalysed) throws Exception {
        for (boolean generic : new boolean[] {false, true}) {
            String plan = plan(url, neverAnalysed, "claim.sql", generic, "'audit-sink'", "'hold'", "50", "'me'", "60");
            // the dead-letter probe of a "hold" target looks the tenant up too
            assertThat(plan).as(plan).contains("orgsync_outbox_dead_order_idx on orgsync_outbox d");
            assertThat(plan).contains("Index Scan using orgsync_outbox_next_idx on orgsync_outbox o");
            // each NOT EXISTS probe: tenant (order_key) in the index condition, not in a filter
            String[] probes = plan.split("on orgsync_outbox p");
            assertThat(probes).as(plan).hasSizeGreaterThan(1);
            for (int i = 1; i < probes.length; i++) {
                String probe = probes[i - 1].substring(probes[i - 1].lastIndexOf('\n') + 1) + "on orgsync_outbox p"
                        + probes[i].lines().limit(2).collect(Collectors.joining("\n"));
                assertThat(probe).as(plan).contains("orgsync_outbox_order_idx")
                        .containsPattern("Index Cond: .*order_key = o(_\\d+)?\\.order_key");
            }
            assertThat(plan).doesNotContain("Seq Scan on orgsync_outbox");
        }
    }

    @Test
    void doneMarksAndReschedulesFindTheirRowsByPrimaryKey() throws Exception {
        assertThat(plan("mark-done.sql", false, "'1,2,3'", "'me'")).contains("orgsync_outbox_pkey");
        assertThat(plan("reschedule.sql", false, "'pending'", "1", "'retryable'", "'boom'", "1", "'me'"))
                .contains("orgsync_outbox_pkey");
    }
}
