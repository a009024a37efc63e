package io.orgsync.jar;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar, started as a user would from the repository root on its embedded defaults
 * (development mode on, so it trusts its own key): it answers signed events sent by its own
 * dev-send command, keeps them durably across a restart and shuts down cleanly on SIGTERM.
 */
class PackagedJarIT {

    static final Path JAR = Path.of(System.getProperty("orgsync.jar", "target/orgsync.jar")).toAbsolutePath();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void startsOnEmbeddedDefaultsAnswersASignedEventAndShutsDownCleanly() throws Exception {
        assertThat(JAR).exists();
        Path work = Files.createTempDirectory("orgsync-jar");
        int port = freePort();
        int management = freePort();
        Map<String, String> env = environment(work, port, management);

        Path log = work.resolve("first.log");
        Process jar = start(env, log);
        try {
            String started = awaitLog(log, "started in", Duration.ofSeconds(60));
            assertThat(started).contains("Routes startup");

            Process send = new ProcessBuilder("java", "-jar", JAR.toString(), "dev-send",
                    "--url", "http://localhost:" + port + "/webhooks/authvital",
                    "--key-dir", work.resolve("dev").toString(),
                    "examples/events/authvital-seed/tenant.created.json",
                    "examples/events/authvital-system/application.created.json")
                    .redirectErrorStream(true).start();
            String output = new String(send.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(send.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(send.exitValue()).as(output).isZero();
            assertThat(output).contains("\"status\":\"applied\",\"event_id\":\"evt_test001\"").contains("application.created");

            // a file that is not there: one line that says so, no stack trace
            Process missing = new ProcessBuilder("java", "-jar", JAR.toString(), "dev-send",
                    "--url", "http://localhost:" + port + "/webhooks/authvital", "--key-dir", work.resolve("dev").toString(),
                    "examples/events/no-such-event.json").redirectErrorStream(true).start();
            String missingOutput = new String(missing.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(missing.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(missing.exitValue()).isEqualTo(2);
            assertThat(missingOutput.strip()).isEqualTo("dev-send: no such file: examples/events/no-such-event.json");

            HttpResponse<String> mirror = get("http://localhost:" + port + "/dev/mirror");
            assertThat(mirror.statusCode()).isEqualTo(200);
            assertThat(mirror.body()).contains("tnt_test123").contains("app_dashboard456");

            assertThat(get("http://localhost:" + management + "/observe/health").statusCode()).isEqualTo(200);
            HttpResponse<String> admin = get("http://localhost:" + management + "/admin/dead-letters");
            assertThat(admin.statusCode()).as("no ORGSYNC_ADMIN_TOKEN: the admin API is off").isEqualTo(404);
            assertThat(admin.body()).contains("admin_off");
            // the default fan-out archives locally and writes the audit file
            awaitFile(work.resolve("archive/authvital"), Duration.ofSeconds(20));
            awaitFile(work.resolve("audit"), Duration.ofSeconds(20));
            // a rejection writes nothing but a counter and a log line
            HttpResponse<String> unsigned = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/webhooks/authvital"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(unsigned.statusCode()).isEqualTo(401);
            String metrics = get("http://localhost:" + management + "/observe/metrics").body();
            assertThat(metrics).contains("orgsync_webhook_accepted");
            // the JVM's own metrics are bound (camel.metrics.binders)
            assertThat(metrics).contains("jvm_memory_used_bytes").contains("jvm_gc_pause_seconds").contains("jvm_threads_live_threads")
                    .contains("process_cpu_usage").contains("process_uptime_seconds");
            assertThat(metrics).containsPattern("orgsync_webhook_rejected_total\\{[^}]*code=\"missing_signature\"[^}]*} 1\\.0");
            assertThat(Files.readString(log)).contains("authvital request rejected: 401 missing_signature");

            // the embedded database runs with durable settings
            String url = jdbcUrl(Files.readString(log));
            try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement()) {
                assertThat(show(s, "fsync")).isEqualTo("on");
                assertThat(show(s, "synchronous_commit")).isEqualTo("on");
            }
        } finally {
            jar.destroy(); // SIGTERM, as Ctrl-C or a service manager would
        }
        assertThat(jar.waitFor(45, TimeUnit.SECONDS)).as("stops within the shutdown timeout").isTrue();
        String firstLog = Files.readString(log);
        assertThat(firstLog).contains("(orgsync) shutdown in").doesNotContain("Exception in thread");

        // started again on the same data directory, the event is still there
        Path second = work.resolve("second.log");
        Process again = start(env, second);
        try {
            awaitLog(second, "started in", Duration.ofSeconds(60));
            assertThat(plan(Files.readString(second))).isEqualTo("pro");
            // an acknowledged event survives kill -9 of the JVM
            Process send = new ProcessBuilder("java", "-jar", JAR.toString(), "dev-send",
                    "--url", "http://localhost:" + port + "/webhooks/authvital", "--key-dir", work.resolve("dev").toString(),
                    "examples/events/authvital-seed/tenant.updated.json").redirectErrorStream(true).start();
            String output = new String(send.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(send.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(output).contains("\"status\":\"applied\",\"event_id\":\"evt_test002\"");
        } finally {
            again.destroyForcibly();
            again.waitFor(45, TimeUnit.SECONDS);
        }

        // the killed JVM left its PostgreSQL running: the next start stops it and carries on
        Path third = work.resolve("third.log");
        Process last = start(env, third);
        try {
            String log3 = awaitLog(third, "started in", Duration.ofSeconds(90));
            assertThat(log3).contains("still runs: stopping it first");
            assertThat(plan(log3)).isEqualTo("enterprise");
        } finally {
            last.destroy();
            assertThat(last.waitFor(45, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void oneSettingSwitchesTheLogToJsonLinesThatFollowAnEvent() throws Exception {
        Path work = Files.createTempDirectory("orgsync-jar-json");
        int port = freePort();
        Map<String, String> env = new java.util.HashMap<>(environment(work, port, freePort()));
        env.put("ORGSYNC_LOG_FORMAT", "json");
        env.put("ORGSYNC_LOG_TRAIL", "INFO");
        Path log = work.resolve("json.log");
        Process jar = start(env, log);
        try {
            awaitLog(log, "started in", Duration.ofSeconds(60));
            Process send = new ProcessBuilder("java", "-jar", JAR.toString(), "dev-send",
                    "--url", "http://localhost:" + port + "/webhooks/authvital", "--key-dir", work.resolve("dev").toString(),
                    "examples/events/authvital-seed/tenant.created.json").redirectErrorStream(true).start();
            assertThat(send.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(send.exitValue()).isZero();
            awaitLog(log, "to archive", Duration.ofSeconds(20));
        } finally {
            jar.destroy();
        }
        assertThat(jar.waitFor(45, TimeUnit.SECONDS)).isTrue();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            JsonNode json = MAPPER.readTree(line); // every line is one JSON object
            assertThat(json.isObject()).as(line).isTrue();
            assertThat(json.has("@timestamp") && json.has("log.level") && json.has("message")).as(line).isTrue();
            lines.add(json);
        }
        assertThat(lines).anySatisfy(l -> assertThat(l.path("message").asText()).contains("started in"));
        assertThat(lines).anySatisfy(l -> {
            assertThat(l.path("message").asText()).startsWith("Received authvital tenant.created evt_test001: 200");
            assertThat(l.path("event_id").asText()).isEqualTo("evt_test001");
            assertThat(l.path("source").asText()).isEqualTo("authvital");
            assertThat(l.path("event_type").asText()).isEqualTo("tenant.created");
        });
        assertThat(lines).anySatisfy(l -> {
            assertThat(l.path("message").asText()).startsWith("Delivered tenant.created evt_test001 to archive");
            assertThat(l.path("target").asText()).isEqualTo("archive");
            assertThat(l.path("outbox_id").asText()).isNotBlank();
        });
    }

    @Test
    void aSettingItCannotRunWithStopsStartUpWithOneLine() throws Exception {
        Path work = Files.createTempDirectory("orgsync-jar-config");
        Map<String, String> cases = Map.of(
                "ORGSYNC_ADMIN_TOKEN", "too-short",
                "ORGSYNC_MANAGEMENT_PORT", "18080",
                "AV_HOST", "http://auth.example.com",
                "ORGSYNC_AUDIT_URL", "https//siem.example.com",
                "STRIPE_API_KEY", "sk_test_not_a_real_key");
        Map<String, String> keys = Map.of("ORGSYNC_ADMIN_TOKEN", "orgsync.admin.token", "ORGSYNC_MANAGEMENT_PORT", "camel.management.port",
                "AV_HOST", "orgsync.authvital.host", "ORGSYNC_AUDIT_URL", "orgsync.audit.url", "STRIPE_API_KEY", "orgsync.stripe.price.");
        for (Map.Entry<String, String> bad : cases.entrySet()) {
            Map<String, String> env = new java.util.HashMap<>(environment(work, 18080, freePort()));
            env.remove("ORGSYNC_DEV_ENABLED"); // production mode: AV_HOST must be https
            env.put(bad.getKey(), bad.getValue());
            Path log = work.resolve(bad.getKey() + ".log");
            Process jar = start(env, log);
            assertThat(jar.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String output = Files.readString(log);
            assertThat(jar.exitValue()).as(output).isEqualTo(2);
            List<String> errors = output.lines().filter(l -> l.contains("ERROR")).toList();
            assertThat(errors).as(output).hasSize(1);
            assertThat(errors.get(0)).contains("orgsync cannot start: " + keys.get(bad.getKey()));
            assertThat(output).as("no stack trace").doesNotContain("\tat ").doesNotContain("Exception")
                    .doesNotContain("sk_test_not_a_real_key").doesNotContain("Embedded PostgreSQL in");
        }
    }

    static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = new com.fasterxml.jackson.databind.ObjectMapper();

    static String plan(String log) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl(log), "postgres", null);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT plan FROM av_organizations WHERE id = 'tnt_test123'")) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    /** The jar's environment for a test: its own ports and folders, development mode on. */
    static Map<String, String> environment(Path work, int port, int management) {
        return Map.of(
                "ORGSYNC_HTTP_PORT", Integer.toString(port),
                "ORGSYNC_MANAGEMENT_PORT", Integer.toString(management),
                "ORGSYNC_DB_EMBEDDED_DIR", work.resolve("postgres").toString(),
                "ORGSYNC_SPOOL_DIR", work.resolve("spool").toString(),
                "ORGSYNC_DEV_KEY_DIR", work.resolve("dev").toString(),
                "ORGSYNC_ARCHIVE_DIR", work.resolve("archive").toString(),
                "ORGSYNC_AUDIT_DIR", work.resolve("audit").toString(),
                "ORGSYNC_PROVISIONING_DIR", work.resolve("tenants").toString(),
                "ORGSYNC_DEV_ENABLED", "true",
                "ORGSYNC_HTTP_HOST", "127.0.0.1");
    }

    Process start(Map<String, String> env, Path log) throws IOException {
        // as the documentation starts it: bin/orgsync, with its JVM settings
        List<String> command = new ArrayList<>(List.of("bin/orgsync"));
        ProcessBuilder builder = new ProcessBuilder(command).directory(Path.of("").toAbsolutePath().toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        builder.environment().put("ORGSYNC_JAR", JAR.toString());
        return builder.start();
    }

    static void awaitFile(Path dir, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(dir)) {
                try (var files = Files.walk(dir)) {
                    if (files.anyMatch(Files::isRegularFile)) {
                        return;
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("nothing written under " + dir);
    }

    static String awaitLog(Path log, String marker, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            if (text.contains(marker)) {
                return text;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no '" + marker + "' in the log within " + timeout + ":\n" + Files.readString(log));
    }

    static String jdbcUrl(String log) {
        Matcher m = Pattern.compile("at (jdbc:postgresql://localhost:\\d+/postgres)").matcher(log);
        assertThat(m.find()).as("the log names the embedded database").isTrue();
        return m.group(1);
    }

    static String show(Statement s, String setting) throws Exception {
        try (ResultSet rs = s.executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
