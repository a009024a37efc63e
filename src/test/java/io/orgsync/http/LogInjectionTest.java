package io.orgsync.http;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.support.AuthVitalSigner;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.SharedAppTest;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A value from a request that holds CR or LF cannot start a log line of its own in the jar's log layout. */
class LogInjectionTest extends SharedAppTest {

    @Test
    void anEventIdWithLineBreaksIsLoggedOnOneLine() throws Exception {
        Matcher m = Pattern.compile("PatternLayout pattern=\"([^\"]+)\"").matcher(Files.readString(Path.of("src/main/resources/log4j2.xml")));
        assertThat(m.find()).isTrue();
        PatternLayout jarLayout = PatternLayout.newBuilder().withPattern(m.group(1)).build();
        List<String> written = new CopyOnWriteArrayList<>();
        AbstractAppender capture = new AbstractAppender("injection", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                written.add(jarLayout.toSerializable(event));
            }
        };
        capture.start();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().addAppender(capture, Level.INFO, null);
        context.updateLoggers();
        try {
            ObjectNode event = Fixtures.seed("tenant.created");
            String id = "evt_x\r\n2026-11-30 ERROR forged line";
            event.put("id", id);
            ((ObjectNode) event.get("data")).remove("tenant_id");
            event.remove("tenant_id");
            byte[] body = Fixtures.bytes(event);
            Map<String, String> headers = new java.util.HashMap<>(app.signer.syncHeaders(body, "unused", "tenant.created", AuthVitalSigner.now()));
            headers.remove("X-AuthVital-Event-Id");
            OrgsyncApp.Reply reply = app.post(body, headers);
            assertThat(reply.status()).as(reply.raw()).isEqualTo(400);
        } finally {
            context.getConfiguration().getRootLogger().removeAppender("injection");
            context.updateLoggers();
            capture.stop();
        }
        assertThat(written).anyMatch(line -> line.contains("evt_x\\r\\n2026-11-30 ERROR forged line"));
        assertThat(written).allMatch(line -> line.indexOf('\n') == line.length() - 1 && line.indexOf('\r') < 0);
    }
}
