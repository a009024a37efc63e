package io.orgsync.ops;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import javax.sql.DataSource;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness: can orgsync store a webhook right now? DOWN when PostgreSQL cannot be reached (a query
 * within 2 s). Its details are what an operator asks next, never a reason for DOWN: the outbox
 * backlog and dead letters, the age of the oldest pending row, the quarantined events held, and the
 * files waiting in the spools ({@code /observe/health}, exposure level full).
 */
public class DatabaseHealthCheck extends AbstractHealthCheck {

    private static final String SNAPSHOT = """
            SELECT (SELECT count(*) FROM orgsync_outbox WHERE status = 'pending' AND target <> 'dispatch') AS outbox_pending,
                   (SELECT count(*) FROM orgsync_outbox WHERE status = 'dead') AS outbox_dead,
                   (SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(occurred_at)), 0) FROM orgsync_outbox
                     WHERE status = 'pending' AND target <> 'dispatch') AS outbox_oldest_pending_seconds,
                   (SELECT count(*) FROM orgsync_quarantine WHERE status = 'held') AS quarantined""";

    private final DataSource dataSource;
    private final Path spool;

    public DatabaseHealthCheck(DataSource dataSource, Path spool) {
        super("orgsync", "database");
        this.dataSource = dataSource;
        this.spool = spool;
    }

    @Override
    public boolean isLiveness() {
        return false; // an outside dependency: readiness only
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        OpsGauges.spoolFiles(spool).forEach((folder, files) -> builder.detail("spool_" + folder.replace('-', '_') + "_files", files));
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.setQueryTimeout(2);
            try (ResultSet rs = s.executeQuery(SNAPSHOT)) {
                rs.next();
                builder.detail("outbox_pending", rs.getLong("outbox_pending"));
                builder.detail("outbox_dead", rs.getLong("outbox_dead"));
                builder.detail("outbox_oldest_pending_seconds", Math.round(rs.getDouble("outbox_oldest_pending_seconds")));
                builder.detail("quarantined", rs.getLong("quarantined"));
            }
            builder.up();
        } catch (SQLException e) {
            builder.message("PostgreSQL cannot be reached: " + e.getMessage());
            builder.down();
        }
    }
}
