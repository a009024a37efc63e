package io.orgsync.read;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.orgsync.http.Json;
import org.apache.camel.support.service.ServiceSupport;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.QueryExecutor;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read API's cache of organisations (their JSON, as routes/sql/read/organization.sql reads it),
 * never stale past one commit, on every instance:
 * <ul>
 * <li>the mirror's tables tell every change by {@code NOTIFY orgsync_mirror, '<organisation id>'}, sent
 * by the statement that changes the row and delivered when it commits (V10);</li>
 * <li>one connection of this instance LISTENs; before a read uses the cache, it waits for a round trip
 * on that connection that started after the read arrived. PostgreSQL delivers a listening session
 * every notification committed before its transaction ends, so when the round trip is back, every
 * change committed before the read arrived has dropped its entry. Concurrent reads share a round trip;</li>
 * <li>an entry read from the database is kept only if no notification came since the read began (a
 * generation counter, under the same lock as the invalidation), so a read that raced a change
 * cannot put the old value back;</li>
 * <li>while the connection is lost, nothing is cached and every read goes to the database; the whole
 * cache is dropped when it is lost and again when it is back.</li>
 * </ul>
 */
public class MirrorCache extends ServiceSupport {

    public interface Connector {
        Connection connect() throws SQLException;
    }

    /** What a read gets: the cached entry (null: read the database) and the generation to store under. */
    public record Lookup(Entry entry, long generation, boolean usable) {

        /** The cached document, or null: read the database. */
        public String document() {
            return entry == null ? null : entry.document();
        }
    }

    /**
     * A cached organisation: its document, parsed once, and the answers made of it so far (an entry
     * never changes: a change of the organisation drops it), which {@link ReadFastPath} serves.
     */
    public static final class Entry {
        private final String document;
        private final JsonNode organization;
        private volatile ReadApi.Answer answer;
        private volatile ReadApi.Answer features;
        private final Map<String, ReadApi.Answer> feature = new ConcurrentHashMap<>();

        Entry(String document) {
            this.document = document;
            try {
                this.organization = Json.MAPPER.readTree(document);
            } catch (IOException e) {
                throw new IllegalArgumentException("An organisation's document is not JSON: " + e.getMessage(), e);
            }
        }

        public String document() {
            return document;
        }

        JsonNode organization() {
            return organization;
        }

        ReadApi.Answer answer(Supplier<ReadApi.Answer> make) {
            ReadApi.Answer a = answer;
            return a != null ? a : (answer = make.get());
        }

        ReadApi.Answer features(Supplier<ReadApi.Answer> make) {
            ReadApi.Answer a = features;
            return a != null ? a : (features = make.get());
        }

        ReadApi.Answer feature(String name, Supplier<ReadApi.Answer> make) {
            ReadApi.Answer a = feature.get(name);
            if (a == null) {
                a = make.get(); // throws for a name no plan knows: only known names are kept
                feature.put(name, a);
            }
            return a;
        }
    }

    /** A slug's organisation, as read when the cache was at this generation. */
    private record SlugEntry(String organizationId, long generation) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(MirrorCache.class);
    static final String CHANNEL = "orgsync_mirror";

    private final Connector connector;
    private final Cache<String, Entry> cache;
    private final Cache<String, SlugEntry> slugs;
    private final Duration barrierTimeout;
    private final Object lock = new Object();
    private final Object signal = new Object();
    private List<CompletableFuture<Boolean>> waiting = new ArrayList<>();
    private volatile boolean listening;
    private long generation;
    private volatile Thread listener;

    public MirrorCache(Connector connector, long maxEntries, Duration barrierTimeout, MeterRegistry meters) {
        this.connector = connector;
        this.cache = Caffeine.newBuilder().maximumSize(maxEntries).recordStats().build();
        this.slugs = Caffeine.newBuilder().maximumSize(maxEntries).build();
        this.barrierTimeout = barrierTimeout;
        if (meters != null) {
            // cache_gets_total{cache="orgsync-read",result="hit"|"miss"}, cache_size, cache_evictions_total
            CaffeineCacheMetrics.monitor(meters, cache, "orgsync-read");
        }
    }

    /**
     * The cached document of this organisation, once every change committed before now has been
     * seen; {@code usable} false (and no document) while the cache cannot be trusted.
     */
    public Lookup lookup(String organizationId) throws InterruptedException {
        if (organizationId == null || !barrier()) {
            return new Lookup(null, -1, false);
        }
        synchronized (lock) {
            return new Lookup(cache.getIfPresent(organizationId), generation, true);
        }
    }

    /** Keeps a document read from the database, unless a change was seen since its lookup. */
    public void store(String organizationId, String document, Lookup lookup) {
        if (organizationId == null || document == null || lookup == null || !lookup.usable()) {
            return;
        }
        Entry entry = new Entry(document);
        synchronized (lock) {
            if (listening && generation == lookup.generation()) {
                cache.put(organizationId, entry);
            }
        }
    }

    /** The generation now: taken before a slug is looked up in the database ({@link #storeSlug}). */
    public long generation() {
        synchronized (lock) {
            return listening ? generation : -1;
        }
    }

    /**
     * Keeps which organisation a slug names, as read from the database after {@link #generation()}
     * gave {@code before}, unless any change was seen since: a slug moves from one organisation to
     * another only by changes to them, so any change at all makes every slug entry stale.
     */
    public void storeSlug(String slug, String organizationId, long before) {
        if (slug == null || organizationId == null || before < 0) {
            return;
        }
        synchronized (lock) {
            if (listening && generation == before) {
                slugs.put(slug, new SlugEntry(organizationId, before));
            }
        }
    }

    /**
     * For {@link ReadFastPath}: completes true once every change committed before this call has been
     * seen (a round trip on the listening connection), false when the cache cannot be trusted (no
     * connection, or none in the wait). Completed on the listener's thread.
     */
    CompletableFuture<Boolean> current() {
        if (!listening) {
            return CompletableFuture.completedFuture(false);
        }
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        synchronized (signal) {
            waiting.add(done);
            signal.notifyAll();
        }
        return done.completeOnTimeout(false, barrierTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** For {@link ReadFastPath}, after {@link #current()}: the cached organisation, or null. */
    Entry cached(String organizationId) {
        return cache.getIfPresent(organizationId);
    }

    /** For {@link ReadFastPath}, after {@link #current()}: the organisation a slug names, if known and no change came since. */
    String cachedSlug(String slug) {
        SlugEntry entry = slugs.getIfPresent(slug);
        synchronized (lock) {
            return entry != null && listening && entry.generation() == generation ? entry.organizationId() : null;
        }
    }

    /** Waits for a round trip on the listening connection that started after this call; false when there is none to be had. */
    private boolean barrier() throws InterruptedException {
        try {
            return current().get();
        } catch (java.util.concurrent.ExecutionException e) {
            return false;
        }
    }

    private void invalidate(String organizationId) {
        synchronized (lock) {
            generation++;
            cache.invalidate(organizationId);
        }
    }

    private void dropAll() {
        synchronized (lock) {
            generation++;
            cache.invalidateAll();
            slugs.invalidateAll();
        }
    }

    @Override
    protected void doStart() {
        Thread thread = new Thread(this::listen, "orgsync-mirror-listener");
        thread.setDaemon(true);
        listener = thread;
        thread.start();
    }

    @Override
    protected void doStop() throws InterruptedException {
        Thread thread = listener;
        listener = null;
        if (thread != null) {
            thread.interrupt();
            thread.join(5000);
        }
    }

    /** The listener: connect and LISTEN, then serve round trips (at least every 250 ms); on a failure, drop all and reconnect. */
    private void listen() {
        long backoff = 100;
        List<CompletableFuture<Boolean>> batch = List.of();
        while (listener == Thread.currentThread()) {
            try (Connection connection = connector.connect(); Statement statement = connection.createStatement()) {
                statement.execute("LISTEN " + CHANNEL);
                dropAll(); // anything cached before may have missed a notification
                listening = true;
                backoff = 100;
                LOG.info("Read cache: listening for mirror changes");
                // the notifications a round trip received, taken from the driver's queue: PGConnection.getNotifications()
                // would also wait up to 1 ms on the socket for more, every time (pgjdbc 42.7), and each read with it
                QueryExecutor received = connection.unwrap(BaseConnection.class).getQueryExecutor();
                while (listener == Thread.currentThread()) {
                    synchronized (signal) {
                        if (waiting.isEmpty()) {
                            signal.wait(250);
                        }
                        batch = waiting;
                        waiting = new ArrayList<>();
                    }
                    // PostgreSQL sends a listening session what was committed before this query, before its answer
                    statement.execute("SELECT 1");
                    PGNotification[] notifications = received.getNotifications();
                    if (notifications != null) {
                        for (PGNotification notification : notifications) {
                            if ("*".equals(notification.getParameter())) {
                                dropAll();
                            } else {
                                invalidate(notification.getParameter());
                            }
                        }
                    }
                    batch.forEach(waiter -> waiter.complete(true));
                    batch = List.of();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (SQLException | RuntimeException e) {
                if (listening) {
                    LOG.warn("Read cache: the listening connection is lost ({}); reads go to the database until it is back", e.getMessage());
                }
            } finally {
                listening = false;
                dropAll();
                // the reads waiting on this connection read the database instead
                batch.forEach(waiter -> waiter.complete(false));
                batch = List.of();
                List<CompletableFuture<Boolean>> stranded;
                synchronized (signal) {
                    stranded = waiting;
                    waiting = new ArrayList<>();
                }
                stranded.forEach(waiter -> waiter.complete(false));
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                break;
            }
            backoff = Math.min(backoff * 2, 5000);
        }
    }
}
