package io.orgsync.authvital;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AuthVital's signing keys, from the JWKS at {@code <AV_HOST>/.well-known/jwks.json}. Nimbus'
 * {@link JWKSourceBuilder} caches the set, refreshes it in the background before it expires, keeps
 * using the cached set through an outage of the JWKS host for at most {@code maxStale} (AuthVital
 * lists the active and the next key and rotates every 30 days, so a day-old set still verifies),
 * refetches it when a signature names a {@code kid} the set does not have (key rotation), and
 * rate-limits those refetches so a flood of unknown key ids cannot hammer AuthVital.
 * <p>
 * The set is loaded at start-up ({@link #load()}), so a missing set shows before the first webhook.
 * "Cannot know yet" is never answered as "no such key": an unreachable set, or an unknown kid while
 * refetches are paused, is a {@link KeysUnavailable} (503, or the unverified spool for system webhooks).
 */
public class AuthVitalKeys implements KeyLookup {

    private static final Logger LOG = LoggerFactory.getLogger(AuthVitalKeys.class);
    private static final JWKSelector ANY_KEY = new JWKSelector(new JWKMatcher.Builder().build());

    private final String jwksUrl;
    private final JWKSource<SecurityContext> source;
    /** Each kid's public key, made once per key of each fetched set (see {@link #find}). */
    private final Map<String, Converted> publicKeys = new ConcurrentHashMap<>();

    /** A key of the cached set and the public key made from it (the same set object: the same key). */
    private record Converted(RSAKey key, RSAPublicKey publicKey) {
    }

    /**
     * @param allowInsecureHttp accept an http:// AV_HOST (development, or a local stand-in): over plain
     *                          http anyone on the path could serve their own key and forge events
     */
    public AuthVitalKeys(String host, Duration cacheTtl, Duration minRefetchInterval, Duration httpTimeout, Duration maxStale,
                         boolean allowInsecureHttp) {
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
        if (!"https".equals(url.getProtocol()) && !allowInsecureHttp) {
            throw new IllegalArgumentException("AV_HOST must be an https:// URL (anyone between orgsync and an http:// host could "
                    + "serve their own signing key); for a local stand-in set ORGSYNC_AUTHVITAL_ALLOW_INSECURE_HTTP=true");
        }
        // Nimbus' rules: the refetch interval is shorter than the cache's lifetime, and the lifetime
        // longer than the refresh-ahead time plus the fetch timeout
        long ttl = Math.max(cacheTtl.toMillis(), minRefetchInterval.toMillis() + 1);
        long refreshAhead = Math.max(1, Math.min(30_000, (ttl - timeout) / 2));
        ttl = Math.max(ttl, refreshAhead + timeout + 1);
        this.source = JWKSourceBuilder.create(url, new NoRedirects(timeout))
                .cache(ttl, timeout)
                .refreshAheadCache(refreshAhead, true)
                .rateLimited(minRefetchInterval.toMillis())
                .retrying(false)
                .outageTolerant(maxStale.toMillis())
                .build();
        LOG.info("AuthVital signing keys from {} (cached {} s, refreshed ahead, used through an outage for at most {} s, "
                + "unknown-kid refetch at most every {} s)", jwksUrl, ttl / 1000, maxStale.toSeconds(), minRefetchInterval.toSeconds());
    }

    private volatile boolean everLoaded;

    /** Whether the key set was ever read (since then an outage is ridden out on the cached set). */
    public boolean everLoaded() {
        return everLoaded;
    }

    /** Where the key set is read from. */
    public String url() {
        return jwksUrl;
    }

    /** Fetches the key set now; false (and a warning) when it cannot be read. */
    public boolean load() {
        if (source == null) {
            return false;
        }
        try {
            source.get(ANY_KEY, null);
            everLoaded = true;
            return true;
        } catch (KeySourceException e) {
            LOG.warn("AuthVital JWKS at {} could not be read at start-up: {}; system webhooks are spooled unverified until it can",
                    jwksUrl, e.getMessage());
            return false;
        }
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

    /**
     * The key set's entry for this kid, if it is fit to check an AuthVital signature: RSA, for
     * signatures (or no stated use), RS256 (or no stated algorithm), a modulus of 2048 bits or more.
     */
    static JWKMatcher usableKey(String kid) {
        return new JWKMatcher.Builder().keyID(kid).keyType(KeyType.RSA).keyUses(KeyUse.SIGNATURE, null)
                .algorithms(JWSAlgorithm.RS256, null).minKeySize(2048).build();
    }

    /** Reads the key set where it is, never where a redirect points: a redirect is a failed read. */
    static final class NoRedirects extends DefaultResourceRetriever {

        NoRedirects(int timeoutMillis) {
            super(timeoutMillis, timeoutMillis, 512 * 1024);
        }

        @Override
        protected HttpURLConnection openHTTPConnection(URL url) throws IOException {
            HttpURLConnection connection = super.openHTTPConnection(url);
            connection.setInstanceFollowRedirects(false);
            return connection;
        }
    }

    @Override
    public RSAPublicKey find(String kid) {
        if (source == null) {
            throw new KeysUnavailable("jwks_unavailable", "AuthVital's signing keys are not configured (AV_HOST)");
        }
        try {
            List<JWK> keys = source.get(new JWKSelector(usableKey(kid)), null);
            everLoaded = true; // the set was read (the kid may still be unknown)
            if (keys.isEmpty()) {
                return null;
            }
            RSAKey key = (RSAKey) keys.get(0);
            Converted converted = publicKeys.get(kid);
            if (converted == null || converted.key() != key) {
                // once per key of each fetched set: a KeyFactory per request cost more than the check itself
                converted = new Converted(key, key.toRSAPublicKey());
                publicKeys.put(kid, converted);
            }
            return converted.publicKey();
        } catch (RateLimitReachedException e) {
            // an unknown kid while refetches are paused: it may be a real rotation, so not "no such key"
            throw new KeysUnavailable("key_refetch_limited",
                    "This key id is not in the cached key set, which was refetched moments ago; retry later");
        } catch (KeySourceException e) {
            LOG.warn("AuthVital JWKS at {} could not be read: {}", jwksUrl, e.getMessage());
            throw new KeysUnavailable("jwks_unavailable", "AuthVital's signing keys could not be fetched; retry later");
        } catch (JOSEException e) {
            return null; // a listed key that is not a usable RSA key
        }
    }
}
