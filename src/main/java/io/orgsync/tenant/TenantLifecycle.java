package io.orgsync.tenant;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import javax.sql.DataSource;

import io.orgsync.http.Json;
import io.orgsync.outbox.Provisioning;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the tenant routes (routes/tenants.camel.yaml) ask Java: the migration of a tenant's own schema
 * (Flyway, from db/tenant/), the time the purge job goes by, the removal of a tenant's local storage
 * folder, and the name of an export. At every start it writes the lifecycle settings the database uses
 * (the retention period that sets a deleted tenant's {@code scheduled_purge_at}) to {@code orgsync_settings}.
 */
public class TenantLifecycle implements StartupListener {

    private static final Logger LOG = LoggerFactory.getLogger(TenantLifecycle.class);
    private static final DateTimeFormatter EXPORT_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final DataSource dataSource;
    private final Clock clock;
    private final long retentionDays;
    private final Path storageDir;
    private final String tenantMigrations;

    /**
     * @param clock            what "now" is for the purge job (a test moves it forward)
     * @param retentionDays    orgsync.lifecycle.retention-days
     * @param storageDir       orgsync.provisioning.dir: local tenant folders are removed only inside it
     * @param tenantMigrations Flyway locations of the tenant schema's migrations (orgsync.provisioning.schema-migrations)
     */
    public TenantLifecycle(DataSource dataSource, Clock clock, long retentionDays, Path storageDir, String tenantMigrations) {
        this.dataSource = dataSource;
        this.clock = clock;
        this.retentionDays = retentionDays;
        this.storageDir = storageDir.toAbsolutePath().normalize();
        this.tenantMigrations = tenantMigrations;
    }

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) throws SQLException {
        if (alreadyStarted) {
            return;
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("INSERT INTO orgsync_settings (name, value) VALUES ('lifecycle.retention-days', ?) "
                     + "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, written_at = now()")) {
            s.setString(1, Long.toString(retentionDays));
            s.executeUpdate();
        }
    }

    /** Now, as the purge job sees it (ISO-8601, UTC). */
    public String now() {
        return Instant.now(clock).toString();
    }

    /**
     * Runs the tenant migrations in the schema (made and marked as the tenant's by
     * routes/sql/provisioning/prepare-tenant-schema.sql). Flyway keeps the schema's own history table
     * and a lock, so a second delivery, or a second instance, applies nothing twice. Returns the
     * number of migrations applied now.
     */
    public int migrate(String schema) {
        if (!schema.matches("tenant_[a-z0-9_]{1,56}")) {
            throw new IllegalArgumentException("Not a tenant schema name: " + schema);
        }
        int applied = Flyway.configure()
                .dataSource(dataSource)
                .schemas(schema)
                .defaultSchema(schema)
                .createSchemas(false)
                // the schema holds orgsync_tenant before the first migration: a baseline below V1
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .locations(tenantMigrations.split("\\s*,\\s*"))
                .load()
                .migrate().migrationsExecuted;
        if (applied > 0) {
            LOG.info("Tenant schema {}: {} migrations applied", schema, applied);
        }
        return applied;
    }

    /**
     * Removes a tenant's local storage folder and everything in it; nothing when it is gone already.
     * Only a folder inside orgsync.provisioning.dir is ever removed.
     */
    public void removeLocalFolder(String folder) throws IOException {
        Path path = Path.of(folder).toAbsolutePath().normalize();
        if (!path.startsWith(storageDir) || path.equals(storageDir)) {
            throw new IllegalArgumentException("A tenant folder outside " + storageDir + " is never removed: " + folder);
        }
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> files = Files.walk(path)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }

    /** The archive key of a tenant's export: exports/&lt;safe tenant id&gt;-&lt;hash&gt;/&lt;time&gt;.json. */
    public String exportKey(String tenantId) {
        return "exports/" + Provisioning.safeName(tenantId) + "-" + Provisioning.hash(tenantId) + "/"
                + EXPORT_TIME.format(Instant.now(clock)) + ".json";
    }

    /** The size of a document in bytes (UTF-8). */
    public int byteCount(String document) {
        return document.getBytes(StandardCharsets.UTF_8).length;
    }

    /** The answer to an export: where it went, how big it is, whether it holds personal data. */
    public Map<String, Object> exported(String tenantId, String key, String location, int bytes, boolean personalData) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("tenant_id", tenantId);
        answer.put("key", key);
        answer.put("location", location);
        answer.put("bytes", bytes);
        answer.put("personal_data", personalData);
        return answer;
    }

    /** The record of step remove-storage: the storage it removed, as JSON. */
    public String storageRemoved(Map<String, Object> tenant) throws java.io.IOException {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("bucket", tenant.get("storage_bucket"));
        detail.put("prefix", tenant.get("storage_prefix"));
        return Json.MAPPER.writeValueAsString(detail);
    }
}
