package io.orgsync;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The settings checked before anything starts: each wrong one stops start-up with one line naming
 * the key, its environment variable and the fix ({@link ConfigurationError}). Outside development
 * mode, a setting that falls back to something meant for trying orgsync out (the embedded database, a
 * local folder for the archive or the audit log) is a WARN.
 */
public final class ConfigurationCheck {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigurationCheck.class);
    /** The shortest admin token accepted: 32 characters (e.g. {@code openssl rand -hex 16}). */
    public static final int MIN_ADMIN_TOKEN = 32;

    /** Keys read from a well-known variable rather than ORGSYNC_<KEY>. */
    private static final java.util.Map<String, String> ENV_NAMES = java.util.Map.of("orgsync.authvital.host", "AV_HOST",
            "orgsync.stripe.api-key", "STRIPE_API_KEY", "orgsync.stripe.api-base", "STRIPE_API_BASE", "orgsync.clerk.api-url", "CLERK_API_URL");

    private final Function<String, String> properties;

    /** @param properties a key's resolved value, "" when unset */
    public ConfigurationCheck(Function<String, String> properties) {
        this.properties = properties;
    }

    /**
     * Throws the first problem found.
     *
     * @param stripePlans the plans that have a key orgsync.stripe.price.&lt;plan&gt;
     */
    public void check(boolean dev, Set<String> stripePlans) {
        oneOf("orgsync.log.format", Set.of("text", "json"));
        String mode = value("orgsync.mode").isEmpty() ? "primary" : value("orgsync.mode");
        if (!mode.equals("primary") && !mode.equals("follower")) {
            throw new ConfigurationError("orgsync.mode", "is '" + mode + "': set ORGSYNC_MODE to primary (receives the webhooks) "
                    + "or follower (applies the changefeed of a primary)");
        }
        if (mode.equals("follower") && value("orgsync.changefeed.brokers").isBlank()) {
            throw new ConfigurationError("orgsync.changefeed.brokers", "is empty, and a follower applies the changefeed it reads "
                    + "from there: set ORGSYNC_CHANGEFEED_BROKERS to the primary's Kafka brokers (host:port,host:port)");
        }
        url("orgsync.db.url", Set.of("jdbc:postgresql"), false);
        boolean insecureAllowed = dev || Boolean.parseBoolean(value("orgsync.authvital.allow-insecure-http"));
        url("orgsync.authvital.host", insecureAllowed ? Set.of("https", "http") : Set.of("https"), true);
        url("orgsync.s3.endpoint", Set.of("https", "http"), true);
        url("orgsync.audit.url", Set.of("https", "http"), true);
        url("orgsync.stripe.api-base", Set.of("https", "http"), true);
        url("orgsync.clerk.api-url", Set.of("https", "http"), true);

        int webhookPort = port("camel.server.port");
        int managementPort = port("camel.management.port");
        if (webhookPort == managementPort && webhookPort != 0) {
            throw new ConfigurationError("camel.management.port", "is " + managementPort + ", the webhook port too (camel.server.port): "
                    + "the admin API and metrics must not be on the public port; set ORGSYNC_MANAGEMENT_PORT to another port (default 9876)");
        }
        String token = value("orgsync.admin.token");
        if (!token.isEmpty() && token.length() < MIN_ADMIN_TOKEN) {
            throw new ConfigurationError("orgsync.admin.token", "is " + token.length() + " characters, fewer than " + MIN_ADMIN_TOKEN
                    + ": set ORGSYNC_ADMIN_TOKEN to a random one, e.g. $(openssl rand -hex 32), or unset it to turn the admin API off");
        }
        if (!value("orgsync.stripe.api-key").isEmpty()) {
            for (String plan : stripePlans) {
                if (value("orgsync.stripe.price." + plan).isEmpty()) {
                    throw new ConfigurationError("orgsync.stripe.price." + plan, "is empty while STRIPE_API_KEY is set: a tenant on plan '"
                            + plan + "' would have no subscription; set ORGSYNC_STRIPE_PRICE_" + plan.toUpperCase(Locale.ROOT).replace('-', '_')
                            + " to its Stripe price id (price_…), or remove the key if the plan is free");
                }
            }
        }
    }

    /** Outside development mode: a WARN for each fallback meant for trying orgsync out. */
    public void warnFallbacks(boolean dev) {
        if (!dev) {
            List<String> fallbacks = new ArrayList<>();
            if (value("orgsync.db.url").isEmpty()) {
                fallbacks.add("the embedded PostgreSQL under " + value("orgsync.db.embedded-dir") + " (set ORGSYNC_DB_URL)");
            }
            if (value("orgsync.s3.bucket").isEmpty()) {
                fallbacks.add("the archive in the local folder " + value("orgsync.archive.dir") + " (set ORGSYNC_S3_BUCKET)");
            }
            if (value("orgsync.audit.url").isEmpty()) {
                fallbacks.add("the audit log in the local folder " + value("orgsync.audit.dir") + " (set ORGSYNC_AUDIT_URL)");
            }
            fallbacks.forEach(f -> LOG.warn("Not for production: {}", f));
        }
    }

    private String value(String key) {
        String value = properties.apply(key);
        return value == null ? "" : value.strip();
    }

    private static String env(String key) {
        return key.startsWith("camel.server.") ? "ORGSYNC_HTTP_" + key.substring("camel.server.".length()).toUpperCase(Locale.ROOT)
                : key.startsWith("camel.management.") ? "ORGSYNC_MANAGEMENT_" + key.substring("camel.management.".length()).toUpperCase(Locale.ROOT)
                : ENV_NAMES.containsKey(key) ? ENV_NAMES.get(key)
                : key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private void oneOf(String key, Set<String> allowed) {
        String value = value(key).toLowerCase(Locale.ROOT);
        if (!value.isEmpty() && !allowed.contains(value)) {
            throw new ConfigurationError(key, "is '" + value(key) + "'; set " + env(key) + " to one of " + new java.util.TreeSet<>(allowed));
        }
    }

    private int port(String key) {
        String value = value(key);
        try {
            int port = Integer.parseInt(value);
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new ConfigurationError(key, "is '" + value + "', not a port; set " + env(key) + " to a number from 1 to 65535");
    }

    /** An absolute URL of one of these schemes, with a host (optional: empty is allowed). */
    private void url(String key, Set<String> schemes, boolean needsHost) {
        String value = value(key);
        if (value.isEmpty()) {
            return;
        }
        String scheme = null;
        String host = null;
        try {
            URI uri = new URI(value.startsWith("jdbc:") ? value.substring(5) : value);
            scheme = uri.getScheme() == null ? null : (value.startsWith("jdbc:") ? "jdbc:" : "") + uri.getScheme().toLowerCase(Locale.ROOT);
            host = uri.getHost();
        } catch (URISyntaxException e) {
            // below
        }
        String shown = value.replaceAll("//[^/@]*@", "//…@"); // never a password in a URL's user part
        // a JDBC URL may name no host (the driver's default, a Unix socket, several hosts): its scheme is enough
        if (scheme == null || needsHost && host == null) {
            throw new ConfigurationError(key, "'" + shown + "' is not a valid URL; set " + env(key) + " to one such as "
                    + (scheme != null && scheme.startsWith("jdbc") || key.equals("orgsync.db.url") ? "jdbc:postgresql://db.internal:5432/orgsync" : "https://host.example"));
        }
        if (!schemes.contains(scheme)) {
            String fix = key.equals("orgsync.authvital.host")
                    ? "AuthVital's signing keys are read from it, and over plain http anyone on the path could serve their own key: "
                    + "set AV_HOST to the https:// URL (or ORGSYNC_AUTHVITAL_ALLOW_INSECURE_HTTP=true for a local stand-in)"
                    : key.equals("orgsync.db.url") ? "set ORGSYNC_DB_URL to one such as jdbc:postgresql://db.internal:5432/orgsync"
                    : "set " + env(key) + " to a URL of scheme " + String.join(" or ", new java.util.TreeSet<>(schemes));
            throw new ConfigurationError(key, "'" + shown + "' is not " + String.join(" or ", new java.util.TreeSet<>(schemes)) + "; " + fix);
        }
    }
}
