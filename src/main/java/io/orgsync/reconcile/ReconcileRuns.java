package io.orgsync.reconcile;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import io.orgsync.http.WebhookRejection;
import io.orgsync.ops.Gauges;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean {@code reconcileRuns}: at most one reconciliation run per source across every instance, by a
 * PostgreSQL advisory lock held on a connection of its own for the length of the run (released at
 * its end, or by PostgreSQL when the instance dies), and the gauges of the last successful run:
 * {@code orgsync_reconcile_last_success_seconds} (epoch seconds, 0: never),
 * {@code orgsync_reconcile_last_duration_seconds}, {@code orgsync_reconcile_last_drift} and the
 * schedule, {@code orgsync_reconcile_period_seconds} (0: on request only), per source.
 */
public class ReconcileRuns {

    private static final Logger LOG = LoggerFactory.getLogger(ReconcileRuns.class);

    private final DataSource dataSource;
    private final Clock clock;
    private final Map<String, Connection> held = new ConcurrentHashMap<>();
    private final Gauges gauges;

    /** periodsMs: each source's schedule, 0 when it runs on request only (gauge orgsync_reconcile_period_seconds). */
    public ReconcileRuns(Gauges gauges, DataSource dataSource, Clock clock, Map<String, Long> periodsMs) {
        this.gauges = gauges;
        this.dataSource = dataSource;
        this.clock = clock;
        periodsMs.forEach((source, periodMs) -> {
            // every gauge exists from the start: a last success of 0 is "never"
            gauges.of("orgsync.reconcile.period.seconds", "The reconciliation schedule's period, 0 when it is not scheduled",
                    0.001, "source", source).set(periodMs);
            lastSuccess(source);
            lastDuration(source);
            lastDrift(source);
        });
    }

    /** Takes the source's run lock, or answers 409 {@code already_running}. */
    public void acquire(String source) throws SQLException {
        Connection connection = dataSource.getConnection();
        boolean locked = false;
        try (PreparedStatement lock = connection.prepareStatement("SELECT pg_try_advisory_lock(hashtext(?))")) {
            lock.setString(1, key(source));
            try (ResultSet rs = lock.executeQuery()) {
                locked = rs.next() && rs.getBoolean(1);
            }
        } finally {
            if (!locked) {
                connection.close();
            }
        }
        if (!locked || held.putIfAbsent(source, connection) != null) {
            if (locked) {
                unlock(source, connection);
            }
            throw new WebhookRejection(409, "already_running", "A " + source + " run is already running (one at a time)");
        }
    }

    /** Releases the source's run lock (a no-op when this instance does not hold it). */
    public void release(String source) {
        Connection connection = held.remove(source);
        if (connection != null) {
            unlock(source, connection);
        }
    }

    /** Records a successful run, of this duration, that found this much drift, for the gauges. */
    public void succeeded(String source, long durationMs, long drift) {
        lastSuccess(source).set(clock.instant().getEpochSecond());
        lastDuration(source).set(durationMs);
        lastDrift(source).set(drift);
    }

    private AtomicLong lastSuccess(String source) {
        return gauges.of("orgsync.reconcile.last.success.seconds", "When the last successful run ended, epoch seconds (0: never)",
                "source", source);
    }

    private AtomicLong lastDuration(String source) {
        return gauges.of("orgsync.reconcile.last.duration.seconds", "How long the last successful run took", 0.001, "source", source);
    }

    private AtomicLong lastDrift(String source) {
        return gauges.of("orgsync.reconcile.last.drift", "Objects the last successful run found out of step (created, updated or deleted)",
                "source", source);
    }


    private static void unlock(String source, Connection connection) {
        try (connection; PreparedStatement unlock = connection.prepareStatement("SELECT pg_advisory_unlock(hashtext(?))")) {
            unlock.setString(1, key(source));
            unlock.execute();
        } catch (SQLException e) {
            // the connection is closed all the same, which releases a session lock
            LOG.warn("Releasing the {} reconciliation lock: {}", source, e.getMessage());
        }
    }

    private static String key(String source) {
        return "orgsync.reconcile." + source;
    }
}
