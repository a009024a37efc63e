package io.orgsync.ops;

import java.util.Properties;

import org.apache.camel.CamelContext;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * The settings of orgsync's own Kafka admin clients (the follower's lag, the rebuild's switch to the
 * feed), taken from Camel's Kafka component: its TLS and SASL settings
 * ({@code camel.component.kafka.security-protocol}, {@code …sasl-jaas-config}, …) reach them as they
 * reach the routes' consumers and producers.
 */
public final class KafkaClientSettings {

    private KafkaClientSettings() {
    }

    /** The component's client settings an admin client knows, for these brokers, with this timeout. */
    public static Properties admin(CamelContext context, String brokers, long timeoutMs) {
        Properties admin = new Properties();
        Properties consumer = context.getComponent("kafka", KafkaComponent.class).getConfiguration().createConsumerProperties();
        consumer.stringPropertyNames().stream().filter(AdminClientConfig.configNames()::contains)
                .forEach(name -> admin.put(name, consumer.get(name)));
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(1000, timeoutMs));
        admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.max(1000, timeoutMs));
        return admin;
    }
}
