package io.orgsync.dev;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code java -jar target/orgsync.jar dev-send [--url URL] [--key-dir DIR] FILE…}: signs each
 * sample event with the development key (the one a jar started with {@code ORGSYNC_DEV_ENABLED=true}
 * publishes) and posts it as AuthVital would. Files with {@code "event"} go as system webhooks, with
 * their timestamp set to now (the only signed time that channel has must be fresh); files with
 * {@code "id"} go as sync events.
 */
public final class DevSender {

    private DevSender() {
    }

    public static int run(String... args) throws Exception {
        String url = "http://localhost:" + System.getenv().getOrDefault("ORGSYNC_HTTP_PORT", "8080") + "/webhooks/authvital";
        Path keyDir = Path.of("data/dev");
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--url" -> url = args[++i];
                case "--key-dir" -> keyDir = Path.of(args[++i]);
                default -> files.add(Path.of(args[i]));
            }
        }
        if (files.isEmpty()) {
            System.err.println("usage: java -jar target/orgsync.jar dev-send [--url URL] [--key-dir DIR] FILE...");
            return 2;
        }
        if (!Files.exists(keyDir.resolve(DevKeys.FILE))) {
            System.err.println("No development key in " + keyDir + ": start the jar with ORGSYNC_DEV_ENABLED=true first");
            return 2;
        }
        DevKeys keys = new DevKeys(keyDir);
        ObjectMapper mapper = new ObjectMapper();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        int failures = 0;
        Instant now = Instant.now();
        for (int i = 0; i < files.size(); i++) {
            Path file = files.get(i);
            if (!Files.isRegularFile(file)) {
                System.err.println("dev-send: no such file: " + file);
                return 2;
            }
            ObjectNode event;
            try {
                event = mapper.readTree(file.toFile()) instanceof ObjectNode object ? object : null;
            } catch (IOException e) {
                event = null;
            }
            if (event == null) {
                System.err.println("dev-send: not a JSON object: " + file);
                return 2;
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .header("User-Agent", "orgsync-dev-send");
            byte[] body;
            String type;
            if (event.has("event")) {
                type = event.get("event").asText();
                event.put("timestamp", now.plusMillis(i).toString());
                body = mapper.writeValueAsBytes(event);
                request.header("X-Webhook-Signature", keys.sign(body))
                        .header("X-Webhook-Key-Id", keys.keyId())
                        .header("X-Webhook-Event", type)
                        .header("X-Webhook-Timestamp", event.get("timestamp").asText());
            } else {
                type = event.path("type").asText();
                body = Files.readAllBytes(file);
                String timestamp = Long.toString(Instant.now().getEpochSecond());
                byte[] signed = (timestamp + "." + new String(body, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
                request.header("X-AuthVital-Signature", keys.sign(signed))
                        .header("X-AuthVital-Key-Id", keys.keyId())
                        .header("X-AuthVital-Timestamp", timestamp)
                        .header("X-AuthVital-Event-Id", event.path("id").asText())
                        .header("X-AuthVital-Event-Type", type);
            }
            HttpResponse<String> response = http.send(request.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            System.out.printf("%-24s %-30s %d %s%n", type, file.getFileName(), response.statusCode(), response.body());
            if (response.statusCode() >= 300) {
                failures++;
            }
        }
        return failures == 0 ? 0 : 1;
    }
}
