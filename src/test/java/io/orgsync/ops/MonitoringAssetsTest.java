package io.orgsync.ops;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metrics an operator reads: each one the Grafana dashboard and the Prometheus alert rules in
 * ops/ name exists on a running orgsync (with the labels they select by), and the values follow what
 * happened: an accepted and a rejected webhook, deliveries, a dead letter from a failing target.
 */
class MonitoringAssetsTest {

    static final Duration WAIT = Duration.ofSeconds(30);
    /** Metric names a rule may use that Prometheus makes itself, not orgsync. */
    static final Set<String> PROMETHEUS_OWN = Set.of("up");
    static final Pattern SELECTOR = Pattern.compile("\\b([a-z][a-z0-9_]*_[a-z0-9_]+)\\s*(\\{([^}]*)})?");
    static final Pattern LABEL = Pattern.compile("([a-z_]+)\\s*(=~|!=|!~|=)");
    static final Set<String> PROMQL_WORDS = Set.of("histogram_quantile", "label_replace", "count_over_time", "avg_over_time", "max_over_time");

    static WireMockServer siem;
    static OrgsyncApp app;
    static String metrics;

    @BeforeAll
    static void start() throws Exception {
        siem = new WireMockServer(options().dynamicPort());
        siem.start();
        siem.stubFor(post(urlEqualTo("/audit")).willReturn(aResponse().withStatus(500).withBody("down")));
        app = OrgsyncApp.start(Map.of("orgsync.audit.url", siem.baseUrl() + "/audit",
                "orgsync.target.audit-sink.max-attempts", "1"));
        assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
        assertThat(app.post("{}".getBytes(), Map.of("Content-Type", "application/json")).status()).isEqualTo(401);
        OrgsyncApp.await("a dead letter for the audit sink, counted", () -> value(scrape(), "orgsync_outbox_dead", "target", "audit-sink") == 1, WAIT);
        OrgsyncApp.await("the archive delivered", () -> value(scrape(), "orgsync_delivery_successes_total", "target", "archive") == 1, WAIT);
        // the dashboard's GC panel reads jvm_gc_pause_seconds, which exists once this JVM has collected
        // garbage at least once: not a given in a young test fork (a clean-clone run failed here once)
        System.gc();
        OrgsyncApp.await("a GC pause recorded", () -> scrape().contains("jvm_gc_pause_seconds_sum"), WAIT);
        metrics = scrape();
    }

    @AfterAll
    static void stop() {
        app.close();
        siem.stop();
    }

    static String scrape() {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + app.managementPort + "/observe/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return "";
        }
    }

    /** Series name -> the label names it carries, from the Prometheus text format. */
    static Map<String, Set<String>> series(String text) {
        Map<String, Set<String>> series = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            String name = line.substring(0, brace > 0 && brace < space ? brace : space);
            Set<String> labels = series.computeIfAbsent(name, n -> new HashSet<>());
            if (brace > 0 && brace < space) {
                Matcher label = Pattern.compile("([a-zA-Z_]+)=\"").matcher(line.substring(brace, line.indexOf('}')));
                while (label.find()) {
                    labels.add(label.group(1));
                }
            }
        }
        return series;
    }

    static List<String> alertExpressions() throws Exception {
        Map<?, ?> rules = (Map<?, ?>) new Load(LoadSettings.builder().build())
                .loadFromString(Files.readString(Path.of("ops/prometheus/orgsync-alerts.yml")));
        List<String> expressions = new ArrayList<>();
        for (Object group : (List<?>) rules.get("groups")) {
            for (Object r : (List<?>) ((Map<?, ?>) group).get("rules")) {
                Map<?, ?> rule = (Map<?, ?>) r;
                assertThat(rule.get("alert")).as(rule.toString()).isNotNull();
                assertThat(((Map<?, ?>) rule.get("labels")).get("severity")).as(rule.toString()).isIn("critical", "warning");
                assertThat(((Map<?, ?>) rule.get("annotations")).get("summary")).as(rule.toString()).isNotNull();
                expressions.add(String.valueOf(rule.get("expr")));
            }
        }
        return expressions;
    }

    static List<String> dashboardExpressions() throws Exception {
        JsonNode dashboard = Fixtures.MAPPER.readTree(Files.readString(Path.of("ops/grafana/orgsync-dashboard.json")));
        List<String> expressions = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            assertThat(panel.path("targets").size()).as(panel.path("title").asText()).isPositive();
            panel.path("targets").forEach(t -> expressions.add(t.path("expr").asText()));
        }
        return expressions;
    }

    /** Every metric an expression names, and every label it selects by, is on /observe/metrics. */
    static void assertExist(List<String> expressions, String where) {
        Map<String, Set<String>> series = series(metrics);
        Set<String> named = new TreeSet<>();
        for (String expr : expressions) {
            Matcher m = SELECTOR.matcher(expr);
            while (m.find()) {
                String name = m.group(1);
                if (PROMQL_WORDS.contains(name) || PROMETHEUS_OWN.contains(name)) {
                    continue;
                }
                named.add(name);
                assertThat(series).as(where + ": metric " + name + " in " + expr).containsKey(name);
                if (m.group(3) != null) {
                    Matcher label = LABEL.matcher(m.group(3));
                    while (label.find()) {
                        assertThat(series.get(name)).as(where + ": label " + label.group(1) + " of " + name).contains(label.group(1));
                    }
                }
            }
        }
        assertThat(named).as(where + " names orgsync's metrics").isNotEmpty();
    }

    @Test
    void everyMetricTheAlertRulesNameExists() throws Exception {
        List<String> expressions = alertExpressions();
        assertThat(String.join("\n", expressions)).contains("orgsync_outbox_oldest_pending_age_seconds", "orgsync_outbox_dead",
                "orgsync_ready", "orgsync_reconcile_last_success_seconds");
        assertExist(expressions, "ops/prometheus/orgsync-alerts.yml");
    }

    @Test
    void everyMetricTheDashboardNamesExists() throws Exception {
        assertExist(dashboardExpressions(), "ops/grafana/orgsync-dashboard.json");
    }

    /** The value of the one series of this name that has these labels (name, value pairs); -1 when there is none. */
    static double value(String text, String name, String... labels) {
        List<Double> values = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            String tags = line.contains("{") ? line.substring(line.indexOf('{'), line.indexOf('}') + 1) : "";
            boolean all = true;
            for (int i = 0; i < labels.length; i += 2) {
                all &= tags.contains(labels[i] + "=\"" + labels[i + 1] + "\"");
            }
            if (all) {
                values.add(Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
            }
        }
        assertThat(values).as(name + " " + List.of(labels)).hasSizeLessThan(2);
        return values.isEmpty() ? -1 : values.get(0);
    }

    @Test
    void theValuesFollowWhatHappened() {
        assertThat(value(metrics, "orgsync_ready")).isEqualTo(1);
        assertThat(value(metrics, "orgsync_webhook_accepted_total", "source", "authvital", "type", "tenant.created")).isEqualTo(1);
        assertThat(value(metrics, "orgsync_webhook_rejected_total", "source", "authvital", "code", "missing_signature")).isEqualTo(1);
        assertThat(value(metrics, "orgsync_webhook_ack_seconds_count", "source", "authvital", "status", "200")).isEqualTo(1);
        assertThat(value(metrics, "orgsync_webhook_ack_seconds_count", "source", "authvital", "status", "401")).isEqualTo(1);
        assertThat(value(metrics, "orgsync_webhook_ack_seconds_bucket", "source", "authvital", "status", "200", "le", "10.0")).isEqualTo(1);
        assertThat(value(metrics, "orgsync_delivery_attempts_total", "target", "audit-sink", "type", "tenant.created")).isEqualTo(1);
        assertThat(value(metrics, "orgsync_delivery_failures_total", "target", "audit-sink", "category", "exhausted")).isEqualTo(1);
        assertThat(value(metrics, "orgsync_delivery_successes_total", "target", "audit-sink")).isEqualTo(-1);
        assertThat(value(metrics, "orgsync_delivery_successes_total", "target", "provisioning", "type", "tenant.created")).isEqualTo(1);
        assertThat(value(metrics, "orgsync_outbox_oldest_pending_age_seconds", "target", "provisioning")).isZero();
        assertThat(value(metrics, "orgsync_outbox_pending", "target", "stripe")).as("not running: no STRIPE_API_KEY").isEqualTo(-1);
        assertThat(value(metrics, "orgsync_spool_files", "folder", "authvital_unverified")).isZero();
        assertThat(value(metrics, "orgsync_quarantine_held", "source", "clerk")).isZero();
        assertThat(value(metrics, "orgsync_reconcile_last_success_seconds", "source", "authvital")).isZero();
        assertThat(value(metrics, "orgsync_reconcile_period_seconds", "source", "clerk")).isZero();
        assertThat(value(metrics, "hikaricp_connections_max", "pool", "orgsync-apply")).isPositive();
        assertThat(metrics).containsPattern("jvm_memory_used_bytes\\{[^}]*area=\"heap\"");
    }
}
