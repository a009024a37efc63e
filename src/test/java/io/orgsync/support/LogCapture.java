package io.orgsync.support;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/** Every log event of the test's JVM while attached: its logger, level, text (with its causes) and MDC. */
public final class LogCapture extends AbstractAppender {

    public record Line(String logger, String level, String text, Map<String, String> mdc) {
    }

    public final List<Line> events = new CopyOnWriteArrayList<>();
    /** The text of each event, with its causes. */
    public final List<String> lines = new CopyOnWriteArrayList<>();

    public LogCapture() {
        super("capture", null, null, true, Property.EMPTY_ARRAY);
    }

    @Override
    public void append(LogEvent event) {
        StringBuilder line = new StringBuilder(event.getMessage().getFormattedMessage());
        for (Throwable t = event.getThrown(); t != null; t = t.getCause()) {
            line.append(" | ").append(t);
        }
        lines.add(line.toString());
        events.add(new Line(event.getLoggerName(), event.getLevel().name(), line.toString(), Map.copyOf(event.getContextData().toMap())));
    }

    /** Attaches to the root logger, io.orgsync at DEBUG (the event trail included). */
    public void attach() {
        start();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().addAppender(this, Level.DEBUG, null);
        context.getConfiguration().getLoggerConfig("io.orgsync").setLevel(Level.DEBUG);
        context.getConfiguration().getLoggerConfig("io.orgsync.trail").setLevel(Level.DEBUG);
        context.updateLoggers();
    }

    public void detach() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().removeAppender(getName());
        context.getConfiguration().getLoggerConfig("io.orgsync.trail").setLevel(Level.WARN);
        context.updateLoggers();
        stop();
    }
}
