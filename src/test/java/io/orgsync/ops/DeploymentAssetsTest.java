package io.orgsync.ops;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kubernetes example, the Dockerfile and bin/orgsync agree with what orgsync is: the probes call
 * its health paths on its management port, the grace period outlasts Camel's shutdown timeout, service
 * links are off, only the webhook port is a Service, every setting the manifest passes is one orgsync
 * reads, and the image runs bin/orgsync as a user other than root with routes, SQL and
 * application.properties in its working directory.
 */
class DeploymentAssetsTest {

    static final Path MANIFEST = Path.of("ops/kubernetes/orgsync.yaml");

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    static Map<String, Map<String, Object>> documents() throws Exception {
        Map<String, Map<String, Object>> byKind = new java.util.HashMap<>();
        for (Object doc : new Load(LoadSettings.builder().build()).loadAllFromString(Files.readString(MANIFEST))) {
            byKind.put(String.valueOf(map(doc).get("kind")), map(doc));
        }
        return byKind;
    }

    static Properties properties() throws Exception {
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(Path.of("application.properties"))) {
            p.load(in);
        }
        return p;
    }

    /** The environment variables orgsync reads: ORGSYNC_<KEY> of every key, and the well-known ones named in a comment. */
    static Set<String> variablesOrgsyncReads() throws Exception {
        Set<String> names = new TreeSet<>();
        for (String key : properties().stringPropertyNames()) {
            names.add(key.toUpperCase().replace('.', '_').replace('-', '_'));
        }
        Matcher m = Pattern.compile("\\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\\b").matcher(Files.readString(Path.of("application.properties")));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    @Test
    void theDeploymentProbesTheManagementPortAndOutlastsTheShutdownTimeout() throws Exception {
        Map<String, Object> deployment = documents().get("Deployment");
        Map<String, Object> pod = map(map(map(deployment.get("spec")).get("template")).get("spec"));
        assertThat(pod.get("enableServiceLinks")).isEqualTo(false);
        int shutdownTimeout = Integer.parseInt(properties().getProperty("camel.main.shutdown-timeout").strip());
        assertThat(((Number) pod.get("terminationGracePeriodSeconds")).intValue()).isGreaterThan(shutdownTimeout);

        Map<String, Object> container = map(list(pod.get("containers")).get(0));
        Map<String, Object> ports = new java.util.HashMap<>();
        list(container.get("ports")).forEach(p -> ports.put(String.valueOf(map(p).get("name")), map(p).get("containerPort")));
        String management = properties().getProperty("camel.management.port").replaceAll(".*:(\\d+)}}.*", "$1");
        assertThat(String.valueOf(ports.get("management"))).isEqualTo(management);
        String webhooks = properties().getProperty("camel.server.port").replaceAll(".*:(\\d+)}}.*", "$1");
        assertThat(String.valueOf(ports.get("webhooks"))).isEqualTo(webhooks);

        Map<String, Object> liveness = map(map(container.get("livenessProbe")).get("httpGet"));
        Map<String, Object> readiness = map(map(container.get("readinessProbe")).get("httpGet"));
        assertThat(liveness).containsEntry("path", "/observe/health/live").containsEntry("port", "management");
        assertThat(readiness).containsEntry("path", "/observe/health/ready").containsEntry("port", "management");
        Map<String, Object> annotations = map(map(map(map(deployment.get("spec")).get("template")).get("metadata")).get("annotations"));
        assertThat(annotations).containsEntry("prometheus.io/port", management).containsEntry("prometheus.io/path", "/observe/metrics");
    }

    @Test
    void theServiceExposesTheWebhooksOnly() throws Exception {
        List<Object> ports = list(map(documents().get("Service").get("spec")).get("ports"));
        assertThat(ports).singleElement().satisfies(p -> assertThat(map(p)).containsEntry("targetPort", "webhooks"));
    }

    @Test
    void everySettingTheManifestPassesIsOneOrgsyncReads() throws Exception {
        Set<String> known = variablesOrgsyncReads();
        Map<String, Object> secret = documents().get("Secret");
        List<String> passed = new ArrayList<>(map(secret.get("stringData")).keySet());
        Map<String, Object> pod = map(map(map(documents().get("Deployment").get("spec")).get("template")).get("spec"));
        list(map(list(pod.get("containers")).get(0)).get("env")).forEach(e -> passed.add(String.valueOf(map(e).get("name"))));
        assertThat(known).as("application.properties names them").containsAll(passed);
        assertThat(passed).contains("ORGSYNC_ADMIN_TOKEN", "ORGSYNC_DB_URL", "AV_HOST", "ORGSYNC_MANAGEMENT_HOST");
        String token = String.valueOf(map(secret.get("stringData")).get("ORGSYNC_ADMIN_TOKEN"));
        assertThat(token.length()).as("a placeholder that passes the 32-character check if kept").isGreaterThanOrEqualTo(32);
    }

    @Test
    void theImageRunsTheLauncherAsANonRootUserWithTheFilesInItsWorkingDirectory() throws Exception {
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        assertThat(dockerfile).contains("WORKDIR /opt/orgsync").contains("COPY routes routes").contains("COPY db db")
                .contains("COPY application.properties .").contains("VOLUME /opt/orgsync/data")
                .contains("ENTRYPOINT [\"/opt/orgsync/bin/orgsync\"]").containsPattern("(?m)^USER 10001");
        assertThat(dockerfile).containsPattern("(?m)^ARG JRE_IMAGE=eclipse-temurin:(1[7-9]|2\\d)-jre");
        String launcher = Files.readString(Path.of("bin/orgsync"));
        assertThat(launcher).contains("-Xmx256m").contains("exec java");
        assertThat(Path.of("bin/orgsync").toFile().canExecute()).isTrue();
    }
}
