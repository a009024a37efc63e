import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.RSAKey;

/**
 * The benchmark's generator and checker (run by bench/run.sh with the jar on the class path):
 *   generate authvital KEY_FILE OUT_DIR EVENTS TENANTS   signed AuthVital events, both channels, shuffled
 *   generate clerk SECRET OUT_DIR EVENTS TENANTS         Svix-signed Clerk organisation and membership events
 *   check authvital|clerk JDBC_URL OUT_DIR               the database against OUT_DIR/expected.json; prints mismatches
 *   wait JDBC_URL EVENTS TIMEOUT_S [AFTER [TABLE]]         until the event log (or TABLE, with received_at) holds EVENTS;
 *                                                          prints their receive span
 *   wal JDBC_URL                                           PostgreSQL's WAL position, in bytes (WAL written per event)
 *   reference-db JDBC_URL SCHEMA_FILE                      creates the database "reference" beside orgsync's and runs the
 *                                                          reference receiver's schema in it (which drops and recreates its
 *                                                          tables); prints the new database's JDBC URL
 *   check-reference JDBC_URL OUT_DIR…                      check, against the reference receiver's tables
 *   drain JDBC_URL TIMEOUT_S AFTER                         until the outbox has no pending row; prints the fan-out's span
 *   seed-organizations JDBC_URL N                          N tenants (tnt_read_1 … N), each with two applications and an
 *                                                          SSO provider, straight into the mirror: what the read API serves
 *   sqlcost JDBC_URL SECONDS                               the apply statement alone, at batch sizes 1 to 64: what a
 *                                                          statement and an event cost PostgreSQL (wall time, backend CPU)
 */
public class BenchTool {

    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "generate" -> generate(args[1], args[2], Path.of(args[3]), Integer.parseInt(args[4]), Integer.parseInt(args[5]),
                    args.length > 6 ? args[6] : "bench");
            case "check" -> check(args[1], args[2], Arrays.stream(args, 3, args.length).map(Path::of).toList(), "orgsync_events");
            case "check-reference" -> check("authvital", args[1], Arrays.stream(args, 2, args.length).map(Path::of).toList(), "av_webhook_dedupe");
            case "wait" -> waitFor(args[1], Long.parseLong(args[2]), Long.parseLong(args[3]), args.length > 4 ? args[4] : "-infinity",
                    args.length > 5 ? args[5] : "orgsync_events");
            case "reference-db" -> referenceDb(args[1], Path.of(args[2]));
            case "drain" -> drain(args[1], Long.parseLong(args[2]), args[3]);
            case "sqlcost" -> sqlCost(args[1], Double.parseDouble(args[2]));
            case "sizes" -> sizes(args[1]);
            case "wal" -> wal(args[1]);
            case "seed-organizations" -> seedOrganizations(args[1], Integer.parseInt(args[2]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    /** Writes requests.tsv and expected.json to out; every id and tenant is named {@code <kind>_<prefix>_<n>}. */
    static void generate(String source, String keyOrSecret, Path out, int events, int tenants, String prefix) throws Exception {
        Files.createDirectories(out);
        Random random = new Random(42);
        long now = System.currentTimeMillis();
        long base = now - 120_000;               // every event time within the last two minutes: fresh
        List<String> lines = new ArrayList<>();
        Map<String, Map<String, Object>> expected = new HashMap<>();
        RSAKey key = source.equals("authvital") ? RSAKey.parse(Files.readString(Path.of(keyOrSecret))) : null;
        Signature signer = null;
        if (key != null) {
            signer = Signature.getInstance("SHA256withRSA");
            signer.initSign(key.toRSAPrivateKey());
        }
        String[] plans = {"free", "starter", "pro", "enterprise"};
        int perTenant = Math.max(1, events / tenants);
        int n = 0;
        for (int t = 0; t < tenants && n < events; t++) {
            String tenant = "tnt_" + prefix + "_" + t;
            int count = t == tenants - 1 ? events - n : Math.min(perTenant, events - n);
            for (int i = 0; i < count; i++, n++) {
                long time = base + (long) i * 10 + t % 10;
                ObjectNode body;
                String type;
                if (source.equals("authvital")) {
                    type = i == 0 ? "tenant.created" : switch (i % 4) {
                        case 1 -> "tenant.updated";
                        case 2 -> "application.created";
                        case 3 -> "sso.provider_added";
                        default -> "tenant.updated";
                    };
                    ObjectNode data = JSON.createObjectNode();
                    data.put("tenant_id", tenant);
                    String name = "Tenant " + t + " v" + i;
                    String plan = plans[(t + i) % plans.length];
                    switch (type) {
                        case "tenant.created", "tenant.updated" -> {
                            data.put("name", name).put("slug", "tenant-" + t).put("plan", plan)
                                    .put("created_by_sub", "usr_" + t).put("created_at", Instant.ofEpochMilli(base).toString());
                            data.putObject("settings").put("allow_signups", i % 2 == 0).put("require_mfa", i % 3 == 0)
                                    .put("session_lifetime_minutes", 60 + i).put("password_policy", "standard")
                                    .putArray("allowed_email_domains").add("t" + t + ".example");
                            if (type.equals("tenant.updated")) {
                                data.putArray("changed_fields").add("name").add("plan");
                                data.putObject("previous_values").put("name", "Tenant " + t + " v" + (i - 1));
                            }
                            expected.put(tenant, Map.of("name", name, "plan", plan));
                        }
                        case "application.created" -> {
                            data.putNull("tenant_id"); // applications are global: AuthVital sends tenant_id null
                            data.put("application_id", "app_" + t + "_" + i).put("name", "App " + i).put("slug", "app-" + t + "-" + i)
                                    .put("description", "Application " + i + " of tenant " + t).put("client_id", "client_" + t + "_" + i)
                                    .put("application_type", "SPA").put("is_active", true).put("created_at", Instant.ofEpochMilli(base).toString());
                            data.putObject("config").putArray("redirect_uris").add("https://t" + t + ".example/cb");
                        }
                        default -> data.put("provider_id", "sso_" + t + "_" + i).put("provider_type", "okta").put("display_name", "Okta " + i)
                                .put("is_enabled", true).putObject("config").put("client_id", "okta-" + t).putArray("domains").add("t" + t + ".example");
                    }
                    boolean system = random.nextBoolean();
                    body = JSON.createObjectNode();
                    String iso = Instant.ofEpochMilli(time).toString();
                    Map<String, String> headers = new java.util.LinkedHashMap<>();
                    headers.put("Content-Type", "application/json");
                    if (system) {
                        body.put("event", type).put("timestamp", iso).set("data", data);
                        byte[] bytes = JSON.writeValueAsBytes(body);
                        signer.update(bytes);
                        headers.put("X-Webhook-Signature", Base64.getEncoder().encodeToString(signer.sign()));
                        headers.put("X-Webhook-Key-Id", key.getKeyID());
                        headers.put("X-Webhook-Event", type);
                        lines.add(line("/webhooks/authvital", headers, bytes));
                    } else {
                        String id = "evt_" + prefix + "_" + n;
                        body.put("id", id).put("type", type).put("timestamp", iso).put("tenant_id", tenant).putNull("application_id").set("data", data);
                        byte[] bytes = JSON.writeValueAsBytes(body);
                        String ts = Long.toString(now / 1000);
                        signer.update((ts + ".").getBytes(StandardCharsets.US_ASCII));
                        signer.update(bytes);
                        headers.put("X-AuthVital-Signature", Base64.getEncoder().encodeToString(signer.sign()));
                        headers.put("X-AuthVital-Key-Id", key.getKeyID());
                        headers.put("X-AuthVital-Timestamp", ts);
                        headers.put("X-AuthVital-Event-Id", id);
                        headers.put("X-AuthVital-Event-Type", type);
                        lines.add(line("/webhooks/authvital", headers, bytes));
                    }
                } else {
                    String org = "org_" + prefix + "_" + t;
                    ObjectNode organization = JSON.createObjectNode();
                    organization.put("id", org).put("object", "organization").put("name", "Org " + t + " v" + i).put("slug", "org-" + t)
                            .put("members_count", i).put("created_at", base).put("updated_at", time);
                    organization.putObject("public_metadata").put("tier", plans[(t + i) % plans.length]);
                    ObjectNode data;
                    if (i % 2 == 0) {
                        type = i == 0 ? "organization.created" : "organization.updated";
                        data = organization;
                        expected.put(org, Map.of("name", "Org " + t + " v" + i));
                    } else {
                        type = "organizationMembership.created";
                        data = JSON.createObjectNode();
                        data.put("id", "orgmem_" + t + "_" + i).put("object", "organization_membership").put("role", "org:member")
                                .put("created_at", time).put("updated_at", time).set("organization", organization.deepCopy().put("updated_at", base));
                        data.putObject("public_user_data").put("user_id", "user_" + t + "_" + i).put("identifier", "u" + i + "@t" + t + ".example");
                    }
                    body = JSON.createObjectNode();
                    body.set("data", data);
                    body.put("object", "event").put("type", type).put("timestamp", time).put("instance_id", "ins_" + prefix);
                    byte[] bytes = JSON.writeValueAsBytes(body);
                    String id = "msg_" + prefix + "_" + n;
                    String ts = Long.toString(now / 1000);
                    Mac mac = Mac.getInstance("HmacSHA256");
                    mac.init(new SecretKeySpec(Base64.getDecoder().decode(keyOrSecret.substring(6)), "HmacSHA256"));
                    mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
                    mac.update(bytes);
                    Map<String, String> headers = new java.util.LinkedHashMap<>();
                    headers.put("Content-Type", "application/json");
                    headers.put("svix-id", id);
                    headers.put("svix-timestamp", ts);
                    headers.put("svix-signature", "v1," + Base64.getEncoder().encodeToString(mac.doFinal()));
                    lines.add(line("/webhooks/clerk", headers, bytes));
                }
            }
        }
        Collections.shuffle(lines, random);
        Files.write(out.resolve("requests.tsv"), lines, StandardCharsets.UTF_8);
        ObjectNode exp = JSON.createObjectNode();
        exp.put("events", n);
        exp.set("entities", JSON.valueToTree(expected));
        Files.writeString(out.resolve("expected.json"), exp.toString());
        System.out.println("generated " + n + " " + source + " events over " + tenants + " tenants");
    }

    static String line(String path, Map<String, String> headers, byte[] body) {
        StringBuilder h = new StringBuilder();
        headers.forEach((k, v) -> h.append(h.length() == 0 ? "" : "|").append(k).append(": ").append(v));
        return path + "\t" + h + "\t" + new String(body, StandardCharsets.UTF_8);
    }

    /**
     * Waits until the event log holds the expected number of events (or the timeout); prints how many
     * it holds, the receive span of those received after {@code after} (a timestamp, "-infinity" for
     * all) and the last receive time, the mark of the next phase.
     */
    static void waitFor(String url, long events, long timeoutSeconds, String after, String table) throws Exception {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement()) {
            while (true) {
                try (ResultSet rs = s.executeQuery("SELECT count(*), extract(epoch FROM max(received_at) FILTER (WHERE received_at > '" + after
                        + "') - min(received_at) FILTER (WHERE received_at > '" + after + "')), max(received_at) FROM " + table)) {
                    rs.next();
                    if (rs.getLong(1) >= events || System.nanoTime() > deadline) {
                        System.out.printf("SPAN %d %.3f %s%n", rs.getLong(1), rs.getDouble(2),
                                rs.getObject(3, java.time.OffsetDateTime.class));
                        return;
                    }
                }
                Thread.sleep(500); // a count of the whole event log: not too often, it shares the cores
            }
        }
    }

    /**
     * Waits until the outbox has no pending row (every event dispatched and delivered to each of its
     * targets, or dead) or the timeout; prints "DRAIN <pending rows left> <seconds from the first receipt
     * after {@code after} to the last row done>", the span the fan-out took for those events.
     */
    static void drain(String url, long timeoutSeconds, String after) throws Exception {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement()) {
            while (true) {
                try (ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM orgsync_outbox WHERE status = 'pending'), "
                        + "extract(epoch FROM (SELECT max(done_at) FROM orgsync_outbox) "
                        + "- (SELECT min(received_at) FROM orgsync_events WHERE received_at > '" + after + "'))")) {
                    rs.next();
                    if (rs.getLong(1) == 0 || System.nanoTime() > deadline) {
                        System.out.printf("DRAIN %d %.3f%n", rs.getLong(1), rs.getDouble(2));
                        return;
                    }
                }
                Thread.sleep(500);
            }
        }
    }

    /** N organisations for the read benchmark (bench/reads.sh), written as the mirror holds them. */
    static void seedOrganizations(String url, int n) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement()) {
            s.execute("INSERT INTO av_organizations (id, name, slug, plan, last_event_at) "
                    + "SELECT 'tnt_read_' || i, 'Organisation ' || i, 'read-' || i, (ARRAY['free','starter','pro','enterprise'])[1 + i % 4], now() "
                    + "FROM generate_series(1, " + n + ") AS i ON CONFLICT DO NOTHING");
            s.execute("INSERT INTO av_applications (id, organization_id, name, slug, client_id, application_type, is_active, last_event_at) "
                    + "SELECT 'app_read_' || i || '_' || k, 'tnt_read_' || i, 'App ' || k, 'app-' || k, 'client_' || i || '_' || k, 'SPA', true, now() "
                    + "FROM generate_series(1, " + n + ") AS i, generate_series(1, 2) AS k ON CONFLICT DO NOTHING");
            s.execute("INSERT INTO av_sso_providers (id, organization_id, provider_type, display_name, is_enabled, last_event_at) "
                    + "SELECT 'sso_read_' || i, 'tnt_read_' || i, 'google', 'Google', true, now() "
                    + "FROM generate_series(1, " + n + ") AS i ON CONFLICT DO NOTHING");
            s.execute("ANALYZE av_organizations, av_applications, av_sso_providers");
        }
    }

    /** The WAL position in bytes: the difference over a phase is what the phase wrote to the WAL. */
    static void wal(String url) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")) {
            rs.next();
            System.out.println(rs.getLong(1));
        }
    }

    /** A database for the reference receiver on orgsync's PostgreSQL, its tables made afresh by its own schema file. */
    static void referenceDb(String url, Path schema) throws Exception {
        String referenceUrl = url.replaceFirst("/[^/?]+$", "/reference");
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_database WHERE datname = 'reference'")) {
            rs.next();
            if (rs.getLong(1) == 0) {
                s.execute("CREATE DATABASE reference");
            }
        }
        try (Connection c = DriverManager.getConnection(referenceUrl, "postgres", null); Statement s = c.createStatement()) {
            s.execute(Files.readString(schema));
        }
        System.out.println(referenceUrl);
    }

    /**
     * How large orgsync's own tables are (docs/operations.md, "Retention"): prints "SIZES" with the rows
     * and the total on-disk size (table, indexes, TOAST) of the event log and the outbox, and how many
     * events still hold their raw body.
     */
    static void sizes(String url) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM orgsync_events), pg_total_relation_size('orgsync_events'), "
                     + "(SELECT count(*) FROM orgsync_events WHERE raw_body IS NOT NULL), "
                     + "(SELECT count(*) FROM orgsync_outbox), pg_total_relation_size('orgsync_outbox')")) {
            rs.next();
            System.out.printf("SIZES events_rows=%d events_mib=%.1f events_with_body=%d outbox_rows=%d outbox_mib=%.1f%n",
                    rs.getLong(1), rs.getLong(2) / 1048576.0, rs.getLong(3), rs.getLong(4), rs.getLong(5) / 1048576.0);
        }
    }

    /**
     * What PostgreSQL spends on routes/sql/authvital/apply-tenant.sql, run as the application runs it
     * (JDBC, one connection, a prepared statement with a generic plan, every statement committed
     * durably), for batches of 1, 4, 16 and 64 tenant.updated events of distinct tenants copied from
     * the event log under fresh dedupe keys. Prints a line per batch size: milliseconds per statement
     * and per event, wall time and the CPU of the database backend (read from /proc: the database runs
     * on this machine). The fixed cost of a statement against the cost of each event in it is what
     * group commit's batch size trades (docs/throughput.md).
     */
    static void sqlCost(String url, double seconds) throws Exception {
        String sql = Files.readAllLines(Path.of("routes/sql/authvital/apply-tenant.sql")).stream()
                .filter(line -> !line.startsWith("--"))
                .reduce("", (a, b) -> a + b + "\n")
                .replace(":#${variable.events}", "?");
        java.util.Properties props = new java.util.Properties();
        props.setProperty("user", "postgres");
        props.setProperty("prepareThreshold", "1");
        props.setProperty("options", "-c plan_cache_mode=force_generic_plan");
        try (Connection c = DriverManager.getConnection(url, props)) {
            List<ObjectNode> templates = new ArrayList<>();
            int backend;
            try (Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT jsonb_build_object('dedupe_key', dedupe_key, 'source', source, 'channel', channel, "
                        + "'event_id', event_id, 'type', event_type, 'key_id', key_id, 'data', data, 'headers', headers, "
                        + "'raw_body', raw_body, 'tenant_id', tenant_id)::text FROM (SELECT id FROM av_organizations ORDER BY id LIMIT 64) AS o "
                        + "CROSS JOIN LATERAL (SELECT * FROM orgsync_events e WHERE e.entity_type = 'organization' AND e.entity_id = o.id "
                        + "AND e.event_type = 'tenant.updated' ORDER BY e.id DESC LIMIT 1) AS e")) {
                    while (rs.next()) {
                        templates.add((ObjectNode) JSON.readTree(rs.getString(1)));
                    }
                }
                try (ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
                    rs.next();
                    backend = rs.getInt(1);
                }
            }
            if (templates.size() < 64) {
                throw new IllegalStateException("sqlcost needs tenant.updated events of 64 tenants in the event log; found " + templates.size());
            }
            long serial = 0;
            try (java.sql.PreparedStatement apply = c.prepareStatement(sql)) {
                for (int size : new int[] {1, 4, 16, 64}) {
                    // a first second unmeasured: the plan is made and cached, the pages are read in
                    for (boolean measured : new boolean[] {false, true}) {
                        long cpu0 = cpuTicks(backend), t0 = System.nanoTime(), statements = 0;
                        long until = t0 + (long) ((measured ? seconds : 1) * 1e9);
                        while (System.nanoTime() < until) {
                            var batch = JSON.createArrayNode();
                            String now = Instant.now().toString();
                            for (int i = 0; i < size; i++) {
                                ObjectNode e = templates.get(i).deepCopy();
                                e.put("dedupe_key", e.get("dedupe_key").asText() + ":sqlcost:" + (++serial));
                                e.put("occurred_at", now);
                                batch.add(e);
                            }
                            apply.setString(1, batch.toString());
                            try (ResultSet rs = apply.executeQuery()) {
                                while (rs.next()) {
                                    // every event is new: one row each
                                }
                            }
                            statements++;
                        }
                        if (measured) {
                            double wallMs = (System.nanoTime() - t0) / 1e6 / statements;
                            double cpuMs = (cpuTicks(backend) - cpu0) * 1000.0 / CLOCK_TICKS / statements;
                            System.out.printf("SQLCOST batch=%d statements=%d wall_ms_per_statement=%.3f wall_ms_per_event=%.3f "
                                    + "pg_cpu_ms_per_statement=%.3f pg_cpu_ms_per_event=%.3f%n",
                                    size, statements, wallMs, wallMs / size, cpuMs, cpuMs / size);
                        }
                    }
                }
            }
        }
    }

    static final int CLOCK_TICKS = 100; // USER_HZ, as /proc reports times on Linux

    /** User and system CPU time of a process, in clock ticks, from /proc/PID/stat. */
    static long cpuTicks(int pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime (fields 14 and 15)
    }

    /** Compares the database with the expected state of every phase (each a directory generate wrote). */
    static void check(String source, String url, List<Path> phases, String eventTable) throws Exception {
        long sent = 0;
        ObjectNode entities = JSON.createObjectNode();
        for (Path phase : phases) {
            var expected = JSON.readTree(phase.resolve("expected.json").toFile());
            sent += expected.get("events").asLong();
            entities.setAll((ObjectNode) expected.get("entities"));
        }
        int mismatches = 0;
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + eventTable)) {
                rs.next();
                long recorded = rs.getLong(1);
                if (recorded != sent) {
                    System.out.println("mismatch: " + recorded + " events recorded, " + sent + " sent");
                    mismatches++;
                }
            }
            String table = source.equals("authvital") ? "av_organizations" : "organizations";
            Map<String, Map<String, String>> rows = new HashMap<>();
            try (ResultSet rs = s.executeQuery("SELECT id, name, " + (source.equals("authvital") ? "plan" : "NULL AS plan") + " FROM " + table)) {
                while (rs.next()) {
                    Map<String, String> row = new HashMap<>();
                    row.put("name", rs.getString(2));
                    row.put("plan", rs.getString(3));
                    rows.put(rs.getString(1), row);
                }
            }
            for (var e : entities.properties()) {
                Map<String, String> row = rows.get(e.getKey());
                boolean ok = row != null && e.getValue().get("name").asText().equals(row.get("name"))
                        && (!e.getValue().has("plan") || e.getValue().get("plan").asText().equals(row.get("plan")));
                if (!ok) {
                    if (mismatches < 5) {
                        System.out.println("mismatch: " + e.getKey() + " expected " + e.getValue() + " got " + row);
                    }
                    mismatches++;
                }
            }
        }
        System.out.println("MISMATCHES " + mismatches);
    }
}
