package io.orgsync.db;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.camel.CamelContext;
import org.apache.camel.Service;
import org.apache.camel.StartupListener;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * orgsync's PostgreSQL: the one named by {@code ORGSYNC_DB_URL}, or, when none is, an embedded
 * PostgreSQL (zonky) under {@code ./data/postgres} with durable settings, so the jar runs with no
 * set-up. It is opened, and its schema migrated (Flyway), while the routes are built, and before any
 * route starts. Registered as a Camel service, so it closes after the routes have stopped.
 */
public final class Database implements Service, StartupListener {

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    /**
     * What {@link #open} needs, from application.properties.
     *
     * @param mode orgsync.mode, set on every session as {@code orgsync.mode}: a follower's rows written
     *             by statements other than the changefeed's are numbered 0 (V13, docs/rebuild.md)
     */
    public record Settings(String url, String user, String password, Path embeddedDirectory, int embeddedPort,
                           int poolSize, Duration connectTimeout, Duration statementTimeout, Duration socketTimeout, String migrations,
                           String mode) {
    }

    private final Settings settings;
    private final Object meterRegistry;
    private final CompletableFuture<Void> opened = new CompletableFuture<>();
    private final DataSource awaitedDataSource = new AwaitedDataSource(() -> opened().dataSource);
    private final DataSource awaitedApplyDataSource = new AwaitedDataSource(() -> opened().applyDataSource);
    private volatile EmbeddedPostgres embedded;
    private volatile HikariDataSource dataSource;
    private volatile HikariDataSource applyDataSource;

    private Database(Settings settings, Object meterRegistry) {
        this.settings = settings;
        this.meterRegistry = meterRegistry;
    }

    /**
     * Opens the database on a thread of its own and returns at once: the embedded PostgreSQL's start
     * and the migrations take seconds, in which the routes are read and built. The pools it hands out
     * wait for the opening; {@link #onCamelContextStarting}, which the context runs before any route
     * starts, waits for it and fails the start with its error. {@code meterRegistry} (may be null): the pools' metrics
     * (HikariCP's Micrometer tracker: {@code hikaricp_connections_active}, {@code _idle},
     * {@code _pending}, {@code _timeout_total}, {@code hikaricp_connections_acquire_seconds}, … tagged
     * {@code pool}: orgsync, orgsync-apply).
     */
    public static Database open(Settings settings, Object meterRegistry) {
        Database database = new Database(settings, meterRegistry);
        Thread opener = new Thread(() -> {
            try {
                database.doOpen();
                database.opened.complete(null);
            } catch (Throwable e) {
                database.opened.completeExceptionally(e);
            }
        }, "orgsync-database-open");
        opener.setDaemon(true);
        opener.start();
        return database;
    }

    private void doOpen() throws IOException {
        String url = settings.url();
        String user = settings.user();
        String password = settings.password();
        if (url == null || url.isBlank()) {
            embedded = startEmbedded(settings.embeddedDirectory(), settings.embeddedPort());
            url = "jdbc:postgresql://localhost:" + embedded.getPort() + "/postgres";
            user = "postgres";
            password = null;
            LOG.info("Embedded PostgreSQL in {} at {} (user postgres)", settings.embeddedDirectory(), url);
        }
        HikariDataSource general = new HikariDataSource(pool("orgsync", url, user, password, settings, false));
        try {
            Flyway.configure()
                    .dataSource(general)
                    .locations(settings.migrations().split("\\s*,\\s*"))
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            general.close();
            if (embedded != null) {
                embedded.close();
                embedded = null;
            }
            throw e;
        }
        applyDataSource = new HikariDataSource(pool("orgsync-apply", url, user, password, settings, true));
        dataSource = general;
    }

    /** This database once opened; the opening's error if it failed. */
    private Database opened() {
        try {
            opened.get();
            return this;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while the database was being opened", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("The database could not be opened: " + cause.getMessage(), cause);
        }
    }

    /**
     * A connection pool. The apply pool serves the webhook statements (group commit): large, run
     * constantly, their one parameter a JSON array. Its connections prepare them on the server from
     * the first use and plan them once (generic plans): PostgreSQL would otherwise re-plan them on
     * every run, which costs more than a small batch's execution. The general pool keeps custom plans,
     * which the outbox claims need (a generic plan of a claim joins the whole outbox).
     */
    private HikariConfig pool(String name, String url, String user, String password, Settings settings, boolean planOnce) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(name);
        if (meterRegistry != null) {
            config.setMetricRegistry(meterRegistry);
        }
        config.setJdbcUrl(url);
        config.setUsername(user);
        if (password != null && !password.isEmpty()) {
            config.setPassword(password);
        }
        config.setMaximumPoolSize(settings.poolSize());
        config.setMinimumIdle(Math.min(settings.poolSize(), 4));
        // a webhook waits this long for a connection, then is answered 503 (or spooled)
        config.setConnectionTimeout(Math.max(250, settings.connectTimeout().toMillis()));
        config.setInitializationFailTimeout(-1);
        config.addDataSourceProperty("ApplicationName", name);
        config.addDataSourceProperty("connectTimeout", String.valueOf(Math.max(1, settings.connectTimeout().toSeconds())));
        // a database that hangs (not down, just silent) must not hold a request, a flusher or a claim for
        // ever: the server cancels a statement past statement_timeout (lock waits included), and the
        // driver gives up on a socket that stays silent past socketTimeout (the server cannot answer at all)
        config.addDataSourceProperty("socketTimeout", String.valueOf(Math.max(1, settings.socketTimeout().toSeconds())));
        String options = "-c statement_timeout=" + settings.statementTimeout().toMillis() + " -c orgsync.mode=" + settings.mode();
        if (planOnce) {
            config.addDataSourceProperty("prepareThreshold", "1");
            options += " -c plan_cache_mode=force_generic_plan";
        }
        config.addDataSourceProperty("options", options);
        return config;
    }

    private static EmbeddedPostgres startEmbedded(Path directory, int port) throws IOException {
        Files.createDirectories(directory);
        stopOrphanedPostgres(directory);
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(directory)
                .setCleanDataDirectory(false)
                .setPGStartupWait(Duration.ofSeconds(60))
                // zonky's test defaults turn durability off; a 2xx must mean the event survives a crash
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("full_page_writes", "on")
                .setServerConfig("max_connections", "100");
        if (port > 0) {
            builder.setPort(port);
        }
        return builder.start();
    }

    /**
     * After a {@code kill -9} of the JVM, the embedded PostgreSQL it started keeps running and holds
     * the data directory. Stop it (SIGTERM: a smart shutdown, every committed transaction is on disk
     * already) before starting our own. The data directory's lock file tells a live orgsync, whose
     * database must be left alone, from a dead one.
     */
    static void stopOrphanedPostgres(Path directory) throws IOException {
        Path pidFile = directory.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        try (FileChannel channel = FileChannel.open(directory.resolve("epg-lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = channel.tryLock()) {
            if (lock == null) {
                throw new IOException("The embedded database in " + directory + " is in use by another running orgsync");
            }
            List<String> lines = Files.readAllLines(pidFile);
            long pid = lines.isEmpty() ? -1 : Long.parseLong(lines.get(0).strip());
            Optional<ProcessHandle> postmaster = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(false));
            if (postmaster.isPresent()) {
                LOG.warn("The embedded PostgreSQL of an orgsync that did not stop (pid {}) still runs: stopping it first", pid);
                postmaster.get().destroy();
                postmaster.get().onExit().get(60, TimeUnit.SECONDS);
            }
        } catch (NumberFormatException e) {
            LOG.warn("Unreadable {}: leaving it to PostgreSQL", pidFile);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("The orphaned embedded PostgreSQL did not stop", e);
        }
    }

    /**
     * A connection of its own, outside the pools, with the general pool's settings (a LISTEN needs a
     * session that stays put). Waits for the opening.
     */
    public java.sql.Connection newConnection(String applicationName) throws java.sql.SQLException {
        HikariDataSource pool = opened().dataSource;
        java.util.Properties properties = new java.util.Properties();
        properties.putAll(pool.getDataSourceProperties());
        properties.setProperty("ApplicationName", applicationName);
        properties.setProperty("user", pool.getUsername());
        if (pool.getPassword() != null) {
            properties.setProperty("password", pool.getPassword());
        }
        return java.sql.DriverManager.getConnection(pool.getJdbcUrl(), properties);
    }

    /** The general pool (the routes' SQL, the outbox): its connections wait for the opening. */
    public DataSource dataSource() {
        return awaitedDataSource;
    }

    /** The pool of the webhook statements run by group commit: generic plans (see {@link #pool}). */
    public DataSource applyDataSource() {
        return awaitedApplyDataSource;
    }

    /** Nothing: the opening runs on its own thread (see {@link #open}). */
    @Override
    public void start() {
        // the context waits for the opening in onCamelContextStarting, before any route starts
    }

    /** The context is about to start its routes: they need the database open and migrated. */
    @Override
    public void onCamelContextStarting(CamelContext context, boolean alreadyStarted) {
        opened();
    }

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        // waited for in onCamelContextStarting
    }

    @Override
    public void stop() {
        try {
            opened.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // the opening failed and closed what it had opened
        }
        if (applyDataSource != null) {
            applyDataSource.close();
        }
        if (dataSource != null) {
            dataSource.close();
        }
        if (embedded != null) {
            try {
                embedded.close();
            } catch (IOException e) {
                LOG.warn("Embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
            }
        }
    }
}
