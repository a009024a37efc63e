package io.orgsync.ops;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.function.Supplier;

import javax.sql.DataSource;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness: can orgsync store a webhook right now? DOWN when PostgreSQL cannot be reached (a trivial
 * query within 2 s). Its details are what an operator asks next, never a reason for DOWN: the outbox
 * backlog and dead letters, the age of the oldest pending row, the quarantined events held, and the
 * files waiting in the spools ({@code /observe/health?data=true}). They are the metrics' last counts
 * (refreshed every {@code orgsync.metrics.gauges-period-ms}), not counted again here: a probe every few
 * seconds must stay cheap however large the backlog, and never time out because of it.
 */
public class DatabaseHealthCheck extends AbstractHealthCheck {

    private final DataSource dataSource;
    private final Supplier<Map<String, Object>> details;

    public DatabaseHealthCheck(DataSource dataSource, Supplier<Map<String, Object>> details) {
        super("orgsync", "database");
        this.dataSource = dataSource;
        this.details = details;
    }

    @Override
    public boolean isLiveness() {
        return false; // an outside dependency: readiness only
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        details.get().forEach(builder::detail);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.setQueryTimeout(2);
            s.execute("SELECT 1");
            builder.up();
        } catch (SQLException e) {
            builder.message("PostgreSQL cannot be reached: " + e.getMessage());
            builder.down();
        }
    }
}
