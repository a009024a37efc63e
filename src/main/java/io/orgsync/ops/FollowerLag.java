package io.orgsync.ops;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A follower's lag: the changefeed's messages not yet applied here, summed over the topic's
 * partitions (the end of each partition less the offset the follower's group has committed, which it
 * commits only after the database has). Measured every {@code orgsync.follower.lag-period-ms} with
 * Kafka's admin client; metric {@code orgsync_follower_lag} (messages; -1 while unknown). Readiness
 * (check {@code orgsync/follower-lag}) is DOWN past {@code orgsync.follower.max-lag}, and while the lag
 * cannot be measured (Kafka out of reach, or not measured yet): a follower that cannot tell how far
 * behind it is must not be taken for current. A topic that does not exist yet (the primary has
 * published nothing) is a lag of 0.
 */
public class FollowerLag extends AbstractHealthCheck implements org.apache.camel.Service {

    private static final Logger LOG = LoggerFactory.getLogger(FollowerLag.class);

    private final String brokers;
    private final String topic;
    private final String group;
    private final long maxLag;
    private final Duration period;
    private final AtomicLong lag = new AtomicLong(-1);
    private volatile String problem = "not measured yet";
    private ScheduledExecutorService timer;
    private Admin admin;
    private java.util.function.Supplier<Properties> clientSettings;
    private java.util.function.BooleanSupplier seeding;

    public FollowerLag(String brokers, String topic, String group, long maxLag, Duration period, MeterRegistry meters) {
        super("orgsync", "follower-lag");
        this.brokers = brokers;
        this.topic = topic;
        this.group = group;
        this.maxLag = maxLag;
        this.period = period;
        if (meters != null) {
            Gauge.builder("orgsync.follower.lag", lag, AtomicLong::get)
                    .description("Changefeed messages on the topic not yet applied by this follower (-1: unknown)")
                    .register(meters);
        }
    }

    /** The admin client's settings (TLS, SASL: {@link KafkaClientSettings}), read at start; by default only the brokers. */
    public void setClientSettings(java.util.function.Supplier<Properties> clientSettings) {
        this.clientSettings = clientSettings;
    }

    /** Whether a rebuild is seeding the mirror (FollowerFeed): readiness is DOWN while it does. */
    public void setSeeding(java.util.function.BooleanSupplier seeding) {
        this.seeding = seeding;
    }

    /** Starts measuring, now and then every period. */
    @Override
    public synchronized void start() {
        Properties p = new Properties();
        if (clientSettings != null) {
            p.putAll(clientSettings.get());
        }
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(1000, period.toMillis()));
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.max(1000, period.toMillis()));
        admin = Admin.create(p);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "orgsync-follower-lag");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::measure, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void stop() {
        if (timer != null) {
            timer.shutdownNow();
            admin.close(Duration.ofSeconds(2));
            timer = null;
        }
    }

    /** The lag last measured, or -1. */
    public long lag() {
        return lag.get();
    }

    void measure() {
        long timeout = period.toMillis();
        try {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get(timeout, TimeUnit.MILLISECONDS).get(topic);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            description.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get(timeout, TimeUnit.MILLISECONDS);
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(timeout, TimeUnit.MILLISECONDS);
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            latest.keySet().stream().filter(tp -> committed.get(tp) == null).forEach(tp -> earliest.put(tp, OffsetSpec.earliest()));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = earliest.isEmpty() ? Map.of()
                    : admin.listOffsets(earliest).all().get(timeout, TimeUnit.MILLISECONDS);
            long sum = 0;
            for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end : ends.entrySet()) {
                OffsetAndMetadata done = committed.get(end.getKey());
                long from = done != null ? done.offset() : starts.get(end.getKey()).offset();
                sum += Math.max(0, end.getValue().offset() - from);
            }
            lag.set(sum);
            problem = null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                // the primary has published nothing yet: nothing to be behind on
                lag.set(0);
                problem = null;
                return;
            }
            lag.set(-1);
            String why = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
            String before = problem;
            problem = "the lag cannot be measured: " + why;
            if (!problem.equals(before)) {
                LOG.warn("Follower: the changefeed's lag cannot be measured ({})", why);
            }
        }
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        long now = lag.get();
        builder.detail("lag", now);
        builder.detail("max_lag", maxLag);
        String why = problem;
        if (seeding != null && seeding.getAsBoolean()) {
            // its mirror is partial until the rebuild has read the archive and the feed is on again
            builder.message("Follower: a rebuild from the archive is seeding its mirror");
            builder.down();
        } else if (why != null) {
            builder.message("Follower: " + why);
            builder.down();
        } else if (now > maxLag) {
            builder.message("Follower: " + now + " changefeed messages not yet applied, more than " + maxLag);
            builder.down();
        } else {
            builder.up();
        }
    }
}
