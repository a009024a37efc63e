package io.orgsync.authvital;

import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.List;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import io.orgsync.webhook.WebhookRejection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AuthVital's signing keys, from the JWKS at {@code <AV_HOST>/.well-known/jwks.json}. Nimbus'
 * {@link JWKSourceBuilder} caches the set, refetches it when a signature names a {@code kid} the
 * cached set does not have (key rotation), and rate-limits those refetches so a flood of unknown
 * key ids cannot hammer AuthVital.
 */
public class AuthVitalKeys implements KeyLookup {

    private static final Logger LOG = LoggerFactory.getLogger(AuthVitalKeys.class);

    private final String jwksUrl;
    private final JWKSource<SecurityContext> source;

    public AuthVitalKeys(String host, Duration cacheTtl, Duration minRefetchInterval, Duration httpTimeout) {
        this.jwksUrl = jwksUrl(host);
        if (jwksUrl == null) {
            this.source = null;
            LOG.warn("AV_HOST (orgsync.authvital.host) is not set: AuthVital webhooks are answered 503 until it is");
            return;
        }
        int timeout = (int) httpTimeout.toMillis();
        URL url;
        try {
            url = URI.create(jwksUrl).toURL();
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("AV_HOST is not a valid URL: " + host, e);
        }
        // the refetch interval must be shorter than the cache's lifetime (a Nimbus rule)
        long ttl = Math.max(cacheTtl.toMillis(), minRefetchInterval.toMillis() + 1);
        this.source = JWKSourceBuilder.create(url, new DefaultResourceRetriever(timeout, timeout, 512 * 1024))
                .cache(ttl, timeout)
                .rateLimited(minRefetchInterval.toMillis())
                .refreshAheadCache(false)
                .retrying(false)
                .outageTolerant(false)
                .build();
        LOG.info("AuthVital signing keys from {} (cached {} s, unknown-kid refetch at most every {} s)",
                jwksUrl, ttl / 1000, minRefetchInterval.toSeconds());
    }

    static String jwksUrl(String host) {
        if (host == null || host.isBlank()) {
            return null;
        }
        String base = host.strip();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        return base + "/.well-known/jwks.json";
    }

    @Override
    public RSAPublicKey find(String kid) {
        if (source == null) {
            throw WebhookRejection.unavailable("jwks_unavailable", "AuthVital's signing keys are not configured (AV_HOST)");
        }
        try {
            List<JWK> keys = source.get(new JWKSelector(new JWKMatcher.Builder().keyID(kid).keyType(KeyType.RSA).build()), null);
            if (keys.isEmpty()) {
                return null;
            }
            return ((RSAKey) keys.get(0)).toRSAPublicKey();
        } catch (RateLimitReachedException e) {
            return null; // an unknown kid while refetches are paused: treated as unknown
        } catch (KeySourceException e) {
            LOG.warn("AuthVital JWKS at {} could not be read: {}", jwksUrl, e.getMessage());
            throw WebhookRejection.unavailable("jwks_unavailable", "AuthVital's signing keys could not be fetched; retry later");
        } catch (JOSEException e) {
            return null; // a listed key that is not a usable RSA key
        }
    }
}
