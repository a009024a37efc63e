package io.orgsync.ops;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;

/**
 * Gauges that hold the last value a route or a bean measured (a count, an age, an epoch second),
 * registered with Camel's Micrometer registry the first time they are set. Prometheus shows a name
 * such as {@code orgsync.spool.files} as {@code orgsync_spool_files}.
 */
public final class Gauges {

    private final CamelContext context;
    private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();

    public Gauges(CamelContext context) {
        this.context = context;
    }

    /** The gauge of this name and these tags (name, value pairs), made at 0 the first time. */
    public AtomicLong of(String name, String description, String... tags) {
        return of(name, description, 1.0, tags);
    }

    /** As {@link #of(String, String, String...)}, the value read times this scale (ms to seconds: 0.001). */
    public AtomicLong of(String name, String description, double scale, String... tags) {
        return values.computeIfAbsent(name + "|" + String.join("|", tags), key -> {
            AtomicLong value = new AtomicLong();
            MeterRegistry registry = context.getRegistry().findSingleByType(MeterRegistry.class);
            if (registry != null) {
                Gauge.builder(name, value, v -> v.get() * scale).description(description).tags(tags).register(registry);
            }
            return value;
        });
    }
}
