package io.orgsync.support;

import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;

/** Test stand-in for AuthVital's signing side: RSA-2048 keys, their JWKS, and real signatures. */
public final class AuthVitalSigner {

    private final List<RSAKey> published = new ArrayList<>();
    private RSAKey active;

    public AuthVitalSigner() {
        rotate(true);
    }

    public static RSAKey newKey() {
        try {
            return new RSAKeyGenerator(2048)
                    .keyID("key_" + System.currentTimeMillis() + "_" + UUID.randomUUID().toString().substring(0, 8))
                    .keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256).generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new active key; the old one stays published (AuthVital lists active and passive keys) when keepOld. */
    public synchronized RSAKey rotate(boolean keepOld) {
        if (!keepOld) {
            published.clear();
        }
        active = newKey();
        published.add(active);
        return active;
    }

    public synchronized String jwks() {
        List<JWK> keys = new ArrayList<>();
        for (RSAKey key : published) {
            keys.add(key.toPublicJWK());
        }
        return new JWKSet(keys).toString();
    }

    public RSAKey activeKey() {
        return active;
    }

    public static String sign(RSAKey key, byte[] payload) {
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(key.toRSAPrivateKey());
            signature.update(payload);
            return Base64.getEncoder().encodeToString(signature.sign());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Headers of a system webhook: signature over the raw body. */
    public Map<String, String> systemHeaders(byte[] body, String eventType, String isoTimestamp) {
        return systemHeaders(active, body, eventType, isoTimestamp);
    }

    public static Map<String, String> systemHeaders(RSAKey key, byte[] body, String eventType, String isoTimestamp) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("X-Webhook-Signature", sign(key, body));
        headers.put("X-Webhook-Key-Id", key.getKeyID());
        headers.put("X-Webhook-Event", eventType);
        headers.put("X-Webhook-Timestamp", isoTimestamp);
        return headers;
    }

    /** Headers of a sync event: signature over "<unix seconds>.<raw body>". */
    public Map<String, String> syncHeaders(byte[] body, String eventId, String eventType, long unixSeconds) {
        return syncHeaders(active, body, eventId, eventType, unixSeconds);
    }

    public static Map<String, String> syncHeaders(RSAKey key, byte[] body, String eventId, String eventType, long unixSeconds) {
        byte[] prefix = (unixSeconds + ".").getBytes(StandardCharsets.US_ASCII);
        byte[] signed = new byte[prefix.length + body.length];
        System.arraycopy(prefix, 0, signed, 0, prefix.length);
        System.arraycopy(body, 0, signed, prefix.length, body.length);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("X-AuthVital-Signature", sign(key, signed));
        headers.put("X-AuthVital-Key-Id", key.getKeyID());
        headers.put("X-AuthVital-Timestamp", Long.toString(unixSeconds));
        headers.put("X-AuthVital-Event-Id", eventId);
        headers.put("X-AuthVital-Event-Type", eventType);
        return headers;
    }

    public static long now() {
        return Instant.now().getEpochSecond();
    }
}
