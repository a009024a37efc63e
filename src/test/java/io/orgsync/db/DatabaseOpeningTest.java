package io.orgsync.db;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.orgsync.support.OrgsyncApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The database is opened on a thread of its own while the routes are built (start-up time): what it
 * meets there still stops the start, before any route runs, and the embedded PostgreSQL it started
 * does not outlive the failed start.
 */
class DatabaseOpeningTest {

    @Test
    void aMigrationThatFailsStopsTheStartWithItsErrorAndStopsTheEmbeddedDatabase(@TempDir Path dir) throws Exception {
        Path migrations = Files.createDirectories(dir.resolve("migrations"));
        Files.writeString(migrations.resolve("V1__broken.sql"), "CREATE TABLE orgsync_broken (id bigint PRIMARY KEY;\n");
        Path embedded = dir.resolve("pg");
        assertThatThrownBy(() -> OrgsyncApp.start("", Map.of(
                "orgsync.db.embedded-dir", embedded.toString(),
                "orgsync.db.migrations", "filesystem:" + migrations)))
                .isInstanceOf(IllegalStateException.class)
                .satisfies(e -> assertThat(causes(e)).contains("V1__broken.sql").contains("syntax error"));
        // the embedded PostgreSQL was started (its data directory made), then stopped: no server holds it
        assertThat(embedded.resolve("PG_VERSION")).exists();
        assertThat(embedded.resolve("postmaster.pid")).doesNotExist();
    }

    private static String causes(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        return all.toString();
    }
}
