package io.orgsync.http;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonAndClassifyTest {

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void storableTextPassesIncludingAstralCharacters() {
        assertThat(Json.parseObject(utf8("{\"a\":\"🚀 ℌ 日本 \\u202e\",\"b\":[\"\\ud83d\\ude80\"]}")).path("b").get(0).textValue())
                .isEqualTo("🚀");
    }

    @Test
    void nulAndLoneSurrogatesAreRefusedWhereverTheyAre() {
        for (String json : new String[] {"{\"a\":\"x\\u0000y\"}", "{\"a\\u0000\":1}", "{\"a\":[\"\\ud800\"]}",
                "{\"a\":{\"b\":\"\\udc00x\"}}", "{\"a\":\"\\ud83dx\"}"}) {
            assertThatThrownBy(() -> Json.parseObject(utf8(json))).as(json).isInstanceOf(WebhookRejection.class)
                    .extracting("code").isEqualTo("unstorable_character");
        }
    }

    @Test
    void malformedBodiesAreNamed() {
        assertThatThrownBy(() -> Json.parseObject(new byte[0])).extracting("code").isEqualTo("malformed_json");
        assertThatThrownBy(() -> Json.parseObject(utf8("{\"a\":1}{"))).extracting("code").isEqualTo("malformed_json");
        assertThatThrownBy(() -> Json.parseObject(utf8("{\"a\":1,\"a\":2}"))).extracting("code").isEqualTo("malformed_json");
        assertThatThrownBy(() -> Json.parseObject(utf8("[1]"))).extracting("code").isEqualTo("invalid_envelope");
        assertThatThrownBy(() -> Json.parseObject(new byte[] {'{', '"', (byte) 0xff, '"', ':', '1', '}'}))
                .extracting("code").isEqualTo("malformed_json");
    }

    @Test
    void failuresAreClassifiedThroughTheirCauses() {
        WebhookReplies replies = new WebhookReplies();
        assertThat(replies.classify(new DataAccessResourceFailureException("x", new SQLException("gone", "57P01"))))
                .isEqualTo("database_unavailable");
        assertThat(replies.classify(new RuntimeException(new SQLTransientConnectionException("pool timeout"))))
                .isEqualTo("database_unavailable");
        assertThat(replies.classify(new DataIntegrityViolationException("x", new SQLException("bad", "22P02"))))
                .isEqualTo("invalid_field");
        assertThat(replies.classify(new SQLException("deadlock", "40P01"))).isEqualTo("database_unavailable");
        assertThat(replies.classify(new SQLException("syntax", "42601"))).isEqualTo("internal_error");
        assertThat(replies.classify(new IllegalStateException("bug"))).isEqualTo("internal_error");
    }

    @Test
    void onlyJsonIsAccepted() {
        assertThat(WebhookGuard.isJson("application/json")).isTrue();
        assertThat(WebhookGuard.isJson("Application/JSON; charset=utf-8")).isTrue();
        assertThat(WebhookGuard.isJson("application/x-www-form-urlencoded")).isFalse();
        assertThat(WebhookGuard.isJson("application/jsonp")).isFalse();
        assertThat(WebhookGuard.isJson(null)).isFalse();
    }
}
