package io.orgsync.clerk;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

import io.orgsync.support.SvixSigner;
import io.orgsync.http.WebhookRejection;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Standard Webhooks verification with an injected clock, starting from the official test vector. */
class SvixVerifierTest {

    static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    static final long TS = 1614265330L;
    static final byte[] BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
    static final String SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    static SvixVerifier at(long epochSecond, String secrets) {
        return new SvixVerifier(secrets, Clock.fixed(Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC), Duration.ofSeconds(300));
    }

    static Map<String, String> headers(String signature) {
        Map<String, String> h = new HashMap<>();
        h.put("svix-id", ID);
        h.put("svix-timestamp", Long.toString(TS));
        h.put("svix-signature", signature);
        return h;
    }

    @Test
    void theOfficialTestVectorVerifies() {
        assertThat(SvixSigner.sign(SECRET, ID, TS, BODY)).isEqualTo(SIGNATURE);
        SvixVerifier.Verified verified = at(TS, SECRET).verify(headers(SIGNATURE)::get, BODY);
        assertThat(verified.messageId()).isEqualTo(ID);
        assertThat(verified.timestamp()).isEqualTo(Instant.ofEpochSecond(TS));
    }

    @Test
    void itsNegativeCasesFail() {
        assertRejected(at(TS, SECRET), headers(SIGNATURE), "{\"test\": 2432232315}".getBytes(StandardCharsets.UTF_8), "invalid_signature");
        assertRejected(at(TS, "whsec_" + "A".repeat(32)), headers(SIGNATURE), BODY, "invalid_signature");
        assertRejected(at(TS + 301, SECRET), headers(SIGNATURE), BODY, "stale_timestamp");
        assertRejected(at(TS - 301, SECRET), headers(SIGNATURE), BODY, "future_timestamp");
        Map<String, String> otherId = headers(SIGNATURE);
        otherId.put("svix-id", "msg_other");
        assertRejected(at(TS, SECRET), otherId, BODY, "invalid_signature");
        Map<String, String> otherTs = headers(SIGNATURE);
        otherTs.put("svix-timestamp", Long.toString(TS + 1));
        assertRejected(at(TS, SECRET), otherTs, BODY, "invalid_signature");
        assertRejected(at(TS, SECRET), headers("v2," + SIGNATURE.substring(3)), BODY, "invalid_signature");
        assertRejected(at(TS, SECRET), headers("v1,not base64!"), BODY, "invalid_signature");
        for (String missing : new String[] {"svix-id", "svix-timestamp", "svix-signature"}) {
            Map<String, String> h = headers(SIGNATURE);
            h.remove(missing);
            assertThatThrownBy(() -> at(TS, SECRET).verify(h::get, BODY)).isInstanceOf(WebhookRejection.class)
                    .extracting("status").isEqualTo(401);
        }
        Map<String, String> badTs = headers(SIGNATURE);
        badTs.put("svix-timestamp", "yesterday");
        assertRejected(at(TS, SECRET), badTs, BODY, "invalid_timestamp");
    }

    @Test
    void anyOneOfSeveralSignaturesAndAnyOneOfSeveralSecretsIsEnough() {
        String several = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v1a,xyz " + SIGNATURE + " v1,Zm9v";
        assertThat(at(TS, SECRET).verify(headers(several)::get, BODY).messageId()).isEqualTo(ID);
        assertThat(at(TS, "whsec_" + "A".repeat(32) + "," + SECRET).verify(headers(SIGNATURE)::get, BODY).messageId()).isEqualTo(ID);
    }

    @Test
    void theWebhookHeaderNamesAreAFallback() {
        Map<String, String> h = Map.of("webhook-id", ID, "webhook-timestamp", Long.toString(TS), "webhook-signature", SIGNATURE);
        assertThat(at(TS, SECRET).verify(h::get, BODY).messageId()).isEqualTo(ID);
    }

    @Test
    void noSecretIs503SoSvixRetries() {
        assertThatThrownBy(() -> at(TS, "").verify(headers(SIGNATURE)::get, BODY)).isInstanceOf(WebhookRejection.class)
                .extracting("status").isEqualTo(503);
        assertThatThrownBy(() -> at(TS, "whsec_***")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("***");
    }

    static void assertRejected(SvixVerifier verifier, Map<String, String> headers, byte[] body, String code) {
        assertThatThrownBy(() -> verifier.verify(headers::get, body)).isInstanceOf(WebhookRejection.class)
                .satisfies(e -> {
                    assertThat(((WebhookRejection) e).getStatus()).isEqualTo(401);
                    assertThat(((WebhookRejection) e).getCode()).isEqualTo(code);
                });
    }
}
