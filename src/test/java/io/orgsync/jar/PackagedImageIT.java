package io.orgsync.jar;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.orgsync.support.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The container image as ./Dockerfile makes it, built with podman on a Java runtime image made from
 * Debian's packages alone (src/test/sh/image.sh), then started from its own file system: its
 * entrypoint (bin/orgsync), its user (10001), its working directory, a read-only root with a
 * writable /tmp and data volume, PostgreSQL outside it as in the Kubernetes example. It becomes
 * ready, applies a signed event, stays within 512 MiB resident and stops cleanly on SIGTERM.
 * No OCI runtime can start a container on the machines these tests run on (see image.sh): chroot
 * stands in for it, so the runtime's own isolation (namespaces, cgroup limits) is not tested here.
 */
class PackagedImageIT {

    static final String TAG = "localhost/orgsync:it";
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(15, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
        return out;
    }

    @Test
    void theImageStartsAsItsUserBecomesReadyAppliesAnEventAndStops() throws Exception {
        assertThat(System.getProperty("user.name")).as("mounting and chroot need root").isEqualTo("root");
        String image = run("src/test/sh/image.sh", "build", TAG);
        assertThat(image).isNotBlank();
        Path data = Files.createTempDirectory("orgsync-image-data");
        String root = run("src/test/sh/image.sh", "mount", TAG, data.toString());
        Process orgsync = null;
        Path log = data.resolve("../" + data.getFileName() + ".log").normalize();
        try {
            String dbUrl = TestDatabase.newDatabaseUrl(); // first: its PostgreSQL takes a free port of its own
            int port = PackagedJarIT.freePort();
            int management = PackagedJarIT.freePort();
            List<String> command = new ArrayList<>(List.of("chroot", "--userspec=10001:10001", root, "env", "-i",
                    "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/opt/orgsync",
                    "ORGSYNC_MANAGEMENT_HOST=0.0.0.0", // as the image sets it (ENV is not applied by chroot)
                    "ORGSYNC_HTTP_PORT=" + port, "ORGSYNC_MANAGEMENT_PORT=" + management,
                    "ORGSYNC_DB_URL=" + dbUrl,
                    "ORGSYNC_DEV_ENABLED=true", "ORGSYNC_HTTP_HOST=127.0.0.1", "ORGSYNC_LOG_FORMAT=json",
                    "/opt/orgsync/bin/orgsync"));
            orgsync = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            PackagedJarIT.awaitLog(log, "started in", Duration.ofSeconds(120));
            assertThat(get("http://localhost:" + management + "/observe/health/ready").statusCode()).isEqualTo(200);

            // signed with the development key the image's process made under its data volume
            Process send = new ProcessBuilder("java", "-jar", PackagedJarIT.JAR.toString(), "dev-send",
                    "--url", "http://localhost:" + port + "/webhooks/authvital", "--key-dir", data.resolve("dev").toString(),
                    "examples/events/authvital-seed/tenant.created.json").redirectErrorStream(true).start();
            String sent = new String(send.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(send.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(sent).contains("\"status\":\"applied\",\"event_id\":\"evt_test001\"");
            PackagedJarIT.awaitFile(data.resolve("archive"), Duration.ofSeconds(30));

            long pid = javaPid(orgsync);
            assertThat(Files.readString(Path.of("/proc/" + pid + "/status"))).containsPattern("Uid:\\s+10001");
            long peakKb = Long.parseLong(Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                    .filter(l -> l.startsWith("VmHWM:")).findFirst().orElseThrow().replaceAll("\\D", ""));
            System.out.println("PackagedImageIT: peak resident memory of the image's Java process " + peakKb / 1024 + " MiB");
            assertThat(peakKb / 1024).as("peak resident MiB of the Java process").isLessThan(512);
            assertThat(Files.readAllLines(log)).allMatch(l -> l.startsWith("{"), "JSON lines (ORGSYNC_LOG_FORMAT=json)");

            orgsync.destroy(); // SIGTERM to the chroot'd launcher's java (exec)
            assertThat(orgsync.waitFor(45, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(log)).contains("shutdown in");
        } finally {
            if (orgsync != null && orgsync.isAlive()) {
                orgsync.destroyForcibly();
            }
            run("src/test/sh/image.sh", "unmount", TAG);
        }
    }

    /** The image's java: chroot execs env, which execs bin/orgsync, which execs java: one process. */
    static long javaPid(Process process) throws IOException {
        String cmdline = Files.readString(Path.of("/proc/" + process.pid() + "/cmdline"));
        assertThat(cmdline).contains("orgsync.jar");
        return process.pid();
    }

    HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
