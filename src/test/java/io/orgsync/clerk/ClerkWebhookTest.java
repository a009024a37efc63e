package io.orgsync.clerk;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.AuthVitalSigner;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.SharedAppTest;
import io.orgsync.support.SvixSigner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Clerk organisations and memberships over real HTTP with real Svix signatures, into a real PostgreSQL. */
class ClerkWebhookTest extends SharedAppTest {

    static final String ORG = "org_29w9UtdX4K9Z5nJ2";

    static void applied(OrgsyncApp.Reply reply) {
        assertThat(reply.status()).as(reply.raw()).isEqualTo(200);
        assertThat(reply.status("status")).isEqualTo("applied");
    }

    @Test
    void everyEventTypeLandsInTheSeedTables() {
        applied(app.postClerk(Fixtures.clerk("organization.created"), "msg_1"));
        Map<String, Object> org = app.row("SELECT *, created_at = to_timestamp(1763632800) AS created_ok FROM organizations");
        assertThat(org).containsEntry("id", ORG).containsEntry("name", "Acme Inc").containsEntry("slug", "acme-inc")
                .containsEntry("image_url", "https://img.example/org.png").containsEntry("members_count", 2)
                .containsEntry("status", "active").containsEntry("from_membership", false).containsEntry("created_ok", true);
        assertThat(org.get("public_metadata").toString()).contains("\"tier\": \"pro\"");

        applied(app.postClerk(Fixtures.clerk("organization.updated"), "msg_2"));
        assertThat(app.row("SELECT name FROM organizations")).containsEntry("name", "Acme Incorporated");

        applied(app.postClerk(Fixtures.clerk("organizationMembership.created"), "msg_3"));
        Map<String, Object> member = app.row("SELECT *, joined_at = to_timestamp(1763632800) AS joined_ok FROM organization_members");
        assertThat(member).containsEntry("id", "orgmem_2xyz").containsEntry("organization_id", ORG)
                .containsEntry("user_id", "user_2abc").containsEntry("role", "org:admin").containsEntry("member_role", "admin")
                .containsEntry("identifier", "ada@acme.example").containsEntry("first_name", "Ada")
                .containsEntry("status", "active").containsEntry("joined_ok", true);
        // the membership's older embedded copy of the organisation does not roll the name back
        assertThat(app.row("SELECT name FROM organizations")).containsEntry("name", "Acme Incorporated");

        applied(app.postClerk(Fixtures.clerk("organizationMembership.updated"), "msg_4"));
        assertThat(app.row("SELECT role, member_role FROM organization_members"))
                .containsEntry("role", "org:member").containsEntry("member_role", "member");

        applied(app.postClerk(Fixtures.clerk("organizationMembership.deleted"), "msg_5"));
        assertThat(app.row("SELECT status, deleted_at IS NOT NULL AS tomb FROM organization_members"))
                .containsEntry("status", "deleted").containsEntry("tomb", true);

        applied(app.postClerk(Fixtures.clerk("organization.deleted"), "msg_6"));
        assertThat(app.row("SELECT status, deleted_at = to_timestamp(1763636400) AS at_ok, name FROM organizations"))
                .containsEntry("status", "deleted").containsEntry("at_ok", true).containsEntry("name", "Acme Incorporated");

        assertThat(app.rows("SELECT entity_type, event_type FROM av_organization_audit_logs WHERE source = 'clerk' ORDER BY id"))
                .extracting(r -> r.get("event_type")).containsExactly("organization.created", "organization.updated",
                        "organizationMembership.created", "organizationMembership.updated", "organizationMembership.deleted",
                        "organization.deleted");
        assertThat(app.row("SELECT event_id, channel FROM orgsync_events WHERE event_type = 'organization.created'"))
                .containsEntry("event_id", "msg_1").containsEntry("channel", "svix");
    }

    @Test
    void deletingTheOrganisationTombstonesItsMembershipsAndNothingOlderUndoesIt() {
        applied(app.postClerk(Fixtures.clerk("organizationMembership.created"), "msg_m"));
        applied(app.postClerk(Fixtures.clerk("organization.deleted"), "msg_d"));
        assertThat(app.row("SELECT status FROM organization_members")).containsEntry("status", "deleted");
        // a late, older update of the organisation and of the membership
        applied(app.postClerk(Fixtures.clerk("organization.updated"), "msg_late_org"));
        applied(app.postClerk(Fixtures.clerk("organizationMembership.updated"), "msg_late_member"));
        assertThat(app.row("SELECT status FROM organizations")).containsEntry("status", "deleted");
        assertThat(app.row("SELECT status FROM organization_members")).containsEntry("status", "deleted");
    }

    @Test
    void aMembershipBeforeItsOrganisationIsKeptAndCompletedLater() {
        applied(app.postClerk(Fixtures.clerk("organizationMembership.created"), "msg_first"));
        assertThat(app.row("SELECT organization_id, status FROM organization_members"))
                .containsEntry("organization_id", ORG).containsEntry("status", "active");
        assertThat(app.row("SELECT name, from_membership FROM organizations"))
                .containsEntry("name", "Acme Inc").containsEntry("from_membership", true);
        applied(app.postClerk(Fixtures.clerk("organization.updated"), "msg_org"));
        assertThat(app.row("SELECT name, from_membership FROM organizations"))
                .containsEntry("name", "Acme Incorporated").containsEntry("from_membership", false);
    }

    @Test
    void membershipsEmbeddingTheSameOrganisationStateLeaveTheSameRowInEitherOrder() {
        // two memberships of one organisation, each embedding it as it is (the same updated_at)
        ObjectNode first = Fixtures.clerk("organizationMembership.created");
        ObjectNode second = Fixtures.clerk("organizationMembership.created");
        ((ObjectNode) second.get("data")).put("id", "orgmem_other");
        applied(app.postClerk(first, "msg_tie_a"));
        applied(app.postClerk(second, "msg_tie_b"));
        Map<String, Object> inOrder = app.row("SELECT name, last_event_id FROM organizations");
        app.truncate();
        applied(app.postClerk(second, "msg_tie_b"));
        applied(app.postClerk(first, "msg_tie_a"));
        assertThat(app.row("SELECT name, last_event_id FROM organizations")).isEqualTo(inOrder).containsEntry("last_event_id", "msg_tie_b");
        // a deletion wins over both, whenever it comes
        applied(app.postClerk(Fixtures.clerk("organization.deleted"), "msg_tie_0_deleted"));
        applied(app.postClerk(first, "msg_tie_c"));
        assertThat(app.row("SELECT status, last_event_id FROM organizations"))
                .containsEntry("status", "deleted").containsEntry("last_event_id", "msg_tie_0_deleted");
    }

    @Test
    void outOfOrderUpdatesEndOnTheNewest() {
        applied(app.postClerk(Fixtures.clerk("organization.updated"), "msg_newer"));
        applied(app.postClerk(Fixtures.clerk("organization.created"), "msg_older"));
        assertThat(app.row("SELECT name, updated_at = to_timestamp(1763636400) AS newest FROM organizations"))
                .containsEntry("name", "Acme Incorporated").containsEntry("newest", true);
        applied(app.postClerk(Fixtures.clerk("organizationMembership.updated"), "msg_m_newer"));
        applied(app.postClerk(Fixtures.clerk("organizationMembership.created"), "msg_m_older"));
        assertThat(app.row("SELECT role FROM organization_members")).containsEntry("role", "org:member");
    }

    @Test
    void theSameSvixIdFiveTimesConcurrentlyHasOneEffect() throws Exception {
        byte[] body = Fixtures.bytes(Fixtures.clerk("organization.created"));
        Map<String, String> headers = SvixSigner.headers(OrgsyncApp.CLERK_SECRET, "msg_dup", AuthVitalSigner.now(), body);
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<OrgsyncApp.Reply>> futures = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return app.send("POST", "/webhooks/clerk", body, headers);
                }));
            }
            start.countDown();
            List<String> statuses = new ArrayList<>();
            for (Future<OrgsyncApp.Reply> f : futures) {
                assertThat(f.get().status()).isEqualTo(200);
                statuses.add(f.get().status("status"));
            }
            assertThat(statuses).containsOnlyOnce("applied").filteredOn("duplicate"::equals).hasSize(4);
        } finally {
            pool.shutdownNow();
        }
        assertThat(app.count("orgsync_events")).isEqualTo(1);
        assertThat(app.count("organizations")).isEqualTo(1);
        assertThat(app.count("av_organization_audit_logs")).isEqualTo(1);
    }

    @Test
    void otherClerkEventsAreRecordedAndIgnored() {
        ObjectNode user = Fixtures.clerk("organization.created");
        user.put("type", "user.created");
        OrgsyncApp.Reply reply = app.postClerk(user, "msg_user");
        assertThat(reply.status()).isEqualTo(202);
        assertThat(reply.status("status")).isEqualTo("ignored");
        assertThat(app.count("organizations")).isZero();
    }

    @Test
    void eventsWithoutATenantAreNotHeldBackByEachOthersRetries() throws Exception {
        // the first user.created's archive delivery is in back-off for an hour
        app.camel().getRouteController().stopRoute("deliver-archive");
        try {
            ObjectNode first = Fixtures.clerk("organization.created");
            first.put("type", "user.created");
            assertThat(app.postClerk(first, "msg_user_0").status()).isEqualTo(202);
            OrgsyncApp.await("its archive row planned", () -> app.outbox("archive", "pending") == 1, Duration.ofSeconds(20));
            app.rows("UPDATE orgsync_outbox SET next_attempt_at = now() + interval '1 hour', attempts = 1 "
                    + "WHERE target = 'archive' RETURNING id");
        } finally {
            app.camel().getRouteController().startRoute("deliver-archive");
        }
        for (int i = 1; i <= 5; i++) {
            ObjectNode user = Fixtures.clerk("organization.created");
            user.put("type", "user.created");
            assertThat(app.postClerk(user, "msg_user_" + i).status()).isEqualTo(202);
        }
        // the five later events are archived while the first one waits for its retry
        OrgsyncApp.await("five archived", () -> app.outbox("archive", "done") == 5, Duration.ofSeconds(20));
        assertThat(app.outbox("archive", "pending")).isEqualTo(1);
        assertThat(app.rows("SELECT DISTINCT order_key FROM orgsync_outbox WHERE target = 'archive'")).hasSize(6);
    }

    /**
     * A membership and its organisation's deletion applied at the same moment, by different flushers
     * (two statements, two transactions): the member must not stay active in a deleted organisation,
     * whether the organisation was known before (100 pairs) or arrives first in the membership (100).
     */
    @Test
    void aMembershipRacingItsOrganisationsDeletionNeverStaysActive() throws Exception {
        int pairs = 200;
        for (int i = 0; i < pairs; i++) {
            String org = "org_race_" + i;
            if (i % 2 == 0) {
                ObjectNode created = Fixtures.clerk("organization.created");
                ((ObjectNode) created.get("data")).put("id", org);
                assertThat(app.postClerk(created, "msg_race_org_" + i).status()).isEqualTo(200);
            }
            ObjectNode membership = Fixtures.clerk("organizationMembership.created");
            ((ObjectNode) membership.get("data")).put("id", "orgmem_race_" + i);
            ((ObjectNode) membership.get("data").get("organization")).put("id", org);
            ObjectNode deleted = Fixtures.clerk("organization.deleted");
            ((ObjectNode) deleted.get("data")).put("id", org);
            String n = Integer.toString(i);
            List<OrgsyncApp.Reply> replies = io.orgsync.support.Concurrently.run(List.of(
                    () -> app.postClerk(membership, "msg_race_mem_" + n),
                    () -> app.postClerk(deleted, "msg_race_del_" + n)));
            assertThat(replies).extracting(OrgsyncApp.Reply::status).containsOnly(200);
        }
        assertThat(app.rows("SELECT o.id FROM organizations o WHERE o.id LIKE 'org_race_%' AND o.status <> 'deleted'")).isEmpty();
        assertThat(app.rows("SELECT m.id, m.organization_id FROM organization_members m "
                + "WHERE m.id LIKE 'orgmem_race_%' AND m.status <> 'deleted'")).as("active members of deleted organisations").isEmpty();
        assertThat(app.count("organization_members")).isEqualTo(pairs);
    }

    @Test
    void clerkEventsFanOutToTheArchiveAndTheAuditSink() {
        applied(app.postClerk(Fixtures.clerk("organization.created"), "msg_fan"));
        OrgsyncApp.await("the fan-out", app::fanoutSettled, Duration.ofSeconds(30));
        assertThat(app.outbox("archive", "done")).isEqualTo(1);
        assertThat(app.outbox("audit-sink", "done")).isEqualTo(1);
        assertThat(app.workDir.resolve("archive/clerk")).isDirectory();
    }

    // ---- bad input: 4xx JSON and nothing written --------------------------------------------------

    record Request(byte[] body, Map<String, String> headers) {
    }

    static Request signed(byte[] body, String id, long ts) {
        return new Request(body, SvixSigner.headers(OrgsyncApp.CLERK_SECRET, id, ts, body));
    }

    static Request signed(ObjectNode body) {
        return signed(Fixtures.bytes(body), "msg_bad", AuthVitalSigner.now());
    }

    static Request with(Request r, String header, String value) {
        Map<String, String> h = new java.util.LinkedHashMap<>(r.headers());
        if (value == null) {
            h.remove(header);
        } else {
            h.put(header, value);
        }
        return new Request(r.body(), h);
    }

    static ObjectNode org(java.util.function.Consumer<ObjectNode> change) {
        ObjectNode event = Fixtures.clerk("organization.created");
        change.accept((ObjectNode) event.get("data"));
        return event;
    }

    static Arguments bad(String name, Supplier<Request> request, int status, String code) {
        return Arguments.of(name, request, status, code);
    }

    static Stream<Arguments> corpus() {
        byte[] body = Fixtures.bytes(Fixtures.clerk("organization.created"));
        return Stream.of(
                bad("one byte changed", () -> {
                    Request r = signed(body, "msg_x", AuthVitalSigner.now());
                    byte[] t = body.clone();
                    t[20] ^= 1;
                    return new Request(t, r.headers());
                }, 401, "invalid_signature"),
                bad("another secret", () -> new Request(body, SvixSigner.headers("whsec_" + java.util.Base64.getEncoder()
                        .encodeToString("another-secret-of-32-bytes-long!".getBytes(StandardCharsets.UTF_8)), "msg_x", AuthVitalSigner.now(), body)),
                        401, "invalid_signature"),
                bad("the signature of another message id", () -> with(signed(body, "msg_x", AuthVitalSigner.now()), "svix-id", "msg_y"), 401, "invalid_signature"),
                bad("a stale timestamp", () -> signed(body, "msg_x", AuthVitalSigner.now() - 301), 401, "stale_timestamp"),
                bad("a future timestamp", () -> signed(body, "msg_x", AuthVitalSigner.now() + 301), 401, "future_timestamp"),
                bad("no svix-signature", () -> with(signed(body, "msg_x", AuthVitalSigner.now()), "svix-signature", null), 401, "missing_signature"),
                bad("no svix-id", () -> with(signed(body, "msg_x", AuthVitalSigner.now()), "svix-id", null), 401, "missing_id"),
                bad("no svix-timestamp", () -> with(signed(body, "msg_x", AuthVitalSigner.now()), "svix-timestamp", null), 401, "missing_timestamp"),
                bad("a timestamp that is not a number", () -> with(signed(body, "msg_x", AuthVitalSigner.now()), "svix-timestamp", "soon"), 401, "invalid_timestamp"),
                bad("a signature that is not base64", () -> with(signed(body, "msg_x", AuthVitalSigner.now()), "svix-signature", "v1,***"), 401, "invalid_signature"),
                bad("an unknown signature version only", () -> with(signed(body, "msg_x", AuthVitalSigner.now()), "svix-signature", "v2,abc="), 401, "invalid_signature"),
                bad("an empty body, signed", () -> signed(new byte[0], "msg_x", AuthVitalSigner.now()), 400, "malformed_json"),
                bad("not JSON, signed", () -> signed("organization created".getBytes(StandardCharsets.UTF_8), "msg_x", AuthVitalSigner.now()), 400, "malformed_json"),
                bad("a JSON array, signed", () -> signed("[1,2]".getBytes(StandardCharsets.UTF_8), "msg_x", AuthVitalSigner.now()), 400, "invalid_envelope"),
                bad("no type", () -> {
                    ObjectNode e = Fixtures.clerk("organization.created");
                    e.remove("type");
                    return signed(e);
                }, 400, "invalid_envelope"),
                bad("a timestamp that is text", () -> {
                    ObjectNode e = Fixtures.clerk("organization.created");
                    e.put("timestamp", "now");
                    return signed(e);
                }, 400, "invalid_envelope"),
                bad("an object that is not an event", () -> {
                    ObjectNode e = Fixtures.clerk("organization.created");
                    e.put("object", "organization");
                    return signed(e);
                }, 400, "invalid_envelope"),
                bad("no data", () -> {
                    ObjectNode e = Fixtures.clerk("organization.created");
                    e.remove("data");
                    return signed(e);
                }, 400, "invalid_envelope"),
                bad("an organisation without id", () -> signed(org(d -> d.remove("id"))), 400, "invalid_event"),
                bad("updated_at as an ISO string", () -> signed(org(d -> d.put("updated_at", "2026-11-20T10:00:00Z"))), 400, "invalid_event"),
                bad("a membership without its organisation", () -> {
                    ObjectNode e = Fixtures.clerk("organizationMembership.created");
                    ((ObjectNode) e.get("data")).remove("organization");
                    return signed(e);
                }, 400, "invalid_event"),
                bad("U+0000 in a name", () -> signed(org(d -> d.put("name", "Acme\u0000"))), 400, "unstorable_character"),
                bad("a 2 MiB body", () -> signed(org(d -> d.put("padding", "x".repeat(2 * 1024 * 1024)))), 413, "body_too_large"),
                bad("form-encoded", () -> with(signed(body, "msg_x", AuthVitalSigner.now()), "Content-Type", "application/x-www-form-urlencoded"), 415, "unsupported_media_type"),
                bad("signature only in the query string", () -> new Request(body, Map.of("Content-Type", "application/json")), 401, "missing_signature"));
    }

    @ParameterizedTest(name = "{0} -> {2} {3}")
    @MethodSource("corpus")
    void badInputIsRefusedWithAClearErrorAndWritesNothing(String name, Supplier<Request> make, int status, String code) {
        Request request = make.get();
        String path = name.contains("query string") ? "/webhooks/clerk?svix-id=msg_q&svix-timestamp=1&svix-signature=v1,abc" : "/webhooks/clerk";
        OrgsyncApp.Reply reply = app.send("POST", path, request.body(), request.headers());
        assertThat(reply.status()).as(reply.raw()).isEqualTo(status);
        assertThat(reply.code()).as(reply.raw()).isEqualTo(code);
        assertThat(reply.json().path("message").asText()).isNotBlank();
        assertThat(reply.raw()).doesNotContain("Exception").doesNotContain(OrgsyncApp.CLERK_SECRET);
        assertThat(app.writtenRows()).isZero();
        // a 400 comes after the signature: the authentic event is kept in the quarantine, byte for byte
        if (status == 400) {
            Map<String, Object> kept = app.row("SELECT code, raw_body, verification ->> 'message_id' AS id FROM orgsync_quarantine");
            assertThat(kept).containsEntry("code", code);
            assertThat((byte[]) kept.get("raw_body")).isEqualTo(request.body());
        } else {
            assertThat(app.count("orgsync_quarantine")).isZero();
        }
    }
}
