package io.orgsync.clerk;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Clerk organisation mapping lives in routes/sql/functions/R__clerk_organization.sql, a
 * repeatable Flyway migration: an edit to it takes effect at the next start, on a database that
 * already ran it, with no new migration.
 */
class ClerkMappingFunctionTest {

    static final String FILE = "R__clerk_organization.sql";

    @Test
    void anEditedMappingIsRecreatedAtTheNextStartWithoutANewMigration() throws Exception {
        String db = TestDatabase.newDatabaseUrl();
        Path edited = Files.createTempDirectory("orgsync-functions");
        String original = Files.readString(Path.of("routes/sql/functions", FILE));
        assertThat(original).contains("        o ->> 'name',\n");
        // the folder as shipped, with this one file edited
        try (var files = Files.list(Path.of("routes/sql/functions"))) {
            for (Path file : files.toList()) {
                Files.copy(file, edited.resolve(file.getFileName().toString()));
            }
        }
        Files.writeString(edited.resolve(FILE), original.replace("        o ->> 'name',\n", "        upper(o ->> 'name'),\n"));

        long versioned;
        try (OrgsyncApp app = OrgsyncApp.start(db, Map.of())) {
            ClerkWebhookTest.applied(app.postClerk(Fixtures.clerk("organization.created"), "msg_before"));
            assertThat(app.row("SELECT name FROM organizations")).containsEntry("name", "Acme Inc");
            versioned = app.count("flyway_schema_history WHERE version IS NOT NULL");
        }
        try (OrgsyncApp app = OrgsyncApp.start(db, Map.of("orgsync.db.migrations", "filesystem:db/migration,filesystem:" + edited))) {
            app.truncate();
            ClerkWebhookTest.applied(app.postClerk(Fixtures.clerk("organization.created"), "msg_after"));
            assertThat(app.row("SELECT name FROM organizations")).containsEntry("name", "ACME INC");
            // Flyway ran the file once more (its checksum changed); the versioned migrations did not move
            assertThat(app.count("flyway_schema_history WHERE script = '" + FILE + "'")).isEqualTo(2);
            assertThat(app.count("flyway_schema_history WHERE version IS NOT NULL")).isEqualTo(versioned);
        }
    }
}
