package io.orgsync.authvital;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orgsync.http.CanonicalEvents;
import io.orgsync.http.Json;
import io.orgsync.reconcile.Unlisted;
import io.orgsync.http.WebhookRejection;
import io.orgsync.outbox.FanoutDocuments;
import io.orgsync.outbox.Outbox;
import org.apache.camel.Exchange;

/**
 * The decisions of a reconciliation run against AuthVital's super-admin API
 * (routes/authvital-reconcile.camel.yaml): which tenants and applications the mirror lacks or holds
 * older than AuthVital, as canonical events the webhooks' own statements apply (channel
 * {@code reconcile}, ordered by the listed object's {@code updatedAt}: a newer webhook wins, an older
 * listing only fills gaps), and, after a complete pass, which mirrored rows AuthVital no longer has.
 * Every decision is also written to the run's drift report (per kind: create, update with the
 * fields that differ, tombstone), which a dry run returns without applying anything.
 * The run's state is the exchange variable {@code run}.
 */
public class AuthVitalReconciler {

    /** One run's state: what was listed, the page being read, the counts and the drift report. */
    public static final class Run {
        final Instant startedAt;
        final boolean dryRun;
        final Set<String> listedTenants = new LinkedHashSet<>();
        final Set<String> listedApplications = new LinkedHashSet<>();
        final Set<String> listedSsoProviders = new LinkedHashSet<>();
        final List<JsonNode> pageDetails = new ArrayList<>();
        final List<String> goneTenants = new ArrayList<>();
        final Map<String, Long> progress = new LinkedHashMap<>();
        final Map<String, Map<String, List<Object>>> report = new LinkedHashMap<>();
        long firstTotal = -1;
        long lastTotal = -1;

        Run(Instant startedAt, boolean dryRun) {
            this.startedAt = startedAt;
            this.dryRun = dryRun;
            for (String key : List.of("pages", "requests", "entities", "created", "updated", "tombstoned", "unchanged", "errors")) {
                progress.put(key, 0L);
            }
            for (String kind : List.of("tenant", "subscription", "application", "sso_provider")) {
                Map<String, List<Object>> changes = new LinkedHashMap<>();
                for (String change : List.of("create", "update", "tombstone")) {
                    changes.put(change, new ArrayList<>());
                }
                report.put(kind, changes);
            }
        }

        void count(String key, long n) {
            progress.merge(key, n, Long::sum);
        }
    }

    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9_:.-]{1,255}");

    private final Clock clock;
    private final boolean configured;
    private final String token;
    private final String email;
    private final String password;

    /** @param token a super-admin bearer token, or blank to log in with the account's email and password at each run */
    public AuthVitalReconciler(Clock clock, String host, String token, String email, String password) {
        this.clock = clock;
        this.token = token == null ? "" : token.strip();
        this.email = email == null ? "" : email.strip();
        this.password = password == null ? "" : password;
        this.configured = host != null && !host.isBlank() && (!this.token.isEmpty() || !this.email.isEmpty() && !this.password.isEmpty());
    }

    /** The configured super-admin token; blank when the run logs in ({@link #loginBody}, {@link #loginToken}). */
    public String token() {
        return token;
    }

    /** The super-admin login's body, {@code {"email", "password"}}. */
    public String loginBody() throws Exception {
        return Json.MAPPER.writeValueAsString(Map.of("email", email, "password", password));
    }

    /** A run needs AuthVital's URL and a super-admin token or account: without them the admin API answers 503. */
    public void requireConfigured() {
        if (!configured) {
            throw WebhookRejection.unavailable("not_configured", "AuthVital reconciliation needs AV_HOST and AV_ADMIN_TOKEN, "
                    + "or AV_ADMIN_EMAIL and AV_ADMIN_PASSWORD of a super-admin account without MFA");
        }
    }

    public void start(Exchange exchange, boolean dryRun) {
        exchange.setVariable("run", new Run(clock.instant(), dryRun));
        exchange.setVariable("offset", 0);
        exchange.setVariable("more", true);
    }

    /**
     * The bearer token from a super-admin login's answer: AuthVital sets it only as the httpOnly
     * cookie {@code super_admin_session}. An answer asking for MFA is a configuration error.
     */
    public String loginToken(Exchange exchange) throws Exception {
        int status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        JsonNode answer = readJson(exchange.getMessage().getBody(byte[].class));
        if (answer.path("mfaRequired").asBoolean(false) || answer.path("mfaSetupRequired").asBoolean(false)) {
            throw new IllegalStateException("AuthVital asks this super-admin account for MFA (mfaRequired): reconciliation "
                    + "needs a dedicated super-admin account without MFA, or AV_ADMIN_TOKEN");
        }
        if (status != 200) {
            throw new IllegalStateException("AuthVital refused the super-admin login (HTTP " + status + "): check AV_ADMIN_EMAIL and AV_ADMIN_PASSWORD");
        }
        Object cookies = exchange.getMessage().getHeader("Set-Cookie");
        for (Object cookie : cookies instanceof List<?> list ? list : cookies == null ? List.of() : List.of(cookies)) {
            for (String part : String.valueOf(cookie).split(";")) {
                String p = part.strip();
                if (p.startsWith("super_admin_session=")) {
                    return p.substring("super_admin_session=".length());
                }
            }
        }
        throw new IllegalStateException("AuthVital's super-admin login set no super_admin_session cookie");
    }

    /** How long a 429's Retry-After asks to wait, in ms (Outbox.retryAfterMs reads it): at least 1 s, at most 120 s. */
    public long retryAfterMs(Object header) {
        return Math.min(120_000, Math.max(1000, Outbox.retryAfterMs(header == null ? null : String.valueOf(header))));
    }

    /** A failed API call (not 200, not a 404 the caller expects, 429s already waited out): the run fails. */
    public void apiFailed(Exchange exchange) {
        int status = exchange.getVariable("apiStatus", 0, Integer.class);
        String hint = status == 401 || status == 403 ? ": the token is not a super-admin's (M2M client-credentials tokens are refused)" : "";
        throw new IllegalStateException("AuthVital's " + exchange.getVariable("apiPath", String.class) + " answered HTTP " + status + hint);
    }

    /** One page of {@code GET /api/super-admin/tenants}: sets pageIds (a JSON array), offset and more. */
    public void tenantsPage(Exchange exchange) throws Exception {
        JsonNode page = readJson(exchange.getMessage().getBody(byte[].class));
        JsonNode tenants = page.path("tenants");
        if (!tenants.isArray()) {
            throw new IllegalStateException("AuthVital's tenants page has no tenants array");
        }
        Run run = run(exchange);
        ArrayNode ids = Json.MAPPER.createArrayNode();
        for (JsonNode tenant : tenants) {
            String id = safeId(tenant.path("id").asText(null));
            run.listedTenants.add(id);
            ids.add(id);
        }
        long total = page.path("total").asLong(-1);
        if (run.firstTotal < 0) {
            run.firstTotal = total;
        }
        run.lastTotal = total;
        int offset = exchange.getVariable("offset", Integer.class) + tenants.size();
        run.count("pages", 1);
        exchange.setVariable("pageIds", ids.toString());
        exchange.setVariable("pageIdList", Json.MAPPER.convertValue(ids, List.class));
        exchange.setVariable("offset", offset);
        exchange.setVariable("more", tenants.size() > 0 && offset < total);
    }

    /** One tenant's detail ({@code GET /api/super-admin/tenants/:id}), kept for its page's comparison. */
    public void tenantDetail(Exchange exchange) throws Exception {
        run(exchange).pageDetails.add(readJson(exchange.getMessage().getBody(byte[].class)));
    }

    /**
     * The page's tenants compared with the mirror ({@code current}: rows of current-tenants.sql):
     * events for those missing or older (variable events; null when none or on a dry run).
     */
    public void tenantChanges(Exchange exchange, List<Map<String, Object>> current) throws Exception {
        Run run = run(exchange);
        Map<String, Map<String, Object>> mirror = byId(current);
        ArrayNode events = Json.MAPPER.createArrayNode();
        for (JsonNode detail : run.pageDetails) {
            String id = safeId(detail.path("id").asText(null));
            Instant updated = instant(detail, "updatedAt");
            ObjectNode data = Json.MAPPER.createObjectNode().put("tenant_id", id);
            copy(detail, "name", data, "name");
            copy(detail, "slug", data, "slug");
            if (detail.has("settings")) {
                data.set("settings", detail.get("settings"));
            }
            copy(detail, "createdAt", data, "created_at");
            Map<String, Object> row = mirror.get(id);
            List<String> differs = row == null ? List.of() : differs(row, Map.of("name", data.path("name"), "slug", data.path("slug"),
                    "settings", data.path("settings")));
            decide(run, "tenant", id, row, updated, differs, events, "tenant", data, id);
        }
        setEvents(exchange, run, events);
    }

    /**
     * The page's tenants' subscriptions ({@code appSubscriptions} of each detail) compared with the
     * mirror's subscription grants ({@code current}: rows of current-subscriptions.sql), as
     * {@code tenant.app.granted} events (an EXPIRED one as {@code tenant.app.revoked}), and a grant the
     * mirror holds that the tenant's detail no longer lists (a cancelled subscription removed, an
     * application deleted: AuthVital sends no event) revoked. Ends the page (its details are dropped).
     */
    public void subscriptionChanges(Exchange exchange, List<Map<String, Object>> current) throws Exception {
        Run run = run(exchange);
        Map<String, Map<String, Object>> mirror = byId(current);
        Set<String> listed = new java.util.HashSet<>();
        ArrayNode events = Json.MAPPER.createArrayNode();
        Map<String, List<Object>> report = run.report.get("subscription");
        for (JsonNode detail : run.pageDetails) {
            String tenant = safeId(detail.path("id").asText(null));
            for (JsonNode sub : detail.path("appSubscriptions")) {
                String subscription = safeId(sub.path("id").asText(null));
                String application = safeId(sub.path("application").path("id").asText(sub.path("applicationId").asText(null)));
                String accessId = tenant + ":" + application + ":subscription:" + subscription;
                listed.add(accessId);
                String status = sub.path("status").asText(null);
                boolean expired = "EXPIRED".equals(status);
                ObjectNode data = Json.MAPPER.createObjectNode().put("tenant_id", tenant).put("tenant_slug", detail.path("slug").asText(null))
                        .put("application_id", application).put("subscription_id", subscription).put("status", status);
                copy(sub.path("application"), "name", data, "application_name");
                copy(sub.path("application"), "slug", data, "application_slug");
                copy(sub.path("licenseType"), "id", data, "license_type_id");
                copy(sub.path("licenseType"), "name", data, "license_type_name");
                copy(sub, "quantityPurchased", data, "quantity_purchased");
                Instant updated = instant(sub, "updatedAt");
                Map<String, Object> row = mirror.get(accessId);
                run.count("entities", 1);
                String type = expired ? "tenant.app.revoked" : "tenant.app.granted";
                if (row == null) {
                    if (expired) {
                        run.count("unchanged", 1); // an ended subscription the mirror never had: nothing to grant
                        continue;
                    }
                    run.count("created", 1);
                    report.get("create").add(accessId);
                    events.add(event(type, "subscription", accessId, updated, data, tenant, run));
                    continue;
                }
                List<String> differs = differs(row, Map.of("subscription_status", data.path("status"),
                        "quantity_purchased", data.path("quantity_purchased"), "license_type_id", data.path("license_type_id"),
                        "status", Json.MAPPER.getNodeFactory().textNode(expired ? "revoked" : "granted")));
                Instant mirrored = instantOf(row.get("event_at"));
                boolean newer = updated != null && (mirrored == null || updated.isAfter(mirrored));
                if (differs.isEmpty() || !newer) {
                    run.count("unchanged", 1);
                    continue;
                }
                run.count("updated", 1);
                Map<String, Object> change = new LinkedHashMap<>();
                change.put("id", accessId);
                change.put("fields", differs);
                report.get("update").add(change);
                events.add(event(type, "subscription", accessId, updated, data, tenant, run));
            }
        }
        // granted in the mirror, listed no more by the tenant's own detail: revoked
        for (Map<String, Object> row : current) {
            String id = String.valueOf(row.get("id"));
            if (!listed.contains(id) && "granted".equals(row.get("status")) && Boolean.TRUE.equals(row.get("before_run"))) {
                ObjectNode data = Json.MAPPER.createObjectNode().put("tenant_id", String.valueOf(row.get("tenant_id")))
                        .put("application_id", String.valueOf(row.get("application_id")))
                        .put("subscription_id", String.valueOf(row.get("subscription_id")));
                tombstone(run, "subscription", id, "tenant.app.revoked", data, String.valueOf(row.get("tenant_id")), events);
            }
        }
        run.pageDetails.clear();
        setEvents(exchange, run, events);
    }

    /** AuthVital's applications ({@code GET /api/super-admin/applications}, not paged) compared with the mirror. */
    public void applicationChanges(Exchange exchange, List<Map<String, Object>> current) throws Exception {
        Run run = run(exchange);
        JsonNode list = listAnswer(exchange, run, "applications", "applications");
        Map<String, Map<String, Object>> mirror = byId(current);
        ArrayNode events = Json.MAPPER.createArrayNode();
        for (JsonNode app : list) {
            String id = safeId(app.path("id").asText(null));
            run.listedApplications.add(id);
            ObjectNode data = Json.MAPPER.createObjectNode().put("application_id", id);
            copy(app, "name", data, "name");
            copy(app, "slug", data, "slug");
            copy(app, "description", data, "description");
            copy(app, "isActive", data, "is_active");
            JsonNode client = app.path("clients").path(0).path("clientId");
            if (client.isTextual()) {
                data.put("client_id", client.asText());
            }
            copy(app, "createdAt", data, "created_at");
            Map<String, Object> row = mirror.get(id);
            List<String> differs = row == null ? List.of() : differs(row, Map.of("name", data.path("name"), "slug", data.path("slug"),
                    "description", data.path("description"), "client_id", data.path("client_id"), "is_active", data.path("is_active")));
            decide(run, "application", id, row, instant(app, "updatedAt"), differs, events, "application", data, null);
        }
        setEvents(exchange, run, events);
    }

    /**
     * AuthVital's SSO providers ({@code GET /api/super-admin/sso/providers}, not paged) compared with
     * the mirror, keyed by the provider's enum key ({@code GOOGLE}, {@code MICROSOFT}), which is what
     * the events call {@code provider_id}.
     */
    public void ssoProviderChanges(Exchange exchange, List<Map<String, Object>> current) throws Exception {
        Run run = run(exchange);
        JsonNode list = listAnswer(exchange, run, "ssoProviders", "SSO providers");
        Map<String, Map<String, Object>> mirror = byId(current);
        ArrayNode events = Json.MAPPER.createArrayNode();
        for (JsonNode provider : list) {
            String key = safeId(provider.path("provider").asText(null));
            run.listedSsoProviders.add(key);
            ObjectNode data = Json.MAPPER.createObjectNode().put("provider_id", key)
                    .put("provider_type", key.toLowerCase(java.util.Locale.ROOT));
            copy(provider, "enabled", data, "is_enabled");
            ObjectNode config = data.putObject("config");
            copy(provider, "clientId", config, "client_id");
            copy(provider, "allowedDomains", config, "domains");
            copy(provider, "scopes", config, "scopes");
            copy(provider, "createdAt", data, "created_at");
            Map<String, Object> row = mirror.get(key);
            List<String> differs = row == null ? List.of() : differs(row, Map.of("is_enabled", data.path("is_enabled"),
                    "client_id", config.path("client_id"), "domains", config.path("domains")));
            decide(run, "sso_provider", key, row, instant(provider, "updatedAt"), differs, events, "sso.provider", data, null);
        }
        setEvents(exchange, run, events);
    }

    /**
     * The mirror's tenants that AuthVital did not list (rows of active-tenants.sql), to be checked one
     * by one (variable candidates, a list of ids). None unless the listing was complete: every page
     * read, as many ids as the last total, and the total unchanged (a tenant deleted during the run
     * shifts offset pages and could hide another).
     */
    public List<String> tenantCandidates(Exchange exchange, List<Map<String, Object>> active) {
        Run run = run(exchange);
        if (run.firstTotal != run.lastTotal || run.listedTenants.size() < run.lastTotal) {
            run.report.get("tenant").put("partial_listing", new ArrayList<>(List.of(
                    "AuthVital's tenant count changed during the run (" + run.firstTotal + " to " + run.lastTotal
                            + "): nothing tombstoned this run")));
            return List.of();
        }
        return Unlisted.ids(active, run.listedTenants);
    }

    /** A candidate's own detail answered 404: AuthVital really has it no more (checked by id, not by a page). */
    public void tenantGone(Exchange exchange, String id) {
        run(exchange).goneTenants.add(id);
    }

    /** Tombstones for the tenants confirmed gone (variable events; null when none or on a dry run). */
    public void tenantTombstones(Exchange exchange) throws Exception {
        Run run = run(exchange);
        ArrayNode events = Json.MAPPER.createArrayNode();
        for (String id : run.goneTenants) {
            ObjectNode data = Json.MAPPER.createObjectNode().put("tenant_id", id).put("deleted_at", run.startedAt.toString());
            tombstone(run, "tenant", id, "tenant.deleted", data, id, events);
        }
        setEvents(exchange, run, events);
    }

    /** Tombstones for mirrored applications not in AuthVital's (complete, unpaged) list. */
    public void applicationTombstones(Exchange exchange, List<Map<String, Object>> active) throws Exception {
        unlisted(exchange, active, "application", run(exchange).listedApplications, "application.deleted", "application_id");
    }

    /** Tombstones for mirrored SSO providers not in AuthVital's (complete, unpaged) list. */
    public void ssoProviderTombstones(Exchange exchange, List<Map<String, Object>> active) throws Exception {
        unlisted(exchange, active, "sso_provider", run(exchange).listedSsoProviders, "sso.provider_removed", "provider_id");
    }

    /** Tombstone events (variable events; null when none or on a dry run) for active rows the listing did not name. */
    private void unlisted(Exchange exchange, List<Map<String, Object>> active, String kind, Set<String> listed, String type,
                          String idField) throws Exception {
        Run run = run(exchange);
        ArrayNode events = Json.MAPPER.createArrayNode();
        for (Map<String, Object> row : active) {
            String id = String.valueOf(row.get("id"));
            if (!listed.contains(id)) {
                ObjectNode data = Json.MAPPER.createObjectNode().put(idField, id);
                if (type.endsWith(".deleted")) {
                    data.put("deleted_at", run.startedAt.toString());
                }
                tombstone(run, kind, id, type, data, null, events);
            }
        }
        setEvents(exchange, run, events);
    }

    /** The run's progress as JSON (variable progress), written to its row as it goes. */
    public String progress(Exchange exchange) throws Exception {
        return Json.MAPPER.writeValueAsString(run(exchange).progress);
    }

    /** The drift report as JSON. */
    public String report(Exchange exchange) throws Exception {
        return Json.MAPPER.writeValueAsString(run(exchange).report);
    }

    /** The drift found, per kind and change, for the counter orgsync_reconcile_drift_total (a list of {kind, change, n}). */
    public List<Map<String, Object>> drift(Exchange exchange) {
        List<Map<String, Object>> drift = new ArrayList<>();
        run(exchange).report.forEach((kind, changes) -> changes.forEach((change, items) -> {
            if (!change.equals("partial_listing") && !items.isEmpty()) {
                drift.add(Map.of("kind", kind, "change", change, "n", items.size()));
            }
        }));
        return drift;
    }

    /** The events to apply as variable {@code events}: null when there are none, or on a dry run. */
    private static void setEvents(Exchange exchange, Run run, ArrayNode events) {
        exchange.setVariable("events", events.isEmpty() || run.dryRun ? null : events.toString());
    }

    /** An unpaged list answer kept in a variable (one page of the run), or a clear failure when it is not a list. */
    private static JsonNode listAnswer(Exchange exchange, Run run, String variable, String what) throws Exception {
        JsonNode list = readJson(exchange.getVariable(variable, byte[].class));
        if (!list.isArray()) {
            throw new IllegalStateException("AuthVital's " + what + " answer is not a list");
        }
        run.count("pages", 1);
        return list;
    }

    /** The drift found in all: the objects created, updated or deleted (for gauge orgsync_reconcile_last_drift). */
    public long driftTotal(Exchange exchange) {
        return drift(exchange).stream().mapToLong(d -> ((Number) d.get("n")).longValue()).sum();
    }

    /** How long the run has taken so far, in ms. */
    public long elapsedMs(Exchange exchange) {
        return java.time.Duration.between(run(exchange).startedAt, clock.instant()).toMillis();
    }

    private void decide(Run run, String kind, String id, Map<String, Object> row, Instant updated, List<String> differs,
                        ArrayNode events, String typePrefix, ObjectNode data, String tenantId) {
        run.count("entities", 1);
        Map<String, List<Object>> report = run.report.get(kind);
        if (row == null) {
            run.count("created", 1);
            report.get("create").add(id);
            events.add(event(typePrefix + (typePrefix.equals("sso.provider") ? "_added" : ".created"), kind, id, updated, data, tenantId, run));
            return;
        }
        Instant mirrored = instantOf(row.get("attrs_event_at"));
        boolean newer = updated != null && (mirrored == null || updated.isAfter(mirrored));
        // an older listing only fills what the mirror does not know yet (the statement's ordering guard)
        boolean fillsGaps = differs.stream().anyMatch(f -> row.get(f) == null);
        if ("deleted".equals(row.get("status")) || differs.isEmpty() || !newer && !fillsGaps) {
            run.count("unchanged", 1);
            return;
        }
        run.count("updated", 1);
        Map<String, Object> change = new LinkedHashMap<>();
        change.put("id", id);
        change.put("fields", differs);
        report.get("update").add(change);
        events.add(event(typePrefix + (typePrefix.equals("sso.provider") ? "_updated" : ".updated"), kind, id, updated, data, tenantId, run));
    }

    private void tombstone(Run run, String kind, String id, String type, ObjectNode data, String tenantId, ArrayNode events) {
        run.count("tombstoned", 1);
        run.report.get(kind).get("tombstone").add(id);
        events.add(event(type, kind, id, run.startedAt, data, tenantId, run));
    }

    private ObjectNode event(String type, String kind, String id, Instant version, ObjectNode data, String tenantId, Run run) {
        Instant at = version != null ? version : run.startedAt;
        boolean removal = type.endsWith(".deleted") || type.endsWith("_removed") || type.endsWith(".revoked");
        String eventId = "reconcile:" + kind + ":" + id + ":" + at.toEpochMilli() + (removal ? ":deleted" : "");
        return CanonicalEvents.event("authvital", "reconcile", eventId, type, at, run.startedAt, tenantId, null, Map.of(), data,
                data.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The mapped fields whose value differs from the mirror's row (a field AuthVital does not send is not compared). */
    private static List<String> differs(Map<String, Object> row, Map<String, JsonNode> listed) throws RuntimeException {
        List<String> fields = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : new java.util.TreeMap<>(listed).entrySet()) {
            JsonNode value = field.getValue();
            if (value == null || value.isMissingNode()) {
                continue;
            }
            Object current = row.get(field.getKey());
            boolean same;
            if (value.isObject() || value.isArray()) {
                try {
                    same = current != null && Json.MAPPER.readTree(current.toString()).equals(value);
                } catch (Exception e) {
                    same = false;
                }
            } else if (value.isNull()) {
                same = current == null;
            } else {
                same = current != null && Objects.equals(String.valueOf(current), value.asText());
            }
            if (!same) {
                fields.add(field.getKey());
            }
        }
        return fields;
    }

    private static Map<String, Map<String, Object>> byId(List<Map<String, Object>> rows) {
        Map<String, Map<String, Object>> byId = new HashMap<>();
        for (Map<String, Object> row : rows) {
            byId.put(String.valueOf(row.get("id")), row);
        }
        return byId;
    }

    private static void copy(JsonNode from, String field, ObjectNode to, String as) {
        if (from.has(field)) {
            to.set(as, from.get(field));
        }
    }

    private static Instant instant(JsonNode node, String field) {
        try {
            return node.hasNonNull(field) ? Instant.parse(node.get(field).asText()) : null;
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    private static Instant instantOf(Object value) {
        return value == null ? null : FanoutDocuments.instantOf(value);
    }

    private static String safeId(String id) {
        if (id == null || !SAFE_ID.matcher(id).matches()) {
            throw new IllegalStateException("AuthVital listed an id orgsync does not accept: "
                    + (id == null ? "none" : id.replaceAll("[^A-Za-z0-9_:.-]", "?")));
        }
        return id;
    }

    private static JsonNode readJson(byte[] body) throws Exception {
        return body == null || body.length == 0 ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(body);
    }

    private static Run run(Exchange exchange) {
        return exchange.getVariable("run", Run.class);
    }
}
