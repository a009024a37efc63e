package io.orgsync.ops;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.orgsync.http.Json;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Bean {@code followerFeed}: a rebuild from the archive on a follower (docs/rebuild.md) seeds its
 * mirror, then switches it to the changefeed from a recorded position. While the rebuild runs, the
 * follower's consumer (route follow-changefeed) is stopped; the position is, per partition, the
 * first message published at or after the rebuild's end less {@code orgsync.rebuild.feed-overlap-ms}
 * (the archive may be written a little after the feed); the follower's consumer group is set to it
 * and the consumer started again. Replaying messages the rebuild covered already is harmless
 * (change_seq). On a primary (no such route) every step does nothing.
 */
public class FollowerFeed {

    static final String ROUTE = "follow-changefeed";

    private final CamelContext context;
    private final String topic;
    private final String group;
    private final Duration overlap;
    private final Duration timeout;
    private final Supplier<java.util.Properties> clientSettings;
    private volatile boolean seeding;

    public FollowerFeed(CamelContext context, String topic, String group, Duration overlap, Duration timeout,
                        Supplier<java.util.Properties> clientSettings) {
        this.context = context;
        this.topic = topic;
        this.group = group;
        this.overlap = overlap;
        this.timeout = timeout;
        this.clientSettings = clientSettings;
    }

    private boolean following() {
        return context.getRoute(ROUTE) != null;
    }

    /** Stops the follower's consumer (its in-flight message applied first); it leaves its group. */
    public void pause() throws Exception {
        if (following()) {
            seeding = true;
            context.getRouteController().stopRoute(ROUTE);
        }
    }

    /** Whether a rebuild has stopped the consumer and not started it again (readiness is DOWN meanwhile: FollowerLag). */
    public boolean isSeeding() {
        return seeding;
    }

    /**
     * The position the feed is to go on from after a rebuild whose range ends at {@code to}, per
     * partition: the offset of the first message published at or after {@code to} less the overlap,
     * or the partition's end when there is none. Refused when a partition no longer holds its messages
     * from that time (its retention removed them): the mirror would miss what they carried. Null on a
     * primary; empty when the topic does not exist yet.
     */
    public Map<Integer, Long> positions(Instant to) throws Exception {
        if (!following()) {
            return null;
        }
        Instant from = to.minus(overlap);
        long wait = timeout.toMillis();
        try (Admin admin = Admin.create(clientSettings.get())) {
            TopicDescription description;
            try {
                description = admin.describeTopics(List.of(topic)).allTopicNames().get(wait, TimeUnit.MILLISECONDS).get(topic);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    return Map.of();
                }
                throw e;
            }
            Map<TopicPartition, OffsetSpec> byTime = new HashMap<>();
            Map<TopicPartition, OffsetSpec> starts = new HashMap<>();
            Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
            description.partitions().forEach(p -> {
                TopicPartition partition = new TopicPartition(topic, p.partition());
                byTime.put(partition, OffsetSpec.forTimestamp(from.toEpochMilli()));
                starts.put(partition, OffsetSpec.earliest());
                ends.put(partition, OffsetSpec.latest());
            });
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> at = admin.listOffsets(byTime).all().get(wait, TimeUnit.MILLISECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> first = admin.listOffsets(starts).all().get(wait, TimeUnit.MILLISECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> last = admin.listOffsets(ends).all().get(wait, TimeUnit.MILLISECONDS);
            Map<Integer, Long> positions = new TreeMap<>();
            for (TopicPartition partition : byTime.keySet()) {
                long offset = at.get(partition).offset();
                long start = first.get(partition).offset();
                if (offset < 0) {
                    offset = last.get(partition).offset();
                } else if (offset == start && start > 0) {
                    throw new IllegalStateException("The changefeed's partition " + partition.partition() + " no longer holds its messages from "
                            + from + " (its retention removed those before offset " + start + "): the follower would miss what they "
                            + "carried. Rebuild a range that ends later, or with a smaller orgsync.rebuild.feed-overlap-ms");
                }
                positions.put(partition.partition(), offset);
            }
            return positions;
        }
    }

    /**
     * Sets the follower's consumer group to these positions (none: left as it is) and starts the
     * consumer again. The group must have no other member: a follower region's other instances are
     * stopped while one of them rebuilds.
     */
    public void switchTo(Map<Integer, Long> positions) throws Exception {
        if (!following()) {
            return;
        }
        if (positions != null && !positions.isEmpty()) {
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            positions.forEach((partition, offset) -> offsets.put(new TopicPartition(topic, partition), new OffsetAndMetadata(offset)));
            try (Admin admin = Admin.create(clientSettings.get())) {
                admin.alterConsumerGroupOffsets(group, offsets).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof GroupNotEmptyException) {
                    throw new IllegalStateException("The consumer group " + group + " has other members: stop the region's other "
                            + "followers while one rebuilds, then rebuild again", e);
                }
                throw e;
            }
        }
        resume();
    }

    /** Starts the follower's consumer again (a rebuild that failed leaves the group's position as it was). */
    public void resume() throws Exception {
        if (following() && context.getRouteController().getRouteStatus(ROUTE) != ServiceStatus.Started) {
            context.getRouteController().startRoute(ROUTE);
        }
        seeding = false;
    }

    /** The run's report: where the feed was switched to (null on a primary). */
    public String report(Map<Integer, Long> positions, Instant to) {
        if (positions == null) {
            return null;
        }
        Map<String, Object> report = new java.util.LinkedHashMap<>();
        report.put("topic", topic);
        report.put("group", group);
        report.put("from", to.minus(overlap).toString());
        report.put("positions", positions);
        return Json.MAPPER.valueToTree(Map.of("feed", report)).toString();
    }
}
