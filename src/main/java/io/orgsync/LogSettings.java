package io.orgsync;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The two logging settings, read before the first logger is made (log4j2 reads its configuration
 * once, before camel-main reads application.properties): {@code orgsync.log.format} (text | json)
 * and {@code orgsync.log.trail} (a level for logger io.orgsync.trail). Each from, in this order:
 * a system property of that name, the environment ({@code ORGSYNC_LOG_FORMAT},
 * {@code ORGSYNC_LOG_TRAIL}), application.properties; set as system properties for
 * src/main/resources/log4j2.xml.
 */
final class LogSettings {

    static final Map<String, String> KEYS = Map.of("orgsync.log.format", "text", "orgsync.log.trail", "WARN");

    private LogSettings() {
    }

    static void apply(Path propertiesFile, Map<String, String> env) {
        Properties file = new Properties();
        if (Files.isReadable(propertiesFile)) {
            try (Reader in = Files.newBufferedReader(propertiesFile)) {
                file.load(in);
            } catch (IOException | IllegalArgumentException e) {
                // camel-main reads the file next and says what is wrong with it
            }
        }
        KEYS.forEach((key, fallback) -> {
            String value = System.getProperty(key);
            if (value == null || value.isBlank()) {
                value = env.get(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
            }
            if (value == null || value.isBlank()) {
                value = file.getProperty(key, fallback);
            }
            System.setProperty(key, value.strip().toLowerCase(Locale.ROOT).equals("json") ? "json" : value.strip());
        });
    }
}
