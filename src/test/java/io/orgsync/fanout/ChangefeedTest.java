package io.orgsync.fanout;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.orgsync.support.Fixtures;
import io.orgsync.support.KafkaBroker;
import io.orgsync.support.OrgsyncApp;
import org.apache.camel.component.kafka.KafkaEndpoint;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The changefeed target against a real Kafka broker (KRaft, in this JVM): real signed webhooks in,
 * and on the topic, read back by a plain Kafka consumer, one message per change with the row's new
 * state, keyed by tenant, in order, valid against docs/changefeed.schema.json; a broker outage holds
 * the outbox and it catches up when the broker is back.
 */
class ChangefeedTest {

    static final String TOPIC = "orgsync.changes.test";
    static KafkaBroker kafka;
    static OrgsyncApp app;
    static JsonSchema schema;

    @BeforeAll
    static void start() {
        kafka = KafkaBroker.start();
        Map<String, String> p = new HashMap<>();
        p.put("orgsync.changefeed.brokers", kafka.bootstrapServers());
        p.put("orgsync.changefeed.topic", TOPIC);
        p.put("orgsync.changefeed.timeout-ms", "2000");
        p.put("orgsync.changefeed.delivery-timeout-ms", "5000");
        p.put("orgsync.target.changefeed.initial-backoff-ms", "500");
        p.put("orgsync.target.changefeed.max-backoff-ms", "1000");
        app = OrgsyncApp.start(p);
        schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(Path.of("docs/changefeed.schema.json").toUri());
    }

    @AfterAll
    static void stop() {
        app.close();
        kafka.close();
    }

    static void post(ObjectNode event, Instant at) {
        assertThat(app.postSystem(event, at).status()).isEqualTo(200);
    }

    static void awaitDelivered() {
        // every target: a target's write-back (provisioning) sends the row to the changefeed once more
        OrgsyncApp.await("the fan-out delivered", () -> app.count("orgsync_outbox WHERE status <> 'done'") == 0,
                Duration.ofSeconds(60));
    }

    /** The topic's messages until one about this row from this event type is there, parsed, each checked against the schema and its Kafka key. */
    static List<JsonNode> messages(String id, String eventType) throws Exception {
        List<JsonNode> messages = new ArrayList<>();
        String wanted = "\"event_type\": \"" + eventType + "\"";
        for (ConsumerRecord<String, String> record : kafka.read(TOPIC, records -> records.stream()
                .anyMatch(r -> r.value().contains("\"id\": \"" + id + "\"") && r.value().contains(wanted)), Duration.ofSeconds(30))) {
            JsonNode message = Fixtures.MAPPER.readTree(record.value());
            Set<ValidationMessage> errors = schema.validate(message);
            assertThat(errors).as(record.value()).isEmpty();
            assertThat(record.key()).isEqualTo(message.path("key").asText());
            ((ObjectNode) message).put("_partition", record.partition()).put("_offset", record.offset());
            messages.add(message);
        }
        return messages;
    }

    static List<JsonNode> about(List<JsonNode> messages, String kind, String id) {
        return messages.stream().filter(m -> m.path("kind").asText().equals(kind) && m.path("id").asText().equals(id)).toList();
    }

    @Test
    void everyAppliedChangeIsPublishedAsTheNewStateKeyedByItsTenantInOrder() throws Exception {
        Instant t = Instant.now().minusSeconds(120);
        ObjectNode created = Fixtures.tenantEvent("tenant.created", "tnt_cf1", "feed-one");
        ((ObjectNode) created.get("data")).put("plan", "pro");
        post(created, t);
        ObjectNode application = Fixtures.system("application.created");
        ((ObjectNode) application.get("data")).put("application_id", "app_cf1").put("tenant_id", "tnt_cf1");
        post(application, t.plusSeconds(1));
        ObjectNode sso = Fixtures.system("sso.provider_added");
        ((ObjectNode) sso.get("data")).put("provider_id", "sso_cf1").put("tenant_id", "tnt_cf1");
        post(sso, t.plusSeconds(2));
        ObjectNode granted = Fixtures.system("tenant.app.granted");
        ((ObjectNode) granted.get("data")).put("tenant_id", "tnt_cf1").put("application_id", "app_cf1");
        post(granted, t.plusSeconds(3));
        for (int i = 1; i <= 5; i++) {
            ObjectNode updated = Fixtures.tenantEvent("tenant.updated", "tnt_cf1", "feed-one");
            ((ObjectNode) updated.get("data")).put("name", "Feed One v" + i);
            post(updated, t.plusSeconds(10 + i));
        }
        post(Fixtures.tenantEvent("tenant.suspended", "tnt_cf1", "feed-one"), t.plusSeconds(20));
        assertThat(app.postClerk(Fixtures.clerk("organizationMembership.created"), "msg_cf_member").status()).isEqualTo(200);
        awaitDelivered();

        List<JsonNode> messages = messages("tnt_cf1", "tenant.suspended");
        messages = messages.stream().anyMatch(m -> m.path("id").asText().equals("orgmem_2xyz")) ? messages
                : messages("orgmem_2xyz", "organizationMembership.created");
        List<JsonNode> tenant = about(messages, "organization", "tnt_cf1");
        // seven changes, and once more after provisioning wrote the tenant's storage back to its row
        assertThat(tenant).hasSizeBetween(7, 9);
        for (JsonNode m : messages) {
            // the event that published it is the recorded one
            assertThat(app.count("orgsync_events WHERE event_id = '" + m.path("event_id").asText() + "' AND event_type = '"
                    + m.path("event_type").asText() + "' AND source = '" + m.path("source").asText() + "'")).as(m.toString()).isEqualTo(1);
            assertThat(m.path("state").path("id").asText()).isEqualTo(m.path("id").asText());
            assertThat(m.path("state").path("change_seq").asLong()).isEqualTo(m.path("change_seq").asLong());
        }
        // one tenant, one key, one partition, in event order: the new state after each change
        assertThat(messages.stream().filter(m -> m.path("key").asText().equals("tnt_cf1")).map(m -> m.path("_partition").asInt()).distinct()).hasSize(1);
        assertThat(tenant.stream().map(m -> m.path("event_type").asText()).toList())
                .containsSubsequence("tenant.created", "tenant.updated", "tenant.updated", "tenant.updated", "tenant.updated", "tenant.updated", "tenant.suspended");
        assertThat(tenant.stream().map(m -> m.path("change_seq").asLong()).toList()).isSorted();
        JsonNode last = tenant.get(tenant.size() - 1);
        assertThat(last.path("suspended").asBoolean()).isTrue();
        assertThat(last.path("deleted").asBoolean()).isFalse();
        assertThat(last.path("state").path("status").asText()).isEqualTo("suspended");
        assertThat(last.path("state").path("plan").asText()).isEqualTo("pro");
        assertThat(last.path("state").path("name").asText()).isEqualTo("Feed One v5");
        // the last message is the row as it is now, column by column, the provisioning's write-back included
        assertThat(last.path("state")).isEqualTo(Fixtures.MAPPER.readTree(
                (String) app.row("SELECT CAST(to_jsonb(t) AS text) AS row FROM av_organizations t WHERE id = 'tnt_cf1'").get("row")));
        assertThat(last.path("state").path("provisioned_at").isNull()).isFalse();
        assertThat(tenant.stream().filter(m -> m.path("event_type").asText().equals("tenant.suspended")).findFirst().orElseThrow()
                .path("event_time").asText()).startsWith(t.plusSeconds(20).toString().substring(0, 19));

        assertThat(about(messages, "application", "app_cf1")).singleElement()
                .satisfies(m -> assertThat(m.path("key").asText()).isEqualTo("tnt_cf1"));
        assertThat(about(messages, "sso_provider", "sso_cf1")).singleElement()
                .satisfies(m -> assertThat(m.path("key").asText()).isEqualTo("tnt_cf1"));
        assertThat(messages.stream().filter(m -> m.path("kind").asText().equals("app_access")).toList()).singleElement()
                .satisfies(m -> assertThat(m.path("state").path("status").asText()).isEqualTo("granted"));
        // a Clerk membership: its organisation (which the event brought) first, then the membership, under the organisation's key
        List<JsonNode> clerk = messages.stream().filter(m -> m.path("source").asText().equals("clerk")).toList();
        assertThat(clerk).extracting(m -> m.path("kind").asText()).containsExactly("organization", "membership");
        assertThat(clerk).allSatisfy(m -> assertThat(m.path("key").asText()).isEqualTo("org_29w9UtdX4K9Z5nJ2"));
        assertThat(clerk.get(1).path("id").asText()).isEqualTo("orgmem_2xyz");
    }

    @Test
    void theProducerIsIdempotentAndWaitsForEveryReplicaAndTheRoutingTableSendsItEveryAppliedEvent() {
        assertThat(app.rows("SELECT rule FROM orgsync_fanout_rules WHERE 'changefeed' = ANY (targets) ORDER BY rule")
                .stream().map(r -> r.get("rule")).toList())
                .containsExactly("authvital.tenant.created", "authvital.tenant.deleted", "authvital.tenant.updated", "default");
        List<KafkaEndpoint> endpoints = app.camel().getEndpoints().stream().filter(KafkaEndpoint.class::isInstance)
                .map(KafkaEndpoint.class::cast).toList();
        assertThat(endpoints).isNotEmpty().allSatisfy(e -> {
            assertThat(e.getConfiguration().isEnableIdempotence()).isTrue();
            assertThat(e.getConfiguration().getRequestRequiredAcks()).isEqualTo("all");
        });
    }

    @Test
    void whileTheBrokerIsDownTheOutboxHoldsAndCatchesUpWhenItIsBack() throws Exception {
        Instant t = Instant.now().minusSeconds(60);
        post(Fixtures.tenantEvent("tenant.created", "tnt_cf2", "feed-two"), t);
        awaitDelivered();
        kafka.stop();
        try {
            ObjectNode updated = Fixtures.tenantEvent("tenant.updated", "tnt_cf2", "feed-two");
            ((ObjectNode) updated.get("data")).put("name", "Written while Kafka was down");
            post(updated, t.plusSeconds(1));
            // the webhook was answered; its changefeed delivery fails and waits, neither done nor dead
            OrgsyncApp.await("a failed attempt", () -> app.count("orgsync_outbox o JOIN orgsync_events e ON e.id = o.event_pk "
                    + "WHERE o.target = 'changefeed' AND e.tenant_id = 'tnt_cf2' AND e.event_type = 'tenant.updated' "
                    + "AND o.status = 'pending' AND o.last_error IS NOT NULL") == 1, Duration.ofSeconds(60));
        } finally {
            kafka.startAgain();
        }
        awaitDelivered();
        List<JsonNode> messages = about(messages("tnt_cf2", "tenant.updated"), "organization", "tnt_cf2");
        assertThat(messages).extracting(m -> m.path("event_type").asText()).containsSubsequence("tenant.created", "tenant.updated");
        assertThat(messages.get(messages.size() - 1).path("state").path("name").asText()).isEqualTo("Written while Kafka was down");
        assertThat(app.count("orgsync_outbox WHERE target = 'changefeed' AND status = 'dead'")).isZero();
    }
}
