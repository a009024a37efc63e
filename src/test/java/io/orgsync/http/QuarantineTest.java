package io.orgsync.http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An authentic event is never dropped: a field of an unexpected type is kept as unknown and the
 * rest applied, with warnings; an event that cannot be applied is quarantined with its raw bytes,
 * listed, shown, replayed after a fix through the same statements (dedupe holds), or discarded.
 */
class QuarantineTest {

    static final String TOKEN = "admin-token-quarantine-0123456789abcdef";

    String db;
    Path schemas;
    Path archive;
    Map<String, String> overrides;
    OrgsyncApp app;

    @BeforeEach
    void start() throws Exception {
        db = TestDatabase.newDatabaseUrl();
        // a copy of the shipped schemas, which a test makes too strict and then fixes
        schemas = Files.createTempDirectory("orgsync-schemas");
        for (String source : List.of("authvital", "clerk")) {
            Files.createDirectories(schemas.resolve(source));
            try (Stream<Path> files = Files.list(Path.of("routes/schemas", source))) {
                for (Path f : files.toList()) {
                    Files.copy(f, schemas.resolve(source).resolve(f.getFileName()));
                }
            }
        }
        archive = Files.createTempDirectory("orgsync-archive"); // one archive across the restarts
        overrides = new HashMap<>(Map.of("orgsync.admin.token", TOKEN, "orgsync.schemas.dir", schemas.toString(),
                "orgsync.quarantine.archive-poll-ms", "200", "orgsync.archive.dir", archive.toString()));
        app = OrgsyncApp.start(db, overrides);
    }

    @AfterEach
    void stop() {
        app.close();
    }

    void restart() {
        app.close();
        app = OrgsyncApp.start(db, overrides);
    }

    /** tenant.created as a signed sync event for this tenant. */
    static ObjectNode created(String id, String tenant) {
        ObjectNode event = Fixtures.seed("tenant.created");
        event.put("id", id).put("tenant_id", tenant);
        ((ObjectNode) event.get("data")).put("tenant_id", tenant);
        return event;
    }

    @Test
    void fieldsOfAnUnexpectedTypeAreKeptAsUnknownAndTheRestOfTheEventIsApplied() throws Exception {
        Instant now = Instant.now();
        ObjectNode created = Fixtures.system("tenant.created");
        ((ObjectNode) created.get("data").get("settings")).put("session_lifetime_minutes", 600).put("password_policy", "strict");
        assertThat(app.postSystem(created, now.minusSeconds(10)).status()).isEqualTo(200);

        // AuthVital's tenant settings are free JSON: an object and a string where the mirror maps a text and a number
        ObjectNode updated = Fixtures.system("tenant.updated");
        ObjectNode settings = (ObjectNode) updated.get("data").get("settings");
        settings.putObject("password_policy").put("min_length", 12).put("require_symbols", true);
        settings.put("session_lifetime_minutes", "480");
        OrgsyncApp.Reply reply = app.postSystem(updated, now);
        assertThat(reply.status()).as(reply.raw()).isEqualTo(200);
        assertThat(reply.status("status")).isEqualTo("applied");

        Map<String, Object> row = app.row("SELECT name, password_policy, session_lifetime_minutes, "
                + "data -> 'settings' -> 'password_policy' ->> 'min_length' AS sent_policy, data -> 'settings' ->> 'session_lifetime_minutes' AS sent_minutes "
                + "FROM av_organizations");
        // the rest of the event is applied; the two fields are unknown, so the known values stay; data keeps them as sent
        assertThat(row).containsEntry("name", "Acme Corp").containsEntry("password_policy", "strict")
                .containsEntry("session_lifetime_minutes", 600).containsEntry("sent_policy", "12").containsEntry("sent_minutes", "480");
        JsonNode warnings = Fixtures.MAPPER.readTree(String.valueOf(app.row(
                "SELECT warnings FROM orgsync_events WHERE event_type = 'tenant.updated'").get("warnings")));
        assertThat(warnings.findValuesAsText("field"))
                .containsExactly("/data/settings/password_policy", "/data/settings/session_lifetime_minutes");
        assertThat(warnings.findValuesAsText("problem")).allMatch(p -> !p.isBlank());
        assertThat(app.count("orgsync_events WHERE warnings IS NOT NULL")).isEqualTo(1);
        assertThat(app.count("orgsync_quarantine")).isZero();

        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + app.managementPort + "/observe/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).containsPattern("orgsync_event_field_warnings_total\\{[^}]*field=\"/data/settings/session_lifetime_minutes\"[^}]*type=\"tenant.updated\"[^}]*} 1\\.0");
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> fieldsOfAnUnexpectedType() {
        return Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("a name that is a number", (java.util.function.Consumer<ObjectNode>) d -> d.put("name", 42), "/data/name"),
                org.junit.jupiter.params.provider.Arguments.of("require_mfa as a string", (java.util.function.Consumer<ObjectNode>) d -> ((ObjectNode) d.get("settings")).put("require_mfa", "yes"), "/data/settings/require_mfa"),
                org.junit.jupiter.params.provider.Arguments.of("session_lifetime_minutes as text", (java.util.function.Consumer<ObjectNode>) d -> ((ObjectNode) d.get("settings")).put("session_lifetime_minutes", "eight hours"), "/data/settings/session_lifetime_minutes"),
                org.junit.jupiter.params.provider.Arguments.of("session_lifetime_minutes beyond an integer", (java.util.function.Consumer<ObjectNode>) d -> ((ObjectNode) d.get("settings")).put("session_lifetime_minutes", 99999999999L), "/data/settings/session_lifetime_minutes"),
                org.junit.jupiter.params.provider.Arguments.of("created_at that is not a date", (java.util.function.Consumer<ObjectNode>) d -> d.put("created_at", "last tuesday"), "/data/created_at"),
                org.junit.jupiter.params.provider.Arguments.of("allowed_email_domains as a string", (java.util.function.Consumer<ObjectNode>) d -> ((ObjectNode) d.get("settings")).put("allowed_email_domains", "test.example"), "/data/settings/allowed_email_domains"));
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("fieldsOfAnUnexpectedType")
    void aSignedEventWithAFieldOfAnUnexpectedTypeIsAppliedWithThatFieldNamed(String name, java.util.function.Consumer<ObjectNode> change, String field) {
        app.truncate();
        ObjectNode event = created("evt_typed", "tnt_typed");
        change.accept((ObjectNode) event.get("data"));
        OrgsyncApp.Reply reply = app.postSync(event);
        assertThat(reply.status()).as(reply.raw()).isEqualTo(200);
        assertThat(reply.status("status")).isEqualTo("applied");
        assertThat(app.row("SELECT slug FROM av_organizations WHERE id = 'tnt_typed'")).containsEntry("slug", "test-corp");
        assertThat(app.row("SELECT warnings::text AS w FROM orgsync_events").get("w").toString()).contains("\"" + field + "\"");
        assertThat(app.count("orgsync_quarantine")).isZero();
    }

    @Test
    void aFieldOfAnUnexpectedTypeInANewEntityLeavesItsColumnUnknown() {
        ObjectNode authvital = created("evt_named_42", "tnt_named_42");
        ((ObjectNode) authvital.get("data")).put("name", 42);
        assertThat(app.postSync(authvital).status()).isEqualTo(200);
        assertThat(app.row("SELECT name, data ->> 'name' AS sent, slug FROM av_organizations"))
                .containsEntry("name", null).containsEntry("sent", "42").containsEntry("slug", "test-corp");

        ObjectNode clerk = Fixtures.clerk("organization.created");
        ((ObjectNode) clerk.get("data")).put("name", 7).put("members_count", -1);
        assertThat(app.postClerk(clerk, "msg_clerk_types").status()).isEqualTo(200);
        assertThat(app.row("SELECT name, members_count, data ->> 'name' AS sent FROM organizations"))
                .containsEntry("name", null).containsEntry("members_count", null).containsEntry("sent", "7");
        assertThat(app.row("SELECT warnings::text AS w FROM orgsync_events WHERE source = 'clerk'").get("w").toString())
                .contains("/data/name").contains("/data/members_count");
    }

    @Test
    void anEventThatCannotBeAppliedIsQuarantinedListedShownAndReplayedOnceItsSchemaIsFixed() throws Exception {
        Path schema = schemas.resolve("authvital/tenant.created.schema.json");
        String fixedSchema = Files.readString(schema);
        // an integration engineer made the schema demand a field AuthVital does not always send
        ObjectNode strict = (ObjectNode) Fixtures.MAPPER.readTree(fixedSchema);
        strict.putArray("required").add("data").add("region");
        Files.writeString(schema, strict.toString());
        restart();

        ObjectNode first = created("evt_q_1", "tnt_q_1");
        byte[] firstBytes = Fixtures.bytes(first);
        OrgsyncApp.Reply refused = app.postSyncBytes(firstBytes, "evt_q_1", "tenant.created");
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.code()).isEqualTo("invalid_event");
        assertThat(app.postSync(created("evt_q_2", "tnt_q_2")).status()).isEqualTo(400);
        assertThat(app.postSync(created("evt_q_3", "tnt_q_3")).status()).isEqualTo(400);
        // the same delivery again is kept once
        assertThat(app.postSyncBytes(firstBytes, "evt_q_1", "tenant.created").status()).isEqualTo(400);
        assertThat(app.writtenRows()).isZero();

        OrgsyncApp.Reply list = app.admin("GET", "/admin/quarantine?source=authvital&event_type=tenant.created", TOKEN);
        assertThat(list.status()).as(list.raw()).isEqualTo(200);
        assertThat(list.json().findValuesAsText("event_id")).containsExactly("evt_q_3", "evt_q_2", "evt_q_1");
        assertThat(list.json().findValuesAsText("code")).containsOnly("invalid_event");
        long id = list.json().get(2).path("id").asLong();

        OrgsyncApp.Reply shown = app.admin("GET", "/admin/quarantine/" + id, TOKEN);
        assertThat(shown.status()).as(shown.raw()).isEqualTo(200);
        assertThat(shown.json().path("raw_body").asText()).isEqualTo(new String(firstBytes, StandardCharsets.UTF_8));
        assertThat(shown.json().path("reason").asText()).contains("region");
        assertThat(shown.json().path("headers").path("x-authvital-event-id").asText()).isEqualTo("evt_q_1");
        assertThat(shown.json().path("headers").has("x-authvital-signature")).isTrue();
        assertThat(shown.json().path("verification").path("key_id").asText()).isNotBlank();
        assertThat(shown.json().path("channel").asText()).isEqualTo("sync");

        // replayed before the fix: still failing, still held
        OrgsyncApp.Reply early = app.admin("POST", "/admin/quarantine/" + id + "/replay", TOKEN);
        assertThat(early.status()).as(early.raw()).isEqualTo(200);
        assertThat(early.json().path("status").asText()).isEqualTo("held");
        assertThat(early.json().path("outcome").asText()).startsWith("still failing: invalid_event");

        // the fix, and a restart (with a new signing key: the replay does not verify again)
        Files.writeString(schema, fixedSchema);
        restart();
        OrgsyncApp.Reply replayed = app.admin("POST", "/admin/quarantine/" + id + "/replay", TOKEN);
        assertThat(replayed.status()).as(replayed.raw()).isEqualTo(200);
        assertThat(replayed.json().path("status").asText()).isEqualTo("replayed");
        assertThat(replayed.json().path("outcome").asText()).isEqualTo("applied");
        assertThat(app.row("SELECT name, last_event_id FROM av_organizations WHERE id = 'tnt_q_1'"))
                .containsEntry("name", "Test Corp").containsEntry("last_event_id", "evt_q_1");
        assertThat(app.count("av_organization_audit_logs WHERE event_id = 'evt_q_1'")).isEqualTo(1);
        // once only: a second replay is refused, and the sender's own retry is a duplicate
        assertThat(app.admin("POST", "/admin/quarantine/" + id + "/replay", TOKEN).status()).isEqualTo(409);
        assertThat(app.postSyncBytes(firstBytes, "evt_q_1", "tenant.created").status("status")).isEqualTo("duplicate");

        // discard one with a reason (a reason is required), replay the rest by filter
        long third = list.json().get(0).path("id").asLong();
        assertThat(app.admin("POST", "/admin/quarantine/" + third + "/discard", TOKEN, "{}").code()).isEqualTo("invalid_reason");
        OrgsyncApp.Reply discarded = app.admin("POST", "/admin/quarantine/" + third + "/discard", TOKEN, "{\"reason\": \"test tenant\"}");
        assertThat(discarded.status()).as(discarded.raw()).isEqualTo(200);
        assertThat(discarded.json().path("status").asText()).isEqualTo("discarded");
        OrgsyncApp.Reply all = app.admin("POST", "/admin/quarantine/replay?event_type=tenant.created", TOKEN);
        assertThat(all.status()).as(all.raw()).isEqualTo(200);
        assertThat(all.json().path("replayed").asInt()).isEqualTo(1);
        assertThat(all.json().path("outcomes").path("applied").asInt()).isEqualTo(1);
        assertThat(app.rows("SELECT id FROM av_organizations ORDER BY id")).extracting(r -> r.get("id"))
                .containsExactly("tnt_q_1", "tnt_q_2");
        assertThat(app.admin("GET", "/admin/quarantine", TOKEN).json().size()).isZero();
        assertThat(app.admin("GET", "/admin/quarantine?status=all", TOKEN).json().size()).isEqualTo(3);

        // each is in the archive as well, under quarantine/
        OrgsyncApp.await("the quarantined events in the archive", () -> {
            try (Stream<Path> files = Files.walk(archive.resolve("quarantine/authvital"))) {
                return files.filter(Files::isRegularFile).count() == 3;
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofSeconds(20));
    }

    @Test
    void theAdminCallsNeedTheTokenAndSayWhatIsWrong() {
        assertThat(app.admin("GET", "/admin/quarantine", null).status()).isEqualTo(401);
        assertThat(app.admin("GET", "/admin/quarantine?status=lost", TOKEN).code()).isEqualTo("invalid_filter");
        assertThat(app.admin("GET", "/admin/quarantine?source=okta", TOKEN).code()).isEqualTo("invalid_filter");
        assertThat(app.admin("GET", "/admin/quarantine/12345", TOKEN).status()).isEqualTo(404);
        assertThat(app.admin("POST", "/admin/quarantine/12345/replay", TOKEN).status()).isEqualTo(404);
        assertThat(app.admin("POST", "/admin/quarantine/abc/discard", TOKEN, "{\"reason\": \"x\"}").status()).isEqualTo(404);
    }
}
