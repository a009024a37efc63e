package io.orgsync.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** Strict JSON reading for signed webhook bodies, shared by every source. */
public final class Json {

    /** Duplicate keys and trailing garbage are refused: a signed body must mean one thing. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Json() {
    }

    /** The body as a JSON object, or a 400 that says what is wrong with it. */
    public static JsonNode parseObject(byte[] body) {
        if (body == null || body.length == 0) {
            throw WebhookRejection.badRequest("malformed_json", "The body is empty");
        }
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body));
        } catch (CharacterCodingException e) {
            throw WebhookRejection.badRequest("malformed_json", "The body is not valid UTF-8");
        }
        JsonNode node;
        try (JsonParser parser = MAPPER.createParser(body)) {
            node = MAPPER.readTree(parser);
        } catch (IOException e) {
            throw WebhookRejection.badRequest("malformed_json", "The body is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (node == null || !node.isObject()) {
            throw WebhookRejection.badRequest("invalid_envelope", "The body must be a JSON object");
        }
        requireStorable(node, "$");
        return node;
    }

    /**
     * PostgreSQL cannot store U+0000 in text or jsonb, nor half of a surrogate pair: such a request
     * is refused as a whole rather than stored altered.
     */
    static void requireStorable(JsonNode node, String path) {
        if (node.isTextual()) {
            checkText(node.textValue(), path);
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                checkText(field.getKey(), path + " (a key)");
                requireStorable(field.getValue(), path + "." + field.getKey());
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                requireStorable(node.get(i), path + "[" + i + "]");
            }
        }
    }

    private static void checkText(String text, String path) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean bad = c == '\u0000';
            if (Character.isHighSurrogate(c)) {
                bad = i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(++i));
            } else if (Character.isLowSurrogate(c)) {
                bad = true;
            }
            if (bad) {
                throw WebhookRejection.badRequest("unstorable_character",
                        "A string at " + truncate(path) + " holds U+0000 or an unpaired surrogate, which PostgreSQL cannot store");
            }
        }
    }

    /** Required non-empty string member, or a 400 naming it. */
    public static String requiredText(JsonNode object, String field, String where) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            throw WebhookRejection.badRequest("invalid_envelope", where + " has no \"" + field + "\"");
        }
        if (!value.isTextual() || value.textValue().isBlank()) {
            throw WebhookRejection.badRequest("invalid_envelope", where + " \"" + field + "\" must be a non-empty string");
        }
        return value.textValue();
    }

    /** An ISO-8601 date-time with an offset (2026-11-20T10:00:00.000Z), or a 400. */
    public static Instant requiredInstant(JsonNode object, String field, String where) {
        String text = requiredText(object, field, where);
        try {
            return DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(text, Instant::from);
        } catch (DateTimeParseException e) {
            throw WebhookRejection.badRequest("invalid_envelope",
                    where + " \"" + field + "\" must be an ISO-8601 date-time with an offset, like 2026-11-20T10:00:00.000Z");
        }
    }

    static String truncate(String text) {
        return text.length() <= 120 ? text : text.substring(0, 117) + "...";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        return truncate(nl < 0 ? message : message.substring(0, nl));
    }
}
