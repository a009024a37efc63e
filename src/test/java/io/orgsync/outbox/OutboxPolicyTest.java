package io.orgsync.outbox;

import java.io.IOException;
import java.net.ConnectException;
import java.util.List;
import java.util.Map;

import org.apache.camel.http.base.HttpOperationFailedException;
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
                new RuntimeException(new ConnectException("refused")))) {
            assertThat(Outbox.decide(t, 1, 3, 100, 1000, 0.5)).as(t.toString())
                    .extracting(Outbox.Decision::status, Outbox.Decision::category).containsExactly("pending", "retryable");
            assertThat(Outbox.decide(t, 3, 3, 100, 1000, 0.5)).extracting(Outbox.Decision::status, Outbox.Decision::category)
                    .containsExactly("dead", "exhausted");
        }
    }

    @Test
    void anythingElseIsADeadLetterAtOnce() {
        for (Throwable t : List.of(http(400, null), http(404, null), http(422, null), new IllegalArgumentException("no price"))) {
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
    void bucketNamesFollowS3Rules() throws Exception {
        Provisioning bucket = new Provisioning("bucket", "{prefix}-{slug}-files", "acme", true, false, "data/tenants");
        assertThat(bucket.plan(Map.of("tenant_id", "tnt_1", "data", "{\"slug\":\"Big_Corp\"}")))
                .containsEntry("mode", "bucket").containsEntry("bucket", "acme-big-corp-files");
        assertThatThrownBy(() -> bucket.plan(Map.of("tenant_id", "tnt_1", "data", "{\"slug\":\"" + "x".repeat(70) + "\"}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a valid S3 bucket name");
        for (String bad : new String[] {"ab", "Upper", "192.168.1.1", "xn--abc", "a..b", "a-", "x-s3alias"}) {
            assertThatThrownBy(() -> Provisioning.checkBucketName(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        Provisioning prefix = new Provisioning("prefix", "{prefix}-{slug}-files", "acme", true, true, "data/tenants");
        assertThat(prefix.plan(Map.of("tenant_id", "tnt_1", "data", "{\"slug\":\"acme\"}"))).containsEntry("prefix", "tenants/acme/");
        Provisioning local = new Provisioning("bucket", "{prefix}-{slug}-files", "acme", false, false, "data/tenants");
        assertThat(local.plan(Map.of("tenant_id", "tnt_1", "data", "{\"slug\":\"acme\"}"))).containsEntry("mode", "local");
    }
}
