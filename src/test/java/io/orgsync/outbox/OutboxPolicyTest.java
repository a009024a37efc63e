package io.orgsync.outbox;

import java.io.IOException;
import java.net.ConnectException;
import java.util.List;
import java.util.Map;

import org.apache.camel.http.base.HttpOperationFailedException;
import io.orgsync.http.Json;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pure parts of the fan-out: retry decisions, archive keys, bucket names. */
class OutboxPolicyTest {

    static HttpOperationFailedException http(int status, String retryAfter) {
        return new HttpOperationFailedException("http://siem/audit", status, "status", null,
                retryAfter == null ? Map.of() : Map.of("Retry-After", retryAfter), "body");
    }

    @Test
    void backOffDoublesWithJitterUpToTheCeiling() {
        assertThat(Outbox.decide(new ConnectException(), 1, 10, 1000, 60_000, 0.0).delayMs()).isEqualTo(500);
        assertThat(Outbox.decide(new ConnectException(), 1, 10, 1000, 60_000, 1.0).delayMs()).isEqualTo(1000);
        assertThat(Outbox.decide(new ConnectException(), 3, 10, 1000, 60_000, 1.0).delayMs()).isEqualTo(4000);
        assertThat(Outbox.decide(new ConnectException(), 9, 10, 1000, 60_000, 1.0).delayMs()).isEqualTo(60_000);
        assertThat(Outbox.decide(new ConnectException(), 9, 10, 1000, 60_000, 0.5).delayMs()).isBetween(30_000L, 60_000L);
    }

    @Test
    void retryableFailuresRetryUntilTheLastAttempt() {
        for (Throwable t : List.of(new IOException("reset"), http(503, null), http(500, null), http(429, null),
                new RuntimeException(new ConnectException("refused")),
                new org.apache.camel.CamelExchangeException("split", null, new org.apache.kafka.common.errors.TimeoutException("no metadata")),
                new org.apache.kafka.common.errors.NotLeaderOrFollowerException("moving"))) {
            assertThat(Outbox.decide(t, 1, 3, 100, 1000, 0.5)).as(t.toString())
                    .extracting(Outbox.Decision::status, Outbox.Decision::category).containsExactly("pending", "retryable");
            assertThat(Outbox.decide(t, 3, 3, 100, 1000, 0.5)).extracting(Outbox.Decision::status, Outbox.Decision::category)
                    .containsExactly("dead", "exhausted");
        }
    }

    @Test
    void anythingElseIsADeadLetterAtOnce() {
        for (Throwable t : List.of(http(400, null), http(404, null), http(422, null), new IllegalArgumentException("no price"),
                new org.apache.kafka.common.errors.RecordTooLargeException("too large"))) {
            assertThat(Outbox.decide(t, 1, 10, 100, 1000, 0.5)).as(t.toString())
                    .extracting(Outbox.Decision::status, Outbox.Decision::category).containsExactly("dead", "permanent");
        }
    }

    @Test
    void retryAfterIsHonouredWhenLongerThanTheBackOff() {
        assertThat(Outbox.decide(http(429, "7"), 1, 10, 100, 1000, 0.5).delayMs()).isEqualTo(7000);
        assertThat(Outbox.decide(http(503, "0"), 1, 10, 100, 1000, 1.0).delayMs()).isEqualTo(100);
        assertThat(Outbox.retryAfterMs("garbage")).isZero();
    }

    @Test
    void archiveKeysAreSafeAndNeverCollide() {
        assertThat(FanoutDocuments.eventKey("evt_test001")).isEqualTo("evt_test001");
        String hashed = FanoutDocuments.eventKey("sha256:abc");
        assertThat(hashed).startsWith("sha256_abc-").matches("[A-Za-z0-9._-]+");
        assertThat(FanoutDocuments.eventKey("sha256_abc")).isNotEqualTo(hashed);
        assertThat(FanoutDocuments.eventKey("../../etc/passwd")).doesNotContain("/").doesNotStartWith(".");
    }

    @Test
    void bucketNamesFollowS3RulesAndAreUniquePerTenant() throws Exception {
        Provisioning bucket = new Provisioning("bucket", "{prefix}-{slug}-{hash}", "acme", true, false, "data/tenants");
        String h1 = Provisioning.hash("tnt_1");
        assertThat(h1).matches("[0-9a-f]{10}");
        assertThat(bucket.plan(Map.of("tenant_id", "tnt_1", "data", "{\"slug\":\"Big_Corp\"}")))
                .containsEntry("mode", "bucket").containsEntry("bucket", "acme-big-corp-" + h1);
        // slugs that normalise alike, of three tenants: three buckets
        java.util.Set<Object> names = new java.util.HashSet<>();
        String[][] tenants = {{"tnt_a", "Acme.io"}, {"tnt_b", "acme_io"}, {"tnt_c", "acme-io"}};
        for (String[] t : tenants) {
            names.add(bucket.plan(Map.of("tenant_id", t[0], "data", "{\"slug\":\"" + t[1] + "\"}")).get("bucket"));
        }
        assertThat(names).hasSize(3);
        // hostile or empty slugs still give a valid name, within 63 characters
        for (String slug : new String[] {"", "'; DROP TABLE x; --", "ünïcødé", "x".repeat(200), "..", "a".repeat(70)}) {
            Object name = bucket.plan(Map.of("tenant_id", "tnt_1", "data", Json.MAPPER.writeValueAsString(Map.of("slug", slug)))).get("bucket");
            assertThat((String) name).as(slug).hasSizeLessThanOrEqualTo(63).endsWith("-" + h1);
            Provisioning.checkBucketName((String) name);
        }
        assertThatThrownBy(() -> new Provisioning("bucket", "{prefix}-{slug}-files", "acme", true, false, "data/tenants"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("{hash}");
        for (String bad : new String[] {"ab", "Upper", "192.168.1.1", "xn--abc", "a..b", "a-", "x-s3alias"}) {
            assertThatThrownBy(() -> Provisioning.checkBucketName(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        Provisioning prefix = new Provisioning("prefix", "{prefix}-{slug}-{hash}", "acme", true, true, "data/tenants");
        assertThat(prefix.plan(Map.of("tenant_id", "tnt_1", "data", "{\"slug\":\"acme\"}"))).containsEntry("prefix", "tenants/acme-" + h1 + "/");
        assertThat(prefix.plan(Map.of("tenant_id", "tnt_1", "data", "{\"slug\":\"\"}"))).containsEntry("prefix", "tenants/tenant-" + h1 + "/");
        Provisioning local = new Provisioning("bucket", "{prefix}-{slug}-{hash}", "acme", false, false, "data/tenants");
        assertThat(local.plan(Map.of("tenant_id", "tnt_1", "data", "{\"slug\":\"../..\"}")))
                .containsEntry("mode", "local").containsEntry("prefix", java.nio.file.Path.of("data/tenants", "tenant-" + h1).toString());
    }

    @Test
    void schemaNamesAreSafeIdentifiersUniquePerTenantAndRecordedNamesAreKept() throws Exception {
        Provisioning both = new Provisioning("bucket, schema", "{prefix}-{slug}-{hash}", "acme", true, false, "data/tenants");
        String h1 = Provisioning.hash("tnt_1");
        Map<String, Object> plan = both.plan(Map.of("tenant_id", "tnt_1", "data", "{\"slug\":\"Big Corp\"}"));
        assertThat(plan).containsEntry("bucket", "acme-big-corp-" + h1).containsEntry("schema", "tenant_big_corp_" + h1);
        for (String slug : new String[] {"", "\"; DROP SCHEMA public; --", "Ünïcødé", "x".repeat(200), "__", "a\u0000b"}) {
            String schema = Provisioning.schemaName(slug, "tnt_1");
            assertThat(schema).as(slug).matches("tenant_[a-z0-9_]{1,40}_" + h1).hasSizeLessThanOrEqualTo(63);
        }
        assertThat(Provisioning.schemaName("Crème brûlée", "tnt_1")).isEqualTo("tenant_creme_brulee_" + h1);
        assertThat(java.util.Set.of(Provisioning.schemaName("Acme.io", "tnt_a"), Provisioning.schemaName("acme_io", "tnt_b"),
                Provisioning.schemaName("acme-io", "tnt_c"))).hasSize(3);
        // schema only: no storage
        Provisioning schemaOnly = new Provisioning("schema", "{prefix}-{slug}-{hash}", "acme", true, true, "data/tenants");
        assertThat(schemaOnly.plan(Map.of("tenant_id", "tnt_1", "data", "{\"slug\":\"a\"}")))
                .containsEntry("mode", "none").containsEntry("bucket", null).containsEntry("prefix", null);
        // names the tenant row records already are kept (a reconciled tenant.created after a rename)
        Map<String, Object> recorded = new java.util.HashMap<>();
        recorded.put("storage_bucket", "acme-old-" + h1);
        recorded.put("tenant_schema", "tenant_old_" + h1);
        recorded.put("storage_prefix", null);
        assertThat(both.plan(Map.of("tenant_id", "tnt_1", "data", "{\"slug\":\"new\"}"), recorded))
                .containsEntry("bucket", "acme-old-" + h1).containsEntry("schema", "tenant_old_" + h1);
        // a mode that is not one: one clear line, at start
        assertThatThrownBy(() -> new Provisioning("bucket,schemas", "{prefix}-{slug}-{hash}", "acme", true, false, "d"))
                .isInstanceOf(io.orgsync.ConfigurationError.class).hasMessageContaining("schemas");
        assertThatThrownBy(() -> new Provisioning("bucket,prefix", "{prefix}-{slug}-{hash}", "acme", true, false, "d"))
                .isInstanceOf(io.orgsync.ConfigurationError.class).hasMessageContaining("one or the other");
    }
}
