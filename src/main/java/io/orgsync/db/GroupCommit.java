package io.orgsync.db;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.orgsync.http.Json;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Producer;
import org.apache.camel.Service;
import org.apache.camel.support.service.ServiceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: concurrent requests that apply events with the same SQL statement share one
 * execution, so one commit (one fsync) acknowledges many events. The statement is still the one
 * the YAML route names (an {@code sql:file:…} endpoint); it takes a JSON array of events and returns
 * the ordinal ({@code n}) of each event that was new. It runs on the apply pool (generic plans,
 * {@link Database#applyDataSource()}) unless its URI names a {@code dataSource}.
 * <p>
 * Per statement, one flusher takes whatever has queued up (at most {@code maxBatch} events) while
 * the previous batch was committing, so batches grow with load and a lone request waits for no one.
 * If a batch fails (an event the database refuses, two events of one entity in one batch), nothing
 * of it was written, and each caller's events are run on their own: a bad event fails only its
 * own request. A caller is answered only after the statement holding its events has committed.
 * <p>
 * A database that hangs cannot grow the heap: at most {@code maxQueued} requests wait per statement
 * (past that, 503 at once), a caller that times out withdraws its events unless their statement has
 * started, and statement_timeout / socketTimeout ({@link Database}) end a statement that never returns.
 */
public class GroupCommit implements Service {

    private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);

    /** The registry name of the pool the statements run on (Database#applyDataSource), unless their URI names one. */
    public static final String DATA_SOURCE = "applyDataSource";

    private final CamelContext context;
    private final boolean enabled;
    private final int maxBatch;
    private final long timeoutMs;
    private final int maxQueued;
    private final Map<String, Flusher> flushers = new ConcurrentHashMap<>();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "orgsync-group-commit");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Producer> producers = new ConcurrentHashMap<>();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong batchedEvents = new AtomicLong();
    private final AtomicLong failedBatches = new AtomicLong();

    public GroupCommit(CamelContext context, boolean enabled, int maxBatch, long timeoutMs, int maxQueued) {
        this.context = context;
        this.enabled = enabled;
        this.maxBatch = maxBatch;
        this.timeoutMs = timeoutMs;
        this.maxQueued = maxQueued;
    }

    /**
     * Applies the events (a JSON array) with the statement at {@code uri}; returns the rows of the
     * events that were new, as the statement returned them.
     */
    public List<Map<String, Object>> apply(String uri, String events) throws Exception {
        return apply(uri, Json.MAPPER.readTree(events));
    }

    /**
     * The same, for events already parsed (the webhook routes' variable {@code events}): the body a
     * webhook brought is parsed once, when it is verified, and written once more as the statement's
     * parameter, whether alone or in a batch.
     */
    public List<Map<String, Object>> apply(String uri, JsonNode events) throws Exception {
        if (!enabled) {
            return execute(uri, events.toString());
        }
        Pending pending = new Pending(events);
        if (!flushers.computeIfAbsent(uri, Flusher::new).queue.offer(pending)) {
            // the database is not keeping up (or hangs): refuse now rather than grow the heap
            throw new java.sql.SQLTransientConnectionException(maxQueued + " requests are already waiting for the database");
        }
        try {
            return pending.result.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        } catch (TimeoutException e) {
            // withdrawn: a flusher skips it if it has not started. If its statement is already running
            // it may still commit; the sender's retry (or the spool's replay) is then a duplicate, which
            // the event log's dedupe key answers as one
            pending.result.cancel(false);
            throw new java.sql.SQLTransientConnectionException("The database did not commit within " + timeoutMs + " ms");
        }
    }

    /**
     * Runs the statement with this producer of its own: it lives until this service stops, after the
     * routes have finished their in-flight requests (a shared ProducerTemplate is stopped earlier in
     * a shutdown, and a request still in flight would fail).
     */
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> execute(String uri, String events) throws Exception {
        Producer producer = producers.computeIfAbsent(uri, u -> {
            try {
                String onPool = u.contains("dataSource=") ? u : u + (u.contains("?") ? "&" : "?") + "dataSource=#" + DATA_SOURCE;
                Producer created = context.getEndpoint(onPool).createProducer();
                ServiceHelper.startService(created);
                return created;
            } catch (Exception e) {
                throw new IllegalStateException("Cannot run " + u, e);
            }
        });
        Exchange exchange = producer.getEndpoint().createExchange();
        exchange.setVariable("events", events);
        producer.process(exchange);
        if (exchange.getException() != null) {
            throw exchange.getException();
        }
        return exchange.getMessage().getBody(List.class);
    }

    /** One caller's events and the answer it waits for. */
    static final class Pending {
        final JsonNode events; // written out alone, or merged into a batch
        final CompletableFuture<List<Map<String, Object>>> result = new CompletableFuture<>();

        Pending(JsonNode events) {
            this.events = events;
        }
    }

    /** The queue and the flusher of one statement. */
    final class Flusher implements Runnable {
        final String uri;
        final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>(maxQueued);

        Flusher(String uri) {
            this.uri = uri;
            threads.execute(this);
        }

        @Override
        public void run() {
            List<Pending> batch = new ArrayList<>();
            while (!threads.isShutdown()) {
                try {
                    Pending first = queue.poll(1, TimeUnit.SECONDS);
                    if (first == null || first.result.isDone()) {
                        continue; // nothing, or withdrawn by its caller's timeout
                    }
                    batch.add(first);
                    int size = first.events.size();
                    Pending next;
                    while (size < maxBatch && (next = queue.poll()) != null) {
                        if (!next.result.isDone()) {
                            batch.add(next);
                            size += next.events.size();
                        }
                    }
                    flush(batch);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (RuntimeException | Error e) {
                    // the flusher outlives any one batch: its callers get the failure, the next batch runs
                    LOG.error("Group commit flusher for {} failed", uri, e);
                    batch.forEach(p -> p.result.completeExceptionally(e));
                } finally {
                    batch.clear();
                }
            }
        }

        void flush(List<Pending> batch) {
            if (batch.size() == 1) {
                runAlone(batch.get(0));
                return;
            }
            ArrayNode all = Json.MAPPER.createArrayNode();
            int[] offsets = new int[batch.size() + 1];
            for (int i = 0; i < batch.size(); i++) {
                offsets[i] = all.size();
                batch.get(i).events.forEach(all::add);
            }
            offsets[batch.size()] = all.size();
            List<Map<String, Object>> rows;
            try {
                rows = execute(uri, all.toString());
            } catch (Exception failed) {
                // nothing of the batch was written: each caller's events on their own
                failedBatches.incrementAndGet();
                LOG.debug("Batch of {} events failed ({}); applying them one request at a time", all.size(), failed.getMessage());
                batch.forEach(this::runAlone);
                return;
            }
            batches.incrementAndGet();
            batchedEvents.addAndGet(all.size());
            Map<Integer, List<Map<String, Object>>> byCaller = new HashMap<>();
            for (Map<String, Object> row : rows) {
                int n = ((Number) row.get("n")).intValue() - 1;
                for (int i = 0; i < batch.size(); i++) {
                    if (n >= offsets[i] && n < offsets[i + 1]) {
                        byCaller.computeIfAbsent(i, k -> new ArrayList<>()).add(row);
                        break;
                    }
                }
            }
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result.complete(byCaller.getOrDefault(i, List.of()));
            }
        }

        void runAlone(Pending pending) {
            if (pending.result.isDone()) {
                return; // withdrawn by its caller's timeout while its batch ran
            }
            try {
                pending.result.complete(execute(uri, pending.events.toString()));
            } catch (Exception e) {
                pending.result.completeExceptionally(e);
            }
        }
    }

    @Override
    public void start() {
        // flushers start on first use
    }

    @Override
    public void stop() {
        if (threads.isShutdown()) {
            return;
        }
        threads.shutdownNow();
        producers.values().forEach(ServiceHelper::stopService);
        producers.clear();
        if (batches.get() > 0) {
            LOG.info("Group commit: {} shared statements of {} events on average; {} failed and were re-run request by request",
                    batches.get(), batchedEvents.get() / batches.get(), failedBatches.get());
        }
    }
}
