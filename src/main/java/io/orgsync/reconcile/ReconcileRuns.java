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

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.orgsync.http.WebhookRejection;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean {@code reconcileRuns}: at most one reconciliation run per source across every instance, by a
 * PostgreSQL advisory lock held on a connection of its own for the length of the run (released at
 * its end, or by PostgreSQL when the instance dies), and the gauges of the last successful run:
 * {@code orgsync_reconcile_last_success_seconds} (epoch seconds) and
 * {@code orgsync_reconcile_last_duration_seconds}, per source.
 */
public class ReconcileRuns {

    private static final Logger LOG = LoggerFactory.getLogger(ReconcileRuns.class);

    private final DataSource dataSource;
    private final Clock clock;
    private final Map<String, Connection> held = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastSuccess = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastDurationMs = new ConcurrentHashMap<>();
    private final CamelContext context;

    public ReconcileRuns(CamelContext context, DataSource dataSource, Clock clock) {
        this.context = context;
        this.dataSource = dataSource;
        this.clock = clock;
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
            throw new WebhookRejection(409, "already_running", "A " + source + " reconciliation is already running");
        }
    }

    /** Releases the source's run lock (a no-op when this instance does not hold it). */
    public void release(String source) {
        Connection connection = held.remove(source);
        if (connection != null) {
            unlock(source, connection);
        }
    }

    /** Records a successful run, of this duration, for the gauges. */
    public void succeeded(String source, long durationMs) {
        gauge(lastSuccess, "orgsync.reconcile.last.success.seconds", source).set(clock.instant().getEpochSecond());
        gauge(lastDurationMs, "orgsync.reconcile.last.duration.seconds", source).set(durationMs);
    }

    private AtomicLong gauge(Map<String, AtomicLong> values, String name, String source) {
        return values.computeIfAbsent(source, s -> {
            AtomicLong value = new AtomicLong();
            boolean millis = name.contains("duration");
            MeterRegistry registry = context.getRegistry().findSingleByType(MeterRegistry.class);
            if (registry != null) {
                Gauge.builder(name, value, v -> millis ? v.get() / 1000.0 : v.get()).tag("source", s).register(registry);
            }
            return value;
        });
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
