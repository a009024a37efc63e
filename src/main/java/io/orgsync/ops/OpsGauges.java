package io.orgsync.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.orgsync.files.DurableFiles;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;

/**
 * Bean {@code opsGauges}: what waits outside the outbox, for /observe/metrics, and readiness as a
 * number an alert can read.
 * <ul>
 * <li>{@code orgsync_spool_files{folder}}: files waiting in each spool folder ({@code authvital}: system
 * webhooks kept while PostgreSQL was down; {@code authvital_unverified}: kept while AuthVital's keys could
 * not be read; {@code quarantine}: quarantined events kept while PostgreSQL was down), counted by route
 * spool-gauges;</li>
 * <li>{@code orgsync_quarantine_held{source}}: quarantined events not yet replayed or discarded, from
 * routes/sql/quarantine/gauges.sql, run by route quarantine-gauges;</li>
 * <li>{@code orgsync_ready}: 1 while every readiness check is UP (the answer of /observe/health/ready), else 0.</li>
 * </ul>
 */
public class OpsGauges {

    /** The spool's folders: system webhooks, unverified system webhooks, quarantined events. */
    public static final List<String> SPOOL_FOLDERS = List.of("authvital", "authvital-unverified", "quarantine");
    private static final List<String> SOURCES = List.of("authvital", "clerk");

    private final Gauges gauges;
    private final Path spool;
    private volatile long quarantined;

    public OpsGauges(CamelContext context, Gauges gauges, Path spool) {
        this.gauges = gauges;
        this.spool = spool;
        spool();
        quarantine(List.of());
        MeterRegistry registry = context.getRegistry().findSingleByType(MeterRegistry.class);
        if (registry != null) {
            Gauge.builder("orgsync.ready", context, OpsGauges::ready)
                    .description("1 while orgsync can accept and store webhooks (every readiness check UP), else 0").register(registry);
        }
    }

    private static double ready(CamelContext context) {
        if (!context.isStarted()) {
            return 0;
        }
        return HealthCheckHelper.invokeReadiness(context).stream().allMatch(r -> r.getState() == HealthCheck.State.UP) ? 1 : 0;
    }

    /** Counts the files waiting in each spool folder. */
    public void spool() {
        spoolFiles(spool).forEach((folder, files) -> gauges.of("orgsync.spool.files",
                "Files waiting in a spool folder", "folder", folder.replace('-', '_')).set(files));
    }

    /** Sets the quarantine gauge from rows of {source, held}. */
    public void quarantine(List<Map<String, Object>> rows) {
        Map<String, Long> held = new LinkedHashMap<>();
        SOURCES.forEach(source -> held.put(source, 0L));
        rows.forEach(row -> held.put(String.valueOf(row.get("source")), ((Number) row.get("held")).longValue()));
        held.forEach((source, n) -> gauges.of("orgsync.quarantine.held",
                "Quarantined events waiting for a replay or a discard", "source", source).set(n));
        quarantined = held.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * The health details this bean knows: {@code quarantined} (as last counted) and the files waiting
     * in each spool folder ({@code spool_<folder>_files}, counted now: a folder listing).
     */
    public Map<String, Object> details() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("quarantined", quarantined);
        spoolFiles(spool).forEach((folder, files) -> details.put("spool_" + folder.replace('-', '_') + "_files", files));
        return details;
    }

    /** The JSON files waiting in each spool folder (-1 when a folder cannot be read). */
    public static Map<String, Long> spoolFiles(Path spool) {
        Map<String, Long> files = new LinkedHashMap<>();
        for (String folder : SPOOL_FOLDERS) {
            files.put(folder, count(spool.resolve(folder)));
        }
        return files;
    }

    private static long count(Path folder) {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> DurableFiles.isFinished(f) && f.getFileName().toString().endsWith(".json")).count();
        } catch (IOException e) {
            return -1;
        }
    }
}
