package io.orgsync.authvital;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.RSAKey;
import io.orgsync.support.AuthVitalSigner;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.SharedAppTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invariants 1 and 6 (docs/invariants.md): every malformed, unsigned or forged request gets the documented
 * status and a JSON error with a stable code, and writes nothing.
 */
class BadInputTest extends SharedAppTest {

    static final RSAKey STRANGER = AuthVitalSigner.newKey();

    /** A request to send: method, path, body, headers. */
    record Request(String method, String path, byte[] body, Map<String, String> headers) {
        Request with(String header, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            if (value == null) {
                h.remove(header);
            } else {
                h.put(header, value);
            }
            return new Request(method, path, body, h);
        }
    }

    static Request sync(byte[] body, String id, String type, long ts) {
        return new Request("POST", "/webhooks/authvital", body, app.signer.syncHeaders(body, id, type, ts));
    }

    static Request sync(byte[] body) {
        return sync(body, "evt_test001", "tenant.created", AuthVitalSigner.now());
    }

    static Request sync(ObjectNode event) {
        return sync(Fixtures.bytes(event), event.path("id").asText("evt_test001"), event.path("type").asText("tenant.created"),
                AuthVitalSigner.now());
    }

    static Request system(byte[] body, Instant ts) {
        return new Request("POST", "/webhooks/authvital", body, app.signer.systemHeaders(body, "tenant.created", ts.toString()));
    }

    static Request system(ObjectNode event) {
        Instant now = Instant.now();
        event.put("timestamp", now.toString());
        return system(Fixtures.bytes(event), now);
    }

    static ObjectNode seed() {
        return Fixtures.seed("tenant.created");
    }

    static ObjectNode seedWith(Function<ObjectNode, Object> change) {
        ObjectNode event = seed();
        change.apply((ObjectNode) event.get("data"));
        return event;
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static Arguments bad(String name, java.util.function.Supplier<Request> request, int status, String code) {
        return Arguments.of(name, request, status, code);
    }

    static Stream<Arguments> corpus() {
        byte[] seedBody = Fixtures.rawSeed("tenant.created");
        return Stream.of(
                // ---- authenticity: 401 ----
                bad("one byte of a sync body changed", () -> {
                    Request r = sync(seedBody);
                    byte[] tampered = Arrays.copyOf(seedBody, seedBody.length);
                    tampered[40] ^= 1;
                    return new Request(r.method, r.path, tampered, r.headers);
                }, 401, "invalid_signature"),
                bad("one byte of a system body changed", () -> {
                    Request r = system(Fixtures.system("tenant.created"));
                    byte[] tampered = r.body.clone();
                    tampered[tampered.length - 3] ^= 1;
                    return new Request(r.method, r.path, tampered, r.headers);
                }, 401, "invalid_signature"),
                bad("signed by a key AuthVital never published", () -> {
                    long ts = AuthVitalSigner.now();
                    return new Request("POST", "/webhooks/authvital", seedBody,
                            AuthVitalSigner.syncHeaders(STRANGER, seedBody, "evt_test001", "tenant.created", ts));
                }, 401, "unknown_key"),
                bad("signed by another key, claiming the published kid", () -> sync(seedBody)
                        .with("X-AuthVital-Signature", AuthVitalSigner.sign(STRANGER, (AuthVitalSigner.now() + "." + new String(seedBody, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8))),
                        401, "invalid_signature"),
                bad("the signature of another body", () -> {
                    Request other = sync(Fixtures.rawSeed("tenant.updated"));
                    return sync(seedBody).with("X-AuthVital-Signature", other.headers.get("X-AuthVital-Signature"));
                }, 401, "invalid_signature"),
                bad("the signature of the same body at another timestamp", () -> {
                    Request r = sync(seedBody);
                    return r.with("X-AuthVital-Timestamp", Long.toString(AuthVitalSigner.now() - 5));
                }, 401, "invalid_signature"),
                bad("a stale sync timestamp", () -> sync(seedBody, "evt_test001", "tenant.created", AuthVitalSigner.now() - 301), 401, "stale_timestamp"),
                bad("a future sync timestamp", () -> sync(seedBody, "evt_test001", "tenant.created", AuthVitalSigner.now() + 301), 401, "future_timestamp"),
                bad("a stale system timestamp", () -> {
                    ObjectNode e = Fixtures.system("tenant.created");
                    Instant old = Instant.now().minusSeconds(301);
                    e.put("timestamp", old.toString());
                    return system(Fixtures.bytes(e), old);
                }, 401, "stale_timestamp"),
                bad("a future system timestamp", () -> {
                    ObjectNode e = Fixtures.system("tenant.created");
                    Instant future = Instant.now().plusSeconds(301);
                    e.put("timestamp", future.toString());
                    return system(Fixtures.bytes(e), future);
                }, 401, "future_timestamp"),
                bad("no signature header at all", () -> sync(seedBody).with("X-AuthVital-Signature", null), 401, "missing_signature"),
                bad("no X-AuthVital-Key-Id", () -> sync(seedBody).with("X-AuthVital-Key-Id", null), 401, "missing_key_id"),
                bad("no X-AuthVital-Timestamp", () -> sync(seedBody).with("X-AuthVital-Timestamp", null), 401, "missing_timestamp"),
                bad("no X-Webhook-Key-Id", () -> system(Fixtures.system("tenant.created")).with("X-Webhook-Key-Id", null), 401, "missing_key_id"),
                bad("a signature that is not base64", () -> sync(seedBody).with("X-AuthVital-Signature", "not*base64!"), 401, "invalid_signature"),
                bad("a timestamp that is not unix seconds", () -> sync(seedBody).with("X-AuthVital-Timestamp", "2026-11-20T10:00:00Z"), 401, "invalid_timestamp"),
                bad("both signature headers", () -> sync(seedBody).with("X-Webhook-Signature", "AAAA"), 401, "ambiguous_signature"),
                bad("an empty body without signature", () -> new Request("POST", "/webhooks/authvital", new byte[0], Map.of("Content-Type", "application/json")), 401, "missing_signature"),
                bad("signatures only in the query string", () -> {
                    Request r = sync(seedBody);
                    String query = "?X-AuthVital-Signature=" + java.net.URLEncoder.encode(r.headers.get("X-AuthVital-Signature"), StandardCharsets.UTF_8)
                            + "&X-AuthVital-Key-Id=" + r.headers.get("X-AuthVital-Key-Id") + "&X-AuthVital-Timestamp=" + r.headers.get("X-AuthVital-Timestamp");
                    return new Request("POST", "/webhooks/authvital" + query, seedBody, Map.of("Content-Type", "application/json"));
                }, 401, "missing_signature"),
                // ---- malformed: 400 ----
                bad("an empty body, signed", () -> system(new byte[0], Instant.now()), 400, "malformed_json"),
                bad("a body that is not JSON, signed", () -> sync(utf8("tenant created, trust me")), 400, "malformed_json"),
                bad("a JSON array, signed", () -> sync(utf8("[" + new String(seedBody, StandardCharsets.UTF_8) + "]")), 400, "invalid_envelope"),
                bad("JSON with trailing garbage", () -> sync(utf8(new String(seedBody, StandardCharsets.UTF_8) + " {}")), 400, "malformed_json"),
                bad("a key given twice", () -> sync(utf8("{\"id\":\"evt_test001\",\"id\":\"evt_other\",\"type\":\"tenant.created\",\"timestamp\":\"2026-11-20T10:00:00Z\",\"data\":{}}")), 400, "malformed_json"),
                bad("bytes that are not UTF-8", () -> {
                    byte[] body = utf8("{\"id\":\"evt_test001\",\"type\":\"tenant.created\",\"timestamp\":\"2026-11-20T10:00:00Z\",\"data\":{\"tenant_id\":\"t\",\"name\":\"XX\",\"slug\":\"s\"}}");
                    int at = new String(body, StandardCharsets.UTF_8).indexOf("XX");
                    body[at] = (byte) 0xC3;
                    body[at + 1] = (byte) 0x28;
                    return sync(body);
                }, 400, "malformed_json"),
                bad("no event id", () -> {
                    ObjectNode e = seed();
                    e.remove("id");
                    return sync(Fixtures.bytes(e), "evt_test001", "tenant.created", AuthVitalSigner.now()).with("X-AuthVital-Event-Id", null);
                }, 400, "invalid_envelope"),
                bad("no data object", () -> {
                    ObjectNode e = seed();
                    e.put("data", "tenant");
                    return sync(e);
                }, 400, "invalid_envelope"),
                bad("a timestamp that is not a date", () -> {
                    ObjectNode e = seed();
                    e.put("timestamp", "yesterday");
                    return sync(e);
                }, 400, "invalid_envelope"),
                bad("a numeric event id", () -> {
                    ObjectNode e = seed();
                    e.put("id", 12345);
                    return sync(Fixtures.bytes(e), "12345", "tenant.created", AuthVitalSigner.now());
                }, 400, "invalid_envelope"),
                bad("an event type that is a path", () -> {
                    ObjectNode e = seed();
                    e.put("type", "../../etc/passwd");
                    return sync(e);
                }, 400, "invalid_envelope"),
                bad("a system body sent with sync headers", () -> {
                    ObjectNode e = Fixtures.system("tenant.created");
                    return sync(Fixtures.bytes(e), "evt_x", "tenant.created", AuthVitalSigner.now()).with("X-AuthVital-Event-Id", null).with("X-AuthVital-Event-Type", null);
                }, 400, "invalid_envelope"),
                bad("a created_at PostgreSQL cannot hold (year 0)", () -> sync(seedWith(d -> d.put("created_at", "0000-01-01T00:00:00Z"))), 400, "invalid_field"),
                bad("a tenant event without tenant_id", () -> sync(seedWith(d -> d.remove("tenant_id"))), 400, "invalid_event"),
                bad("a grant for neither a user nor a subscription", () -> {
                    ObjectNode e = Fixtures.system("tenant.app.granted");
                    ((ObjectNode) e.get("data")).remove("user_id");
                    return system(e).with("X-Webhook-Event", "tenant.app.granted");
                }, 400, "invalid_event"),
                bad("U+0000 in a name", () -> sync(seedWith(d -> d.put("name", "Acme\u0000Corp"))), 400, "unstorable_character"),
                bad("half a surrogate pair in a slug", () -> sync(utf8(new String(seedBody, StandardCharsets.UTF_8).replace("\"test-corp\"", "\"test-\\ud800corp\""))), 400, "unstorable_character"),
                bad("X-AuthVital-Event-Id contradicting the body", () -> sync(seedBody).with("X-AuthVital-Event-Id", "evt_other"), 400, "header_mismatch"),
                bad("X-AuthVital-Event-Type contradicting the body", () -> sync(seedBody).with("X-AuthVital-Event-Type", "tenant.deleted"), 400, "header_mismatch"),
                bad("X-Webhook-Event contradicting the body", () -> system(Fixtures.system("tenant.created")).with("X-Webhook-Event", "tenant.deleted"), 400, "header_mismatch"),
                bad("X-Webhook-Timestamp contradicting the body", () -> system(Fixtures.system("tenant.created")).with("X-Webhook-Timestamp", "2020-01-01T00:00:00Z"), 400, "header_mismatch"),
                // ---- transport ----
                bad("a 2 MiB body", () -> {
                    ObjectNode e = seedWith(d -> d.put("padding", "x".repeat(2 * 1024 * 1024)));
                    return sync(e);
                }, 413, "body_too_large"),
                bad("a form-encoded body", () -> sync(seedBody).with("Content-Type", "application/x-www-form-urlencoded"), 415, "unsupported_media_type"),
                bad("no content type", () -> sync(seedBody).with("Content-Type", null), 415, "unsupported_media_type"),
                bad("text/plain", () -> sync(seedBody).with("Content-Type", "text/plain"), 415, "unsupported_media_type"),
                bad("GET instead of POST", () -> new Request("GET", "/webhooks/authvital", null, Map.of()), 405, "method_not_allowed"),
                bad("PUT instead of POST", () -> {
                    Request r = sync(seedBody);
                    return new Request("PUT", r.path, r.body, r.headers);
                }, 405, "method_not_allowed"));
    }

    @ParameterizedTest(name = "{0} -> {2} {3}")
    @MethodSource("corpus")
    void isRefusedWithAClearErrorAndWritesNothing(String name, java.util.function.Supplier<Request> make, int status, String code) {
        Request request = make.get();
        OrgsyncApp.Reply reply = app.send(request.method, request.path, request.body, request.headers);
        assertThat(reply.status()).as(reply.raw()).isEqualTo(status);
        assertThat(reply.json()).as("a JSON body: " + reply.raw()).isNotNull();
        assertThat(reply.code()).as(reply.raw()).isEqualTo(code);
        assertThat(reply.json().path("message").asText()).isNotBlank();
        assertThat(reply.raw()).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("io.orgsync.");
        assertThat(reply.headers().keySet()).noneMatch(h -> h.toLowerCase().startsWith("x-authvital") || h.toLowerCase().startsWith("x-webhook"));
        assertThat(app.writtenRows()).as("rows written").isZero();
        // past the signature an event is authentic: a 400 is kept in the quarantine, byte for byte;
        // anything refused before (401, 405, 413, 415) is stored nowhere
        if (status == 400) {
            Map<String, Object> kept = app.row("SELECT code, raw_body, verification ->> 'verified' AS verified FROM orgsync_quarantine");
            assertThat(kept).containsEntry("code", code).containsEntry("verified", "true");
            assertThat((byte[]) kept.get("raw_body")).isEqualTo(request.body);
        } else {
            assertThat(app.count("orgsync_quarantine")).as("quarantined").isZero();
        }
    }
}
