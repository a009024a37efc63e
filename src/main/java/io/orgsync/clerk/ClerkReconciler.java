package io.orgsync.clerk;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.http.CanonicalEvents;
import io.orgsync.http.Json;
import io.orgsync.reconcile.Unlisted;
import org.apache.camel.Exchange;

/**
 * The decisions of a reconciliation run against Clerk's Backend API (routes/clerk-reconcile.camel.yaml):
 * which objects of a page are missing from the mirror or newer than it, as canonical events the
 * same apply statements take (channel {@code reconcile}, so they are audited like webhook changes),
 * and, once every page was read, which mirrored objects Clerk no longer has. The run's state is in
 * the exchange variable {@code run}; a page is applied in one statement, so never half.
 */
public class ClerkReconciler {

    /** One run's counts and the ids Clerk listed. */
    public static final class Run {
        final Instant startedAt;
        final Map<String, Integer> counts = new LinkedHashMap<>();
        final Set<String> organizations = new LinkedHashSet<>();
        final Map<String, Set<String>> memberships = new HashMap<>();
        /** Per listing ("organization", or an organisation's id for its memberships): the total_count first and last seen. */
        final Map<String, long[]> totals = new HashMap<>();
        final List<String> goneOrganizations = new ArrayList<>();

        Run(Instant startedAt) {
            this.startedAt = startedAt;
            for (String key : List.of("created", "updated", "deleted", "unchanged", "errors")) {
                counts.put(key, 0);
            }
        }

        void add(String key, int n) {
            counts.merge(key, n, Integer::sum);
        }

        public List<String> organizationIds() {
            return new ArrayList<>(organizations);
        }
    }

    private static final java.util.regex.Pattern SAFE_ID = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,255}");

    private final Clock clock;
    private final boolean configured;

    public ClerkReconciler(Clock clock, boolean configured) {
        this.clock = clock;
        this.configured = configured;
    }

    /** A run needs CLERK_SECRET_KEY: without it the admin API answers 503. */
    public void requireConfigured() {
        if (!configured) {
            throw io.orgsync.http.WebhookRejection.unavailable("not_configured",
                    "Reconciliation needs CLERK_SECRET_KEY (Clerk's Backend API secret key)");
        }
    }

    /** The drift found: objects created, updated or deleted (for gauge orgsync_reconcile_last_drift). */
    public long driftTotal(Exchange exchange) {
        Map<String, Integer> counts = exchange.getVariable("run", Run.class).counts;
        return (long) counts.getOrDefault("created", 0) + counts.getOrDefault("updated", 0) + counts.getOrDefault("deleted", 0);
    }

    /** How long the run has taken so far, in ms. */
    public long elapsedMs(Exchange exchange) {
        return java.time.Duration.between(exchange.getVariable("run", Run.class).startedAt, clock.instant()).toMillis();
    }

    public void start(Exchange exchange) {
        exchange.setVariable("run", new Run(clock.instant()));
        exchange.setVariable("offset", 0);
        exchange.setVariable("more", true);
    }

    /** Reads one page ({@code {data: [...], total_count}}): sets pageIds, pageItems, and offset/more for the next. */
    public void page(Exchange exchange, String kind, String organizationId) throws Exception {
        JsonNode page = Json.MAPPER.readTree(exchange.getMessage().getBody(byte[].class));
        JsonNode data = page.isArray() ? page : page.path("data");
        if (!data.isArray()) {
            throw new IllegalStateException("Clerk's " + kind + " page has no data array");
        }
        Run run = exchange.getVariable("run", Run.class);
        ArrayNode ids = Json.MAPPER.createArrayNode();
        for (JsonNode item : data) {
            String id = item.path("id").asText(null);
            if (id != null && !SAFE_ID.matcher(id).matches()) {
                throw new IllegalStateException("Clerk listed an id orgsync does not accept: " + id.replaceAll("[^A-Za-z0-9_-]", "?"));
            }
            if (id != null) {
                ids.add(id);
                if ("organization".equals(kind)) {
                    run.organizations.add(id);
                } else {
                    run.memberships.computeIfAbsent(organizationId, k -> new LinkedHashSet<>()).add(id);
                }
            }
        }
        int limit = exchange.getVariable("limit", Integer.class);
        int offset = exchange.getVariable("offset", Integer.class) + data.size();
        long total = page.path("total_count").asLong(-1);
        long[] seen = run.totals.computeIfAbsent("organization".equals(kind) ? kind : organizationId, k -> new long[] {total, total});
        seen[1] = total;
        exchange.setVariable("pageIds", Json.MAPPER.writeValueAsString(ids));
        exchange.setVariable("pageItems", data);
        exchange.setVariable("offset", offset);
        exchange.setVariable("more", data.size() == limit && (total < 0 || offset < total));
    }

    /**
     * The page's objects that are missing from the mirror or newer than it, as canonical events
     * (variable events; null when there are none); counts created, updated and unchanged.
     * {@code current} is what routes/sql/clerk/current-organizations.sql or current-memberships.sql
     * returned: id, updated_ms (Clerk's updated_at, epoch ms), status.
     */
    public void changes(Exchange exchange, String kind, List<Map<String, Object>> current) throws Exception {
        Map<String, Map<String, Object>> mirror = new HashMap<>();
        for (Map<String, Object> row : current) {
            mirror.put(String.valueOf(row.get("id")), row);
        }
        Run run = exchange.getVariable("run", Run.class);
        ArrayNode events = Json.MAPPER.createArrayNode();
        for (JsonNode item : exchange.getVariable("pageItems", JsonNode.class)) {
            String id = item.path("id").asText(null);
            long updated = item.path("updated_at").asLong(0);
            Map<String, Object> row = mirror.get(id);
            if (id == null) {
                continue;
            }
            if (row != null && ("deleted".equals(row.get("status")) || (row.get("updated_ms") != null
                    && ((Number) row.get("updated_ms")).longValue() >= updated))) {
                run.add("unchanged", 1);
                continue;
            }
            run.add(row == null ? "created" : "updated", 1);
            events.add(event(kind + (row == null ? ".created" : ".updated"), id, updated, item, run));
        }
        exchange.setVariable("eventType", kind + ".updated");
        exchange.setVariable("events", events.isEmpty() ? null : Json.MAPPER.writeValueAsString(events));
    }

    /**
     * Was a listing complete? Offset pages over a list that changes during the run can skip an
     * object (one removed before the offset shifts the rest back): a listing whose total_count
     * changed, or that found fewer ids than it, tombstones nothing this run.
     */
    private static boolean complete(Run run, String listing, Set<String> listed) {
        long[] seen = run.totals.get(listing);
        return seen == null || seen[0] == seen[1] && (seen[1] < 0 || listed.size() >= seen[1]);
    }

    /**
     * Tombstones for an organisation's memberships Clerk did not list (rows of
     * routes/sql/clerk/active-memberships.sql: id, data, last written before the run started), as
     * canonical {@code organizationMembership.deleted} events in variable events (null when none).
     */
    public void gone(Exchange exchange, String kind, String organizationId, List<Map<String, Object>> active) throws Exception {
        Run run = exchange.getVariable("run", Run.class);
        Set<String> listed = run.memberships.getOrDefault(organizationId, Set.of());
        ArrayNode events = Json.MAPPER.createArrayNode();
        if (complete(run, organizationId, listed)) {
            long now = clock.millis();
            for (Map<String, Object> row : active) {
                String id = String.valueOf(row.get("id"));
                if (listed.contains(id)) {
                    continue;
                }
                JsonNode data = row.get("data") == null ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(row.get("data").toString());
                ObjectNode payload = data.isObject() && data.size() > 0 ? (ObjectNode) data : Json.MAPPER.createObjectNode().put("id", id);
                run.add("deleted", 1);
                events.add(event(kind + ".deleted", id, now, payload, run));
            }
        }
        exchange.setVariable("eventType", kind + ".deleted");
        exchange.setVariable("events", events.isEmpty() ? null : Json.MAPPER.writeValueAsString(events));
    }

    /**
     * The mirrored organisations Clerk did not list (rows of active-organizations.sql), each to be
     * checked by its own GET before it is tombstoned (ids cannot be skipped; pages can). None when
     * the listing was not complete.
     */
    public List<String> organizationCandidates(Exchange exchange, List<Map<String, Object>> active) {
        Run run = exchange.getVariable("run", Run.class);
        if (!complete(run, "organization", run.organizations)) {
            return List.of();
        }
        return Unlisted.ids(active, run.organizations);
    }

    /** A candidate's own GET /v1/organizations/{id} answered 404: Clerk has it no more. */
    public void organizationGone(Exchange exchange, String id) {
        exchange.getVariable("run", Run.class).goneOrganizations.add(id);
    }

    /** Tombstones for the organisations confirmed gone, as canonical organization.deleted events (variable events). */
    public void organizationTombstones(Exchange exchange) throws Exception {
        Run run = exchange.getVariable("run", Run.class);
        ArrayNode events = Json.MAPPER.createArrayNode();
        long now = clock.millis();
        for (String id : run.goneOrganizations) {
            run.add("deleted", 1);
            events.add(event("organization.deleted", id, now,
                    Json.MAPPER.createObjectNode().put("id", id).put("object", "organization").put("deleted", true), run));
        }
        exchange.setVariable("eventType", "organization.deleted");
        exchange.setVariable("events", events.isEmpty() ? null : Json.MAPPER.writeValueAsString(events));
    }

    /** The organisations Clerk listed, whose memberships are reconciled next. */
    public List<String> organizationIds(Exchange exchange) {
        return exchange.getVariable("run", Run.class).organizationIds();
    }

    public void failed(Exchange exchange) {
        exchange.getVariable("run", Run.class).add("errors", 1);
    }

    /** The run's summary, as JSON for its row's progress: created, updated, deleted, unchanged, errors, complete, and when. */
    public String summary(Exchange exchange, boolean complete) throws Exception {
        Run run = exchange.getVariable("run", Run.class);
        Map<String, Object> summary = new LinkedHashMap<>(run.counts);
        summary.put("complete", complete);
        summary.put("started_at", run.startedAt.toString());
        summary.put("finished_at", clock.instant().toString());
        return Json.MAPPER.writeValueAsString(summary);
    }

    private ObjectNode event(String type, String id, long version, JsonNode payload, Run run) {
        String eventId = "reconcile:" + id + ":" + version + (type.endsWith(".deleted") ? ":deleted" : "");
        String tenant = type.startsWith("organizationMembership.") ? payload.path("organization").path("id").asText(null) : id;
        byte[] body = payload.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return CanonicalEvents.event(ClerkEnvelope.SOURCE, "reconcile", eventId, type, Instant.ofEpochMilli(version),
                run.startedAt, tenant, null, Map.of(), payload, body);
    }
}
