package io.orgsync.authvital;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

import com.nimbusds.jose.jwk.RSAKey;
import io.orgsync.support.AuthVitalSigner;
import io.orgsync.http.WebhookRejection;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The verifier alone: a fixed clock, keys in memory, real RSA signatures. */
class AuthVitalVerifierTest {

    static final RSAKey KEY = AuthVitalSigner.newKey();
    static final Instant NOW = Instant.parse("2026-11-20T10:00:00Z");
    final AuthVitalVerifier verifier = new AuthVitalVerifier(kid -> {
        try {
            return kid.equals(KEY.getKeyID()) ? KEY.toRSAPublicKey() : null;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }, Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofSeconds(300));

    final byte[] body = "{\"event\":\"tenant.created\",\"timestamp\":\"2026-11-20T10:00:00Z\",\"data\":{}}".getBytes(StandardCharsets.UTF_8);

    @Test
    void systemSignatureOverTheRawBody() {
        Map<String, String> headers = AuthVitalSigner.systemHeaders(KEY, body, "tenant.created", NOW.toString());
        AuthVitalVerifier.Verified verified = verifier.verify(headers::get, body);
        assertThat(verified.channel()).isEqualTo("system");
        assertThat(verified.keyId()).isEqualTo(KEY.getKeyID());
    }

    @Test
    void syncSignatureOverTimestampDotBody() {
        Map<String, String> headers = AuthVitalSigner.syncHeaders(KEY, body, "evt_1", "tenant.created", NOW.getEpochSecond() - 299);
        AuthVitalVerifier.Verified verified = verifier.verify(headers::get, body);
        assertThat(verified.channel()).isEqualTo("sync");
        assertThat(verified.signedAt()).isEqualTo(NOW.minusSeconds(299));
    }

    @Test
    void theToleranceHoldsBothWays() {
        assertRejected(AuthVitalSigner.syncHeaders(KEY, body, "evt_1", "t.c", NOW.getEpochSecond() - 301), "stale_timestamp");
        assertRejected(AuthVitalSigner.syncHeaders(KEY, body, "evt_1", "t.c", NOW.getEpochSecond() + 301), "future_timestamp");
        verifier.verify(AuthVitalSigner.syncHeaders(KEY, body, "evt_1", "t.c", NOW.getEpochSecond() + 300)::get, body);
    }

    @Test
    void aSyncSignatureDoesNotVerifyAsASystemOneNorTheReverse() {
        Map<String, String> sync = AuthVitalSigner.syncHeaders(KEY, body, "evt_1", "t.c", NOW.getEpochSecond());
        Map<String, String> asSystem = new HashMap<>(Map.of("X-Webhook-Signature", sync.get("X-AuthVital-Signature"),
                "X-Webhook-Key-Id", KEY.getKeyID()));
        assertRejected(asSystem, "invalid_signature");
        Map<String, String> system = AuthVitalSigner.systemHeaders(KEY, body, "t.c", NOW.toString());
        Map<String, String> asSync = new HashMap<>(sync);
        asSync.put("X-AuthVital-Signature", system.get("X-Webhook-Signature"));
        assertRejected(asSync, "invalid_signature");
    }

    @Test
    void everyByteCounts() {
        Map<String, String> headers = AuthVitalSigner.systemHeaders(KEY, body, "tenant.created", NOW.toString());
        for (int i = 0; i < body.length; i += 7) {
            byte[] tampered = body.clone();
            tampered[i] ^= 0x20;
            assertThatThrownBy(() -> verifier.verify(headers::get, tampered)).isInstanceOf(WebhookRejection.class)
                    .extracting("code").isEqualTo("invalid_signature");
        }
        byte[] longer = new byte[body.length + 1];
        System.arraycopy(body, 0, longer, 0, body.length);
        longer[body.length] = ' ';
        assertThatThrownBy(() -> verifier.verify(headers::get, longer)).extracting("code").isEqualTo("invalid_signature");
    }

    @Test
    void missingPiecesAreNamed() {
        Map<String, String> headers = new HashMap<>(AuthVitalSigner.syncHeaders(KEY, body, "evt_1", "t.c", NOW.getEpochSecond()));
        headers.remove("X-AuthVital-Key-Id");
        assertRejected(headers, "missing_key_id");
        assertRejected(Map.of(), "missing_signature");
        Map<String, String> unknown = new HashMap<>(AuthVitalSigner.syncHeaders(KEY, body, "evt_1", "t.c", NOW.getEpochSecond()));
        unknown.put("X-AuthVital-Key-Id", "key_0_deadbeef");
        assertRejected(unknown, "unknown_key");
    }

    void assertRejected(Map<String, String> headers, String code) {
        assertThatThrownBy(() -> verifier.verify(headers::get, body)).isInstanceOf(WebhookRejection.class)
                .satisfies(e -> {
                    assertThat(((WebhookRejection) e).getStatus()).isEqualTo(401);
                    assertThat(((WebhookRejection) e).getCode()).isEqualTo(code);
                });
    }
}
