package io.orgsync;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each setting orgsync cannot run with is named, with its fix; good settings pass. */
class ConfigurationCheckTest {

    static final Set<String> PLANS = Set.of("starter", "pro", "enterprise");

    static Map<String, String> good() {
        Map<String, String> p = new HashMap<>(Map.of("camel.server.port", "8080", "camel.management.port", "9876",
                "orgsync.log.format", "text", "orgsync.authvital.host", "https://auth.example.com"));
        p.put("orgsync.admin.token", "a".repeat(32));
        p.put("orgsync.audit.url", "https://siem.example.com/ingest");
        p.put("orgsync.db.url", "jdbc:postgresql://db.internal:5432/orgsync");
        p.put("orgsync.clerk.api-url", "https://api.clerk.com");
        return p;
    }

    static void check(Map<String, String> p, boolean dev) {
        new ConfigurationCheck(k -> p.getOrDefault(k, "")).check(dev, PLANS);
    }

    static ConfigurationError error(Map<String, String> p) {
        try {
            check(p, false);
        } catch (ConfigurationError e) {
            return e;
        }
        throw new AssertionError("no ConfigurationError for " + p);
    }

    @Test
    void goodSettingsAndTheDefaultsPass() {
        assertThatCode(() -> check(good(), false)).doesNotThrowAnyException();
        assertThatCode(() -> check(Map.of("camel.server.port", "8080", "camel.management.port", "9876"), false)).doesNotThrowAnyException();
        for (String jdbc : new String[] {"jdbc:postgresql://h1:5432,h2:5432/orgsync?targetServerType=primary", "jdbc:postgresql:orgsync"}) {
            Map<String, String> p = good();
            p.put("orgsync.db.url", jdbc);
            assertThatCode(() -> check(p, false)).as(jdbc).doesNotThrowAnyException();
        }
    }

    @Test
    void theModeIsPrimaryOrAFollowerWithBrokers() {
        Map<String, String> p = good();
        p.put("orgsync.mode", "backup");
        assertThat(error(p).key()).isEqualTo("orgsync.mode");
        assertThat(error(p).getMessage()).contains("ORGSYNC_MODE");
        p.put("orgsync.mode", "follower");
        assertThat(error(p).key()).isEqualTo("orgsync.changefeed.brokers");
        p.put("orgsync.changefeed.brokers", "kafka-1:9092");
        assertThatCode(() -> check(p, false)).doesNotThrowAnyException();
    }

    @Test
    void anAdminTokenShorterThan32CharactersIsRefused() {
        Map<String, String> p = good();
        p.put("orgsync.admin.token", "a".repeat(31));
        ConfigurationError e = error(p);
        assertThat(e.key()).isEqualTo("orgsync.admin.token");
        assertThat(e.getMessage()).contains("31 characters").contains("ORGSYNC_ADMIN_TOKEN").doesNotContain("aaaa");
    }

    @Test
    void theManagementPortCannotBeTheWebhookPort() {
        Map<String, String> p = good();
        p.put("camel.management.port", "8080");
        assertThat(error(p).getMessage()).startsWith("camel.management.port: is 8080").contains("ORGSYNC_MANAGEMENT_PORT");
        p.put("camel.management.port", "http");
        assertThat(error(p).getMessage()).contains("not a port").contains("ORGSYNC_MANAGEMENT_PORT");
    }

    @Test
    void avHostMustBeHttpsUnlessAllowed() {
        Map<String, String> p = good();
        p.put("orgsync.authvital.host", "http://auth.example.com");
        assertThat(error(p).getMessage()).startsWith("orgsync.authvital.host: 'http://auth.example.com' is not https").contains("AV_HOST");
        assertThatCode(() -> check(p, true)).as("development mode").doesNotThrowAnyException();
        p.put("orgsync.authvital.allow-insecure-http", "true");
        assertThatCode(() -> check(p, false)).doesNotThrowAnyException();
    }

    @Test
    void malformedUrlsAreNamed() {
        for (String key : new String[] {"orgsync.audit.url", "orgsync.s3.endpoint", "orgsync.stripe.api-base", "orgsync.clerk.api-url", "orgsync.authvital.host"}) {
            Map<String, String> p = good();
            p.put(key, "https//missing-colon.example.com");
            assertThat(error(p).key()).as(key).isEqualTo(key);
            p.put(key, "ftp://files.example.com");
            assertThat(error(p).key()).as(key).isEqualTo(key);
        }
        Map<String, String> p = good();
        p.put("orgsync.db.url", "postgres://user:hunter2@db/orgsync");
        ConfigurationError e = error(p);
        assertThat(e.getMessage()).startsWith("orgsync.db.url:").contains("jdbc:postgresql://").doesNotContain("hunter2");
    }

    @Test
    void aStripeKeyNeedsAPriceForEveryPlan() {
        Map<String, String> p = good();
        p.put("orgsync.stripe.api-key", "sk_test_123");
        p.put("orgsync.stripe.price.starter", "price_1");
        p.put("orgsync.stripe.price.pro", "price_2");
        ConfigurationError e = error(p);
        assertThat(e.key()).isEqualTo("orgsync.stripe.price.enterprise");
        assertThat(e.getMessage()).contains("ORGSYNC_STRIPE_PRICE_ENTERPRISE").doesNotContain("sk_test_123");
        p.put("orgsync.stripe.price.enterprise", "price_3");
        assertThatCode(() -> check(p, false)).doesNotThrowAnyException();
    }

    @Test
    void theLogFormatIsTextOrJson() {
        Map<String, String> p = good();
        p.put("orgsync.log.format", "xml");
        assertThat(error(p).getMessage()).contains("ORGSYNC_LOG_FORMAT").contains("[json, text]");
    }

    @Test
    void outsideDevelopmentModeEachLocalFallbackIsAWarning() {
        io.orgsync.support.LogCapture logs = new io.orgsync.support.LogCapture();
        logs.attach();
        try {
            Map<String, String> p = new HashMap<>(Map.of("orgsync.db.embedded-dir", "data/postgres", "orgsync.archive.dir", "data/archive",
                    "orgsync.audit.dir", "data/audit"));
            new ConfigurationCheck(k -> p.getOrDefault(k, "")).warnFallbacks(true);
            assertThat(logs.events).noneMatch(l -> l.logger().endsWith("ConfigurationCheck"));
            new ConfigurationCheck(k -> p.getOrDefault(k, "")).warnFallbacks(false);
            assertThat(logs.events.stream().filter(l -> l.logger().endsWith("ConfigurationCheck")))
                    .allMatch(l -> l.level().equals("WARN")).extracting(io.orgsync.support.LogCapture.Line::text)
                    .containsExactly("Not for production: the embedded PostgreSQL under data/postgres (set ORGSYNC_DB_URL)",
                            "Not for production: the archive in the local folder data/archive (set ORGSYNC_S3_BUCKET)",
                            "Not for production: the audit log in the local folder data/audit (set ORGSYNC_AUDIT_URL)");
            logs.events.clear();
            p.putAll(Map.of("orgsync.db.url", "jdbc:postgresql://db/orgsync", "orgsync.s3.bucket", "b", "orgsync.audit.url", "https://siem.example.com"));
            new ConfigurationCheck(k -> p.getOrDefault(k, "")).warnFallbacks(false);
            assertThat(logs.events).noneMatch(l -> l.logger().endsWith("ConfigurationCheck"));
        } finally {
            logs.detach();
        }
    }

    @Test
    void theErrorIsFoundAmongCausesAndHasNoStackTrace() {
        ConfigurationError e = new ConfigurationError("k", "bad");
        assertThat(ConfigurationError.in(new RuntimeException(new IllegalStateException(e)))).isSameAs(e);
        assertThat(e.getStackTrace()).isEmpty();
    }
}
