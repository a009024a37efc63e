package io.orgsync;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import io.micrometer.core.instrument.MeterRegistry;
import io.orgsync.admin.AdminApi;
import io.orgsync.authvital.AuthVitalEnvelope;
import io.orgsync.authvital.AuthVitalKeys;
import io.orgsync.authvital.AuthVitalReconciler;
import io.orgsync.authvital.AuthVitalVerifier;
import io.orgsync.authvital.KeyLookup;
import io.orgsync.authvital.KeysUnavailable;
import io.orgsync.clerk.ClerkEnvelope;
import io.orgsync.clerk.ClerkReconciler;
import io.orgsync.clerk.SvixVerifier;
import io.orgsync.db.CachedSqlStatements;
import io.orgsync.db.Database;
import io.orgsync.db.GroupCommit;
import io.orgsync.db.GroupCommitComponent;
import io.orgsync.dev.DevKeys;
import io.orgsync.files.DurableFiles;
import io.orgsync.http.EventSchemas;
import io.orgsync.http.HttpFrontDoor;
import io.orgsync.http.AnswerHeaders;
import io.orgsync.http.PortHttpEngine;
import io.orgsync.http.Quarantine;
import io.orgsync.http.ReadHttpServer;
import io.orgsync.http.WebhookGuard;
import io.orgsync.http.WebhookReceiver;
import io.orgsync.http.WebhookReplies;
import io.orgsync.outbox.FanoutDocuments;
import io.orgsync.outbox.FanoutRules;
import io.orgsync.outbox.Outbox;
import io.orgsync.outbox.OutboxStatus;
import io.orgsync.outbox.Provisioning;
import io.orgsync.ops.AuthVitalKeysHealthCheck;
import io.orgsync.ops.DatabaseHealthCheck;
import io.orgsync.ops.EventMdc;
import io.orgsync.ops.Gauges;
import io.orgsync.ops.OpsGauges;
import io.orgsync.ops.FollowerLag;
import io.orgsync.read.MirrorCache;
import io.orgsync.read.ReadFastPath;
import io.orgsync.read.ReadApi;
import io.orgsync.reconcile.ReconcileRuns;
import io.orgsync.stripe.StripeBilling;
import io.orgsync.tenant.TenantLifecycle;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.apache.camel.component.sql.SqlComponent;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Binds the beans the YAML routes use, from application.properties. The database is opened and
 * migrated here, before any route starts.
 */
public class OrgsyncConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(OrgsyncConfiguration.class);
    private static final String STRIPE_PRICE = "orgsync.stripe.price.";

    @Override
    public void configure(CamelContext context) throws Exception {
        Registry registry = context.getRegistry();
        Clock clock = Clock.systemUTC();
        // event_id, source, event_type, target, outbox_id in the MDC of the routes' log lines
        context.getCamelContextExtension().addLogListener(new EventMdc());

        // a follower (docs/changefeed.md): no webhooks, so no development key either (ConfigurationCheck checks the mode)
        boolean follower = prop(context, "orgsync.mode", "primary").equals("follower");
        boolean dev = !follower && Boolean.parseBoolean(prop(context, "orgsync.dev.enabled", "false"));
        String httpHost = prop(context, "camel.server.host", "0.0.0.0");
        if (dev && !isLoopback(httpHost) && !Boolean.parseBoolean(prop(context, "orgsync.dev.allow-remote", "false"))) {
            throw new ConfigurationError("camel.server.host", "is " + httpHost + ", and development mode serves /dev/mirror without "
                    + "authentication and trusts a key kept on disk, so it listens on loopback only: set ORGSYNC_HTTP_HOST=127.0.0.1, "
                    + "or ORGSYNC_DEV_ALLOW_REMOTE=true to expose it anyway");
        }
        // every other setting that cannot work stops start-up here, before the database is opened
        ConfigurationCheck check = new ConfigurationCheck(key -> prop(context, key, ""));
        check.check(dev, context.getPropertiesComponent()
                .loadPropertiesAsMap(key -> key.toString().startsWith(STRIPE_PRICE)).keySet().stream()
                .map(key -> key.toString().substring(STRIPE_PRICE.length())).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new)));
        // opened on a thread of its own while the routes are read and built; the context waits for it
        // before any route starts
        MeterRegistry meters = registry.findSingleByType(MeterRegistry.class);
        if (meters == null) {
            LOG.warn("No Micrometer registry (camel.metrics.enabled is false?): the connection pools publish no metrics");
        }
        Database database = Database.open(new Database.Settings(
                prop(context, "orgsync.db.url", ""),
                prop(context, "orgsync.db.user", "postgres"),
                prop(context, "orgsync.db.password", ""),
                Path.of(prop(context, "orgsync.db.embedded-dir", "data/postgres")),
                number(context, "orgsync.db.embedded-port", "0", Integer.MAX_VALUE).intValue(),
                number(context, "orgsync.db.pool-size", "16", Integer.MAX_VALUE).intValue(),
                Duration.ofMillis(number(context, "orgsync.db.connect-timeout-ms", "2000", Long.MAX_VALUE)),
                Duration.ofMillis(number(context, "orgsync.db.statement-timeout-ms", "30000", Long.MAX_VALUE)),
                Duration.ofMillis(number(context, "orgsync.db.socket-timeout-ms", "60000", Long.MAX_VALUE)),
                prop(context, "orgsync.db.migrations", "filesystem:db/migration,filesystem:routes/sql/functions"),
                follower ? "follower" : "primary"), meters);
        context.addService(database, true, true);
        context.addStartupListener(database);
        try {
            bindBeans(context, registry, clock, dev, follower, httpHost, database, check);
        } catch (Exception e) {
            // a setting found wrong after the database was opened: the embedded PostgreSQL must not outlive this
            database.stop();
            throw e;
        }
    }

    /** Binds every bean the routes use, on the opened database. */
    private void bindBeans(CamelContext context, Registry registry, Clock clock, boolean dev, boolean follower, String httpHost,
                           Database database, ConfigurationCheck check) throws Exception {
        registry.bind("dataSource", database.dataSource());
        registry.bind(GroupCommit.DATA_SOURCE, database.applyDataSource());
        // two pools in the registry: camel-sql no longer picks one by itself
        context.getComponent("sql", SqlComponent.class).setDataSource(database.dataSource());
        context.getCamelContextExtension().registerEndpointCallback(new CachedSqlStatements());
        GroupCommit groupCommit = new GroupCommit(context,
                Boolean.parseBoolean(prop(context, "orgsync.db.group-commit", "true")),
                number(context, "orgsync.db.group-commit-max-events", "200", Integer.MAX_VALUE).intValue(),
                number(context, "orgsync.db.group-commit-timeout-ms", "10000", Long.MAX_VALUE),
                number(context, "orgsync.db.group-commit-max-queued", "2000", Integer.MAX_VALUE).intValue());
        context.addService(groupCommit, true, true);
        registry.bind("groupCommit", groupCommit);
        context.addComponent("groupcommit", new GroupCommitComponent(groupCommit, "routes/sql"));

        DevKeys devKeys = new DevKeys(Path.of(prop(context, "orgsync.dev.key-dir", "data/dev")));
        registry.bind("devKeys", devKeys);
        if (dev) {
            LOG.warn("DEVELOPMENT MODE: AuthVital webhooks signed with the development key {} are trusted; never run this in production",
                    devKeys.keyId());
        }
        String avHost = prop(context, "orgsync.authvital.host", "");
        KeyLookup keys;
        if (follower) {
            // no webhook endpoints: nothing to verify
            keys = kid -> {
                throw new KeysUnavailable("jwks_unavailable", "A follower receives no webhooks");
            };
        } else if (dev && avHost.isBlank()) {
            // development only: the jar trusts its own key (also published by route dev-jwks). Looked up
            // in-process: fetching it over HTTP from itself could starve the worker threads under load.
            keys = devKeys::publicKey;
        } else {
            AuthVitalKeys authVitalKeys = new AuthVitalKeys(avHost,
                    Duration.ofSeconds(number(context, "orgsync.authvital.jwks-cache-seconds", "300", Long.MAX_VALUE)),
                    Duration.ofSeconds(number(context, "orgsync.authvital.jwks-refetch-interval-seconds", "30", Long.MAX_VALUE)),
                    Duration.ofMillis(number(context, "orgsync.authvital.jwks-timeout-ms", "3000", Long.MAX_VALUE)),
                    Duration.ofSeconds(number(context, "orgsync.authvital.jwks-max-stale-seconds", "86400", Long.MAX_VALUE)),
                    dev || Boolean.parseBoolean(prop(context, "orgsync.authvital.allow-insecure-http", "false")));
            authVitalKeys.load();
            keys = authVitalKeys;
            registry.bind("authvitalKeysHealth", new AuthVitalKeysHealthCheck(authVitalKeys));
        }
        AuthVitalVerifier verifier = new AuthVitalVerifier(keys, clock,
                Duration.ofSeconds(number(context, "orgsync.authvital.tolerance-seconds", "300", Long.MAX_VALUE)));
        AuthVitalEnvelope envelope = new AuthVitalEnvelope(verifier);
        registry.bind("authvitalWebhook", new WebhookReceiver<>(verifier::verify, envelope::normalise, AuthVitalVerifier.Verified::restore,
                event -> AuthVitalVerifier.SYSTEM.equals(event.path("channel").asText()),
                headers -> headers.apply("X-Webhook-Signature") != null && headers.apply("X-AuthVital-Signature") == null, clock));

        // Clerk (Svix): 503 when the database is down, Svix retries; nothing to spool
        SvixVerifier svix = new SvixVerifier(prop(context, "orgsync.clerk.webhook-secret", ""), clock,
                Duration.ofSeconds(number(context, "orgsync.clerk.tolerance-seconds", "300", Long.MAX_VALUE)));
        if (!svix.isConfigured()) {
            LOG.warn("CLERK_WEBHOOK_SECRET is not set: Clerk webhooks are answered 503 until it is");
        }
        registry.bind("authvitalReconciler", new AuthVitalReconciler(clock, prop(context, "orgsync.authvital.host", ""),
                prop(context, "orgsync.authvital.admin-token", ""), prop(context, "orgsync.authvital.admin-email", ""),
                prop(context, "orgsync.authvital.admin-password", "")));
        Gauges gauges = new Gauges(context);
        registry.bind("reconcileRuns", new ReconcileRuns(gauges, database.dataSource(), clock, java.util.Map.of(
                "authvital", schedule(context, "orgsync.authvital.reconcile"), "clerk", schedule(context, "orgsync.clerk.reconcile"))));
        registry.bind("clerkReconciler", new ClerkReconciler(clock, !prop(context, "orgsync.clerk.secret-key", "").isEmpty()));
        registry.bind("quarantine", new Quarantine(clock));
        Path spool = Path.of(prop(context, "orgsync.spool.dir", "data/spool"));
        OpsGauges opsGauges = new OpsGauges(context, gauges, spool);
        OutboxStatus outboxStatus = new OutboxStatus(context, gauges);
        registry.bind("opsGauges", opsGauges);
        registry.bind("outboxStatus", outboxStatus);
        // readiness details: the gauges' last counts, not counted again at every probe
        registry.bind("databaseHealth", new DatabaseHealthCheck(database.dataSource(), () -> {
            java.util.Map<String, Object> details = new java.util.LinkedHashMap<>(outboxStatus.totals());
            details.putAll(opsGauges.details());
            return details;
        }));
        registry.bind("clerkWebhook", new WebhookReceiver<>(svix::verify, new ClerkEnvelope()::normalise, SvixVerifier.Verified::restore, event -> false, headers -> false, clock));

        int publicPort = number(context, "camel.server.port", "8080", Integer.MAX_VALUE).intValue();
        HttpFrontDoor frontDoor = new HttpFrontDoor(context, httpHost, publicPort,
                number(context, "orgsync.webhook.max-body-bytes", "1048576", Long.MAX_VALUE));
        if (follower) {
            // no webhook port: the changefeed is its only input; its lag is a metric and a readiness check
            FollowerLag lag = new FollowerLag(prop(context, "orgsync.changefeed.brokers", ""), prop(context, "orgsync.changefeed.topic", ""),
                    prop(context, "orgsync.follower.group-id", "orgsync-follower"),
                    number(context, "orgsync.follower.max-lag", "1000", Long.MAX_VALUE),
                    Duration.ofMillis(number(context, "orgsync.follower.lag-period-ms", "5000", Long.MAX_VALUE)), meters(registry));
            lag.setClientSettings(() -> io.orgsync.ops.KafkaClientSettings.admin(context, prop(context, "orgsync.changefeed.brokers", ""),
                    number(context, "orgsync.follower.lag-period-ms", "5000", Long.MAX_VALUE)));
            registry.bind("followerLag", lag);
            context.addService(lag, true, true);
            LOG.info("Follower mode: no webhook endpoints; applying the changefeed {} from {}", prop(context, "orgsync.changefeed.topic", ""),
                    prop(context, "orgsync.changefeed.brokers", ""));
        } else {
            context.addService(frontDoor, true, true);
            context.addStartupListener(frontDoor);
        }
        registry.bind("durableFiles", new DurableFiles());
        registry.bind("webhookGuard", new WebhookGuard());
        registry.bind("webhookReplies", new WebhookReplies());
        Path schemasDir = Path.of(prop(context, "orgsync.schemas.dir", "routes/schemas"));
        registry.bind("eventSchemas", new EventSchemas(schemasDir));

        // fan-out
        registry.bind("outbox", new Outbox());
        registry.bind("fanoutDocuments", new FanoutDocuments());
        // the routing table, written to the database before the first webhook (the outbox trigger applies it)
        FanoutRules fanoutRules = new FanoutRules(context, database.dataSource(), schemasDir);
        registry.bind("fanoutRules", fanoutRules);
        context.addStartupListener(fanoutRules);
        S3Client s3 = s3Client(context);
        if (s3 != null) {
            registry.bind("s3Client", s3);
        }
        // rebuild from the archive: reads the archive target's documents back (routes/rebuild.camel.yaml);
        // on a follower, pauses its changefeed consumer and switches it to a recorded position after
        long changefeedTimeout = number(context, "orgsync.changefeed.timeout-ms", "10000", Long.MAX_VALUE);
        io.orgsync.ops.FollowerFeed followerFeed = new io.orgsync.ops.FollowerFeed(context, prop(context, "orgsync.changefeed.topic", ""),
                prop(context, "orgsync.follower.group-id", "orgsync-follower"),
                Duration.ofMillis(number(context, "orgsync.rebuild.feed-overlap-ms", "3600000", Long.MAX_VALUE)), Duration.ofMillis(changefeedTimeout),
                () -> io.orgsync.ops.KafkaClientSettings.admin(context, prop(context, "orgsync.changefeed.brokers", ""), changefeedTimeout));
        registry.bind("followerFeed", followerFeed);
        FollowerLag followerLag = registry.lookupByNameAndType("followerLag", FollowerLag.class);
        if (followerLag != null) {
            // not ready while a rebuild seeds the mirror
            followerLag.setSeeding(followerFeed::isSeeding);
        }
        registry.bind("archiveRebuild", new io.orgsync.reconcile.ArchiveRebuild(s3, prop(context, "orgsync.s3.bucket", ""),
                Path.of(prop(context, "orgsync.archive.dir", "data/archive")), clock,
                number(context, "orgsync.rebuild.max-days", "366", 36500)));
        registry.bind("provisioning", new Provisioning(prop(context, "orgsync.provisioning.mode", "bucket"),
                orElse(prop(context, "orgsync.provisioning.bucket-template", ""), "{prefix}-{slug}-{hash}"),
                prop(context, "orgsync.provisioning.bucket-prefix", "orgsync"),
                s3 != null, !prop(context, "orgsync.s3.bucket", "").isEmpty(),
                prop(context, "orgsync.provisioning.dir", "data/tenants")));
        // the tenant lifecycle: schema provisioning, the purge job's clock, the retention the database applies
        Clock lifecycleClock = registry.lookupByNameAndType("lifecycleClock", Clock.class);
        TenantLifecycle lifecycle = new TenantLifecycle(database.dataSource(), lifecycleClock == null ? clock : lifecycleClock,
                number(context, "orgsync.lifecycle.retention-days", "30", 36500),
                Path.of(prop(context, "orgsync.provisioning.dir", "data/tenants")),
                prop(context, "orgsync.provisioning.schema-migrations", "filesystem:db/tenant"));
        registry.bind("tenantLifecycle", lifecycle);
        context.addStartupListener(lifecycle);
        registry.bind("stripeBilling", new StripeBilling(prop(context, "orgsync.stripe.api-key", ""),
                prop(context, "orgsync.stripe.api-base", ""),
                plan -> plan.matches("[A-Za-z0-9_-]{1,50}") ? prop(context, "orgsync.stripe.price." + plan, "") : "",
                prop(context, "orgsync.stripe.proration-behavior", "create_prorations")));
        registry.bind("adminApi", new AdminApi(prop(context, "orgsync.admin.token", "")));
        readApi(context, registry, httpHost, database, meters(registry));
        registry.bind("publicHttp", new PortHttpEngine(publicPort));
        registry.bind("answerHeaders", new AnswerHeaders());
        check.warnFallbacks(dev);
        registry.bind("managementHttp", new PortHttpEngine(number(context, "camel.management.port", "9876", Integer.MAX_VALUE).intValue()));
    }

    /**
     * The read API (routes/read-api.camel.yaml), when orgsync.read-api.enabled: its service tokens and
     * features file, and an HTTP server of its own on orgsync.read-api.port, started before the routes.
     */
    private static void readApi(CamelContext context, Registry registry, String httpHost, Database database, MeterRegistry meters)
            throws Exception {
        if (!Boolean.parseBoolean(prop(context, "orgsync.read-api.enabled", "false"))) {
            return;
        }
        ReadApi readApi = new ReadApi(prop(context, "orgsync.read-api.tokens", ""), prop(context, "orgsync.read-api.revoked", ""),
                number(context, "orgsync.read-api.max-age-seconds", "5", 86400),
                Path.of(prop(context, "orgsync.read-api.features-file", "routes/features.yaml")));
        if (!readApi.isConfigured()) {
            throw new ConfigurationError("orgsync.read-api.tokens", "is empty while the read API is on: set ORGSYNC_READ_API_TOKENS to "
                    + "name:token entries (one per calling service), or ORGSYNC_READ_API_ENABLED=false");
        }
        registry.bind("readApi", readApi);
        // the cache: off, every read goes to the database (what the benchmark compares it with)
        MirrorCache cache = new MirrorCache(() -> database.newConnection("orgsync-read-cache"),
                number(context, "orgsync.read-api.cache.max-entries", "100000", Integer.MAX_VALUE),
                Duration.ofMillis(number(context, "orgsync.read-api.cache.wait-ms", "2000", 60000)), meters);
        registry.bind("readCache", cache);
        boolean cached = Boolean.parseBoolean(prop(context, "orgsync.read-api.cache.enabled", "true"));
        if (cached) {
            context.addService(cache, true, true);
        }
        ReadFastPath fastPath = new ReadFastPath(readApi, cache);
        int port = number(context, "orgsync.read-api.port", "8282", 65535).intValue();
        VertxPlatformHttpServerConfiguration configuration = new VertxPlatformHttpServerConfiguration();
        configuration.setBindHost(orElse(prop(context, "orgsync.read-api.host", ""), httpHost));
        configuration.setBindPort(port);
        ReadHttpServer server = new ReadHttpServer(configuration, router -> {
            if (cached) {
                fastPath.install(router);
            }
        });
        server.setCamelContext(context);
        context.addService(server, true, true);
        registry.bind("readHttp", new PortHttpEngine(port));
    }

    private static MeterRegistry meters(Registry registry) {
        return registry.findSingleByType(MeterRegistry.class);
    }

    /** The S3 client of the archive and of provisioning, when a bucket or an endpoint is configured. */
    private static S3Client s3Client(CamelContext context) {
        String bucket = prop(context, "orgsync.s3.bucket", "");
        String endpoint = prop(context, "orgsync.s3.endpoint", "");
        if (bucket.isEmpty() && endpoint.isEmpty()) {
            LOG.info("No S3 bucket configured: the archive and tenant storage go under local folders");
            return null;
        }
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(prop(context, "orgsync.s3.region", "us-east-1")))
                .overrideConfiguration(c -> c.apiCallTimeout(Duration.ofSeconds(30)).apiCallAttemptTimeout(Duration.ofSeconds(10)));
        if (!endpoint.isEmpty()) {
            // S3-compatible stores (MinIO, s3proxy, …) often lack the SDK's newer trailing checksums
            builder.endpointOverride(URI.create(endpoint)).forcePathStyle(true)
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        }
        String accessKey = prop(context, "orgsync.s3.access-key", "");
        if (!accessKey.isEmpty()) {
            builder.credentialsProvider(StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(accessKey, prop(context, "orgsync.s3.secret-key", ""))));
        } else {
            builder.credentialsProvider(DefaultCredentialsProvider.builder().build());
        }
        return builder.build();
    }

    /** A reconciliation's schedule in ms (prefix.enabled, prefix.period-ms), 0 when it is not scheduled. */
    private static long schedule(CamelContext context, String prefix) {
        return Boolean.parseBoolean(prop(context, prefix + ".enabled", "false")) ? number(context, prefix + ".period-ms", "3600000", Long.MAX_VALUE) : 0;
    }

    /** A default that a {{key:default}} placeholder cannot hold (braces of its own). */
    private static String orElse(String value, String defaultValue) {
        return value.isBlank() ? defaultValue : value;
    }

    private static boolean isLoopback(String host) {
        return host.equals("localhost") || host.equals("::1") || host.equals("[::1]") || host.startsWith("127.");
    }

    /** A whole number setting from 0 up to max, or one clear line that says what is wrong. */
    private static Long number(CamelContext context, String key, String defaultValue, long max) {
        String value = prop(context, key, defaultValue);
        try {
            long number = Long.parseLong(value);
            if (number >= 0 && number <= max) {
                return number;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new ConfigurationError(key, "is '" + value + "', not a whole number from 0 to " + max + "; set "
                + key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_') + " (default " + defaultValue + ")");
    }

    private static String prop(CamelContext context, String key, String defaultValue) {
        String value = context.resolvePropertyPlaceholders("{{" + key + ":" + defaultValue + "}}");
        return value == null ? defaultValue : value.strip();
    }
}
