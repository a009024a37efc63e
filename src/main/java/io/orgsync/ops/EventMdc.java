package io.orgsync.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.apache.camel.Exchange;
import org.apache.camel.spi.CamelLogger;
import org.apache.camel.spi.LogListener;
import org.slf4j.MDC;

/**
 * Puts the event an exchange is about into the log's MDC, so one event can be followed from its
 * receipt through its apply to each delivery: {@code event_id}, {@code source}, {@code event_type},
 * {@code target} and {@code outbox_id}, read from the variables of the same names in camelCase
 * (docs/variables.md). Only the keys the exchange has are set.
 * <p>
 * As a Camel {@link LogListener} it does so for every line of the routes' Log EIP, set before the
 * line is written and removed after it, on the thread that writes it (nothing is left behind on a
 * pooled thread). Java code that logs about an exchange wraps its call in {@link #around}.
 * <p>
 * Why not camel-mdc: at 4.18 it reads exchange headers and properties only (orgsync's routes keep
 * their state in variables), and its log listener keeps the previous context in a field shared by
 * every thread.
 */
public final class EventMdc implements LogListener {

    /** Variable name -> MDC key. */
    static final Map<String, String> KEYS = Map.of("eventId", "event_id", "source", "source", "eventType", "event_type",
            "target", "target", "outboxId", "outbox_id");

    @Override
    public String onLog(Exchange exchange, CamelLogger camelLogger, String message) {
        if (exchange != null) {
            put(exchange::getVariable);
        }
        return message;
    }

    @Override
    public void afterLog(Exchange exchange, CamelLogger camelLogger, String message) {
        KEYS.values().forEach(MDC::remove);
    }

    /** Runs this logging call with the exchange's event in the MDC. */
    public static void around(Exchange exchange, Runnable log) {
        around(exchange == null ? variable -> null : exchange::getVariable, log);
    }

    /**
     * Runs this logging call with an event in the MDC given as the variables of the same names would
     * give it (eventId, source, eventType, target, outboxId): a row of a claim delivered at once.
     */
    public static void around(Map<String, ?> variables, Runnable log) {
        around(variables::get, log);
    }

    private static void around(Function<String, Object> variables, Runnable log) {
        List<String> set = put(variables);
        try {
            log.run();
        } finally {
            set.forEach(MDC::remove);
        }
    }

    private static List<String> put(Function<String, Object> variables) {
        List<String> set = new ArrayList<>(KEYS.size());
        KEYS.forEach((variable, key) -> {
            Object value = variables.apply(variable);
            if (value != null) {
                MDC.put(key, value.toString());
                set.add(key);
            }
        });
        return set;
    }
}
