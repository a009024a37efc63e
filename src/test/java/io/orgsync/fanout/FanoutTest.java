package io.orgsync.fanout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.orgsync.support.Fixtures;
import io.orgsync.support.OrgsyncApp;
import io.orgsync.support.S3Server;
import io.orgsync.support.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invariant 5 (docs/invariants.md) over real parts: s3proxy as S3 (objects read back with the AWS SDK),
 * WireMock standing in for Stripe's API and for a SIEM's HTTP endpoint, a real PostgreSQL.
 */
class FanoutTest {

    static final String BUCKET = "orgsync-archive";
    static final String TOKEN = "admin-token-for-tests-only-0123456789abcdef";
    static final Duration WAIT = Duration.ofSeconds(30);

    static S3Server s3;
    static WireMockServer stripe;
    static WireMockServer siem;
    static OrgsyncApp app;

    @BeforeAll
    static void start() {
        s3 = new S3Server();
        try (S3Client client = s3.client()) {
            client.createBucket(b -> b.bucket(BUCKET));
        }
        stripe = new WireMockServer(options().dynamicPort());
        stripe.start();
        siem = new WireMockServer(options().dynamicPort());
        siem.start();
        app = OrgsyncApp.start(TestDatabase.newDatabaseUrl(), properties());
    }

    static Map<String, String> properties() {
        Map<String, String> p = new HashMap<>(s3.properties(BUCKET));
        p.put("orgsync.stripe.api-key", "sk_test_orgsync");
        p.put("orgsync.stripe.api-base", stripe.baseUrl());
        p.put("orgsync.stripe.price.starter", "price_starter");
        p.put("orgsync.stripe.price.pro", "price_pro");
        p.put("orgsync.stripe.price.enterprise", "price_enterprise");
        p.put("orgsync.audit.url", siem.baseUrl() + "/audit");
        p.put("orgsync.admin.token", TOKEN);
        for (String target : List.of("archive", "audit-sink", "stripe", "provisioning")) {
            p.put("orgsync.target." + target + ".initial-backoff-ms", "200");
            p.put("orgsync.target." + target + ".max-backoff-ms", "400");
            p.put("orgsync.target." + target + ".max-attempts", "8");
        }
        p.put("orgsync.target.archive.max-attempts", "1000");
        return p;
    }

    @AfterAll
    static void stop() {
        app.close();
        stripe.stop();
        siem.stop();
        s3.close();
    }

    @BeforeEach
    void reset() {
        // nothing of an earlier test may still be in flight when its traces are wiped
        OrgsyncApp.await("the previous fan-out to settle", app::fanoutSettled, WAIT);
        app.truncate();
        stripe.resetAll();
        siem.resetAll();
        stubStripe();
        siem.stubFor(post(urlEqualTo("/audit")).willReturn(aResponse().withStatus(204)));
        try (S3Client client = s3.client()) {
            for (S3Object o : client.listObjectsV2(ListObjectsV2Request.builder().bucket(BUCKET).build()).contents()) {
                client.deleteObject(b -> b.bucket(BUCKET).key(o.key()));
            }
        }
    }

    @AfterEach
    void resumeRoutes() throws Exception {
        app.camel().getRouteController().resumeRoute("deliver-stripe");
    }

    /** Before creating a customer, Stripe is asked whether it holds one for the tenant already. */
    static final String SEARCH_TENANT_CUSTOMER = "GET /v1/customers/search?query=metadata[%27authvital_tenant_id%27]%3A%27tnt_test123%27&limit=1";
    static final String NO_CUSTOMER_FOUND = "{\"object\":\"search_result\",\"data\":[],\"has_more\":false,\"url\":\"/v1/customers/search\"}";

    static void stubStripe() {
        stripe.stubFor(get(urlPathEqualTo("/v1/customers/search")).willReturn(okJson(NO_CUSTOMER_FOUND)));
        stripe.stubFor(post(urlEqualTo("/v1/customers")).willReturn(okJson("{\"id\":\"cus_1\",\"object\":\"customer\"}")));
        String subscription = "{\"id\":\"sub_1\",\"object\":\"subscription\",\"items\":{\"object\":\"list\",\"data\":"
                + "[{\"id\":\"si_1\",\"object\":\"subscription_item\"}]}}";
        stripe.stubFor(post(urlEqualTo("/v1/subscriptions")).willReturn(okJson(subscription)));
        stripe.stubFor(post(urlEqualTo("/v1/subscriptions/sub_1")).willReturn(okJson(subscription)));
        stripe.stubFor(delete(urlPathMatching("/v1/subscriptions/sub_1")).willReturn(okJson("{\"id\":\"sub_1\",\"object\":\"subscription\",\"status\":\"canceled\"}")));
        stripe.stubFor(delete(urlEqualTo("/v1/customers/cus_1")).willReturn(okJson("{\"id\":\"cus_1\",\"object\":\"customer\",\"deleted\":true}")));
        stripe.stubFor(get(urlPathEqualTo("/v1/subscriptions")).willReturn(okJson("{\"object\":\"list\",\"data\":[],\"has_more\":false,\"url\":\"/v1/subscriptions\"}")));
    }

    @Test
    void everyEventDeliveredThreeTimesTakesEffectOnceAtEveryTarget() {
        ObjectNode created = Fixtures.seed("tenant.created");                 // plan pro
        ObjectNode updated = Fixtures.seed("tenant.updated");                 // plan enterprise
        updated.put("timestamp", "2026-11-20T10:00:01.000Z");
        ObjectNode application = Fixtures.seed("application.created");
        for (int i = 0; i < 3; i++) {
            for (ObjectNode event : List.of(created, updated, application)) {
                assertThat(app.postSync(event).status()).isEqualTo(200);
            }
        }
        OrgsyncApp.await("the fan-out", app::fanoutSettled, WAIT);

        // archive: one object per event, holding the exact raw body and the verification
        List<String> keys = archiveKeys();
        assertThat(keys).containsExactlyInAnyOrder("authvital/" + today() + "/evt_test001.json",
                "authvital/" + today() + "/evt_test002.json", "authvital/" + today() + "/evt_test003.json");
        JsonNode archived = archived("authvital/" + today() + "/evt_test001.json");
        assertThat(archived.path("raw_body").asText()).isEqualTo(new String(Fixtures.bytes(created), StandardCharsets.UTF_8));
        assertThat(archived.path("verification").path("verified").asBoolean()).isTrue();
        assertThat(archived.path("headers").path("X-AuthVital-Event-Id").asText()).isEqualTo("evt_test001");

        // audit sink: one POST per applied event, keyed by the event id
        List<LoggedRequest> audit = siem.findAll(postRequestedFor(urlEqualTo("/audit")));
        assertThat(audit).hasSize(3);
        assertThat(audit.stream().map(r -> r.getHeader("Idempotency-Key")).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("evt_test001", "evt_test002", "evt_test003");

        // Stripe: one customer, one subscription, one price swap, with deterministic keys and the right fields
        assertThat(stripe.findAll(postRequestedFor(urlEqualTo("/v1/customers")))).singleElement().satisfies(r -> {
            assertThat(r.getHeader("Idempotency-Key")).isEqualTo("orgsync:evt_test001:customer.create");
            assertThat(form(r)).containsEntry("name", "Test Corp").containsEntry("metadata[authvital_tenant_id]", "tnt_test123")
                    .containsEntry("metadata[created_by]", "usr_admin001");
        });
        assertThat(stripe.findAll(postRequestedFor(urlEqualTo("/v1/subscriptions")))).singleElement().satisfies(r -> {
            assertThat(r.getHeader("Idempotency-Key")).isEqualTo("orgsync:evt_test001:subscription.create");
            assertThat(form(r)).containsEntry("customer", "cus_1").containsEntry("items[0][price]", "price_pro");
        });
        assertThat(stripe.findAll(postRequestedFor(urlEqualTo("/v1/subscriptions/sub_1")))).singleElement().satisfies(r -> {
            assertThat(r.getHeader("Idempotency-Key")).isEqualTo("orgsync:evt_test002:subscription.update");
            assertThat(form(r)).containsEntry("items[0][id]", "si_1").containsEntry("items[0][price]", "price_enterprise")
                    .containsEntry("proration_behavior", "create_prorations");
        });
        assertThat(app.row("SELECT stripe_customer_id, stripe_subscription_id, stripe_plan, storage_bucket FROM av_organizations"))
                .containsEntry("stripe_customer_id", "cus_1").containsEntry("stripe_subscription_id", "sub_1")
                .containsEntry("stripe_plan", "enterprise").containsEntry("storage_bucket", "orgsync-test-corp-" + io.orgsync.outbox.Provisioning.hash("tnt_test123"));

        // provisioning: the tenant's bucket exists
        try (S3Client client = s3.client()) {
            assertThat(client.listBuckets().buckets()).anyMatch(b -> b.name().equals("orgsync-test-corp-" + io.orgsync.outbox.Provisioning.hash("tnt_test123")));
        }
        assertThat(app.outbox("archive", "done")).isEqualTo(3);
        assertThat(app.outbox("stripe", "done")).isEqualTo(2);
        assertThat(app.outbox("provisioning", "done")).isEqualTo(1);
    }

    @Test
    void anArchivedObjectIsNeverOverwritten() {
        String key = "authvital/" + today() + "/evt_test001.json";
        try (S3Client client = s3.client()) {
            client.putObject(b -> b.bucket(BUCKET).key(key), software.amazon.awssdk.core.sync.RequestBody.fromString("{\"original\":true}"));
        }
        assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
        OrgsyncApp.await("the archive delivery", () -> app.outbox("archive", "done") == 1, WAIT);
        assertThat(archived(key).path("original").asBoolean()).isTrue();
    }

    @Test
    void stripeAnswering500Then200GivesOneCustomerAfterOneRetry() {
        stripe.stubFor(post(urlEqualTo("/v1/customers")).inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(500).withBody("{\"error\":{\"message\":\"boom\",\"type\":\"api_error\"}}"))
                .willSetStateTo("recovered"));
        stripe.stubFor(post(urlEqualTo("/v1/customers")).inScenario("flaky").whenScenarioStateIs("recovered")
                .willReturn(okJson("{\"id\":\"cus_1\",\"object\":\"customer\"}")));
        ObjectNode created = Fixtures.seed("tenant.created");
        ((ObjectNode) created.get("data")).put("plan", "free");
        assertThat(app.postSync(created).status()).isEqualTo(200);
        OrgsyncApp.await("the Stripe delivery", () -> app.outbox("stripe", "done") == 1, WAIT);

        List<LoggedRequest> calls = stripe.findAll(postRequestedFor(urlEqualTo("/v1/customers")));
        assertThat(calls).hasSize(2);
        assertThat(calls).extracting(r -> r.getHeader("Idempotency-Key")).containsOnly("orgsync:evt_test001:customer.create");
        assertThat(app.row("SELECT attempts FROM orgsync_outbox WHERE target = 'stripe'")).containsEntry("attempts", 2);
        assertThat(app.row("SELECT stripe_customer_id FROM av_organizations")).containsEntry("stripe_customer_id", "cus_1");
        assertThat(stripe.findAll(postRequestedFor(urlEqualTo("/v1/subscriptions")))).isEmpty();
    }

    @Test
    void stripeAnswering400IsADeadLetterThatReplaysOnceFixed() {
        stripe.stubFor(post(urlEqualTo("/v1/customers")).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"message\":\"Invalid email address\",\"type\":\"invalid_request_error\"}}")));
        assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
        OrgsyncApp.await("the dead letter", () -> app.outbox("stripe", "dead") == 1, WAIT);
        Map<String, Object> dead = app.row("SELECT id, attempts, error_category, last_error FROM orgsync_outbox WHERE target = 'stripe'");
        assertThat(dead).containsEntry("attempts", 1).containsEntry("error_category", "permanent");
        assertThat((String) dead.get("last_error")).contains("Invalid email address");
        // the other targets were not held back
        OrgsyncApp.await("the other targets", () -> app.outbox("archive", "done") == 1 && app.outbox("audit-sink", "done") == 1
                && app.outbox("provisioning", "done") == 1, WAIT);

        OrgsyncApp.Reply list = app.admin("GET", "/admin/dead-letters?target=stripe", TOKEN);
        assertThat(list.status()).as(list.raw()).isEqualTo(200);
        assertThat(list.json()).hasSize(1);
        assertThat(list.json().get(0).path("event_id").asText()).isEqualTo("evt_test001");
        assertThat(list.json().get(0).path("error_category").asText()).isEqualTo("permanent");
        long id = list.json().get(0).path("id").asLong();
        OrgsyncApp.Reply show = app.admin("GET", "/admin/dead-letters/" + id, TOKEN);
        assertThat(show.status()).isEqualTo(200);
        assertThat(show.json().path("last_error").asText()).contains("Invalid email address");

        stubStripe();
        OrgsyncApp.Reply replay = app.admin("POST", "/admin/dead-letters/" + id + "/replay", TOKEN);
        assertThat(replay.status()).as(replay.raw()).isEqualTo(200);
        assertThat(replay.json().path("replayed").asInt()).isEqualTo(1);
        OrgsyncApp.await("the replay", () -> app.outbox("stripe", "done") == 1, WAIT);
        // the refused call and the replayed one, under one idempotency key: one customer
        List<LoggedRequest> customers = stripe.findAll(postRequestedFor(urlEqualTo("/v1/customers")));
        assertThat(customers).hasSize(2).extracting(r -> r.getHeader("Idempotency-Key")).containsOnly("orgsync:evt_test001:customer.create");
        assertThat(app.row("SELECT stripe_customer_id FROM av_organizations")).containsEntry("stripe_customer_id", "cus_1");
        assertThat(stripe.findAll(postRequestedFor(urlEqualTo("/v1/subscriptions")))).hasSize(1);
        assertThat(app.admin("GET", "/admin/dead-letters", TOKEN).json()).isEmpty();
    }

    @Test
    void theCustomerIsSavedAsSoonAsStripeCreatesItSoAFailedSubscriptionNeverLeadsToASecondOne() {
        stripe.stubFor(post(urlEqualTo("/v1/subscriptions")).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"message\":\"No such price\",\"type\":\"invalid_request_error\"}}")));
        assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);   // plan pro
        OrgsyncApp.await("the dead letter", () -> app.outbox("stripe", "dead") == 1, WAIT);
        assertThat(app.row("SELECT stripe_customer_id FROM av_organizations")).containsEntry("stripe_customer_id", "cus_1");

        // the dead letter is discarded (Stripe holds a tenant's later rows while it stands), and a later event goes on
        long deadId = ((Number) app.row("SELECT id FROM orgsync_outbox WHERE status = 'dead'").get("id")).longValue();
        assertThat(app.admin("DELETE", "/admin/dead-letters/" + deadId, TOKEN).status()).isEqualTo(200);
        ObjectNode updated = Fixtures.seed("tenant.updated");                 // plan enterprise
        assertThat(app.postSync(updated).status()).isEqualTo(200);
        OrgsyncApp.await("the update's delivery", () -> app.outbox("stripe", "pending") == 0, WAIT);
        assertThat(stripe.findAll(postRequestedFor(urlEqualTo("/v1/customers")))).as("one customer").hasSize(1);
    }

    @Test
    void aCustomerStripeAlreadyHoldsForTheTenantIsFoundAgainNotCreatedTwice() {
        // as after a replay past Stripe's 24 h idempotency window, or a create whose answer never came back
        stripe.stubFor(get(urlPathEqualTo("/v1/customers/search"))
                .withQueryParam("query", equalTo("metadata['authvital_tenant_id']:'tnt_test123'"))
                .willReturn(okJson("{\"object\":\"search_result\",\"data\":[{\"id\":\"cus_earlier\",\"object\":\"customer\"}],"
                        + "\"has_more\":false,\"url\":\"/v1/customers/search\"}")));
        stripe.stubFor(post(urlEqualTo("/v1/subscriptions")).willReturn(okJson("{\"id\":\"sub_1\",\"object\":\"subscription\"}")));
        assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
        OrgsyncApp.await("Stripe", () -> app.outbox("stripe", "done") == 1, WAIT);
        assertThat(stripe.findAll(postRequestedFor(urlEqualTo("/v1/customers")))).isEmpty();
        assertThat(stripe.findAll(postRequestedFor(urlEqualTo("/v1/subscriptions")))).singleElement()
                .satisfies(r -> assertThat(r.getBodyAsString()).contains("customer=cus_earlier"));
        assertThat(app.row("SELECT stripe_customer_id FROM av_organizations")).containsEntry("stripe_customer_id", "cus_earlier");
    }

    @Test
    void aSubscriptionStripeAlreadyHoldsForTheTenantIsTakenNotMadeTwice() {
        // as after a rebuild from the archive: the tenant row knows neither its customer nor its subscription
        stripe.stubFor(get(urlPathEqualTo("/v1/customers/search"))
                .willReturn(okJson("{\"object\":\"search_result\",\"data\":[{\"id\":\"cus_earlier\",\"object\":\"customer\"}],"
                        + "\"has_more\":false,\"url\":\"/v1/customers/search\"}")));
        stripe.stubFor(get(urlPathEqualTo("/v1/subscriptions")).withQueryParam("customer", equalTo("cus_earlier"))
                .willReturn(okJson("{\"object\":\"list\",\"has_more\":false,\"url\":\"/v1/subscriptions\",\"data\":["
                        + "{\"id\":\"sub_other\",\"object\":\"subscription\",\"status\":\"active\",\"metadata\":{\"authvital_tenant_id\":\"tnt_else\"}},"
                        + "{\"id\":\"sub_earlier\",\"object\":\"subscription\",\"status\":\"active\",\"metadata\":{\"authvital_tenant_id\":\"tnt_test123\",\"plan\":\"pro\"},"
                        + "\"items\":{\"object\":\"list\",\"data\":[{\"id\":\"si_earlier\",\"object\":\"subscription_item\"}]}}]}")));
        stripe.stubFor(post(urlEqualTo("/v1/subscriptions/sub_earlier")).willReturn(okJson("{\"id\":\"sub_earlier\",\"object\":\"subscription\","
                + "\"items\":{\"object\":\"list\",\"data\":[{\"id\":\"si_earlier\",\"object\":\"subscription_item\"}]}}")));
        ObjectNode updated = Fixtures.seed("tenant.updated");                 // plan enterprise
        app.rows("INSERT INTO av_organizations (id, name, slug, plan, last_event_at) VALUES ('tnt_test123', 'Test Corp', 'test-corp', 'pro', now()) RETURNING id");
        assertThat(app.postSync(updated).status()).isEqualTo(200);
        OrgsyncApp.await("Stripe", () -> app.outbox("stripe", "done") == 1, WAIT);
        assertThat(stripe.findAll(postRequestedFor(urlEqualTo("/v1/customers")))).isEmpty();
        assertThat(stripe.findAll(postRequestedFor(urlEqualTo("/v1/subscriptions")))).as("no second subscription").isEmpty();
        // the plan changed from the one it was made for (pro): its price is swapped, on the subscription it has
        assertThat(stripe.findAll(postRequestedFor(urlEqualTo("/v1/subscriptions/sub_earlier")))).singleElement()
                .satisfies(r -> assertThat(form(r)).containsEntry("items[0][id]", "si_earlier").containsEntry("metadata[plan]", "enterprise"));
        assertThat(app.row("SELECT stripe_customer_id, stripe_subscription_id, stripe_plan FROM av_organizations"))
                .containsEntry("stripe_customer_id", "cus_earlier").containsEntry("stripe_subscription_id", "sub_earlier")
                .containsEntry("stripe_plan", "enterprise");
    }

    @Test
    void storageNamedLikeAnotherTenantsIsADeadLetterNeverAShare() {
        String bucket = "orgsync-test-corp-" + io.orgsync.outbox.Provisioning.hash("tnt_test123");
        // another tenant already holds the name this one would get (only a template without {hash} allows it)
        app.rows("INSERT INTO av_organizations (id, name, slug, last_event_at, storage_bucket) "
                + "VALUES ('tnt_other', 'Other', 'test-corp', now(), ?) RETURNING id", bucket);
        assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
        OrgsyncApp.await("the dead letter", () -> app.outbox("provisioning", "dead") == 1, WAIT);
        assertThat(app.row("SELECT error_category FROM orgsync_outbox WHERE target = 'provisioning'"))
                .containsEntry("error_category", "permanent");
        assertThat(app.row("SELECT storage_bucket FROM av_organizations WHERE id = 'tnt_test123'")).containsEntry("storage_bucket", null);
    }

    @Test
    void aStripeDeadLetterHoldsBackTheTenantsLaterStripeRowsUntilReplayed() {
        stripe.stubFor(post(urlEqualTo("/v1/customers")).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"message\":\"Invalid email address\",\"type\":\"invalid_request_error\"}}")));
        assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
        OrgsyncApp.await("the dead letter", () -> app.outbox("stripe", "dead") == 1, WAIT);
        for (int i = 0; i < 3; i++) {
            ObjectNode updated = Fixtures.seed("tenant.updated");
            updated.put("id", "evt_later_" + i).put("timestamp", "2026-11-20T10:0" + (i + 1) + ":00.000Z");
            assertThat(app.postSync(updated).status()).isEqualTo(200);
        }
        // the later events reach every other target, and wait for Stripe
        OrgsyncApp.await("the other targets", () -> app.outbox("archive", "done") == 4 && app.outbox("audit-sink", "done") == 4, WAIT);
        assertThat(app.outbox("stripe", "pending")).isEqualTo(3);
        assertThat(app.rows("SELECT id FROM orgsync_outbox WHERE target = 'stripe' AND status = 'pending' AND attempts > 0")).isEmpty();
        assertThat(stripe.findAll(postRequestedFor(urlEqualTo("/v1/customers")))).as("no customer.create of their own").hasSize(1);
        OrgsyncApp.Reply held = app.admin("GET", "/admin/held?target=stripe", TOKEN);
        assertThat(held.status()).as(held.raw()).isEqualTo(200);
        long deadId = ((Number) app.row("SELECT id FROM orgsync_outbox WHERE status = 'dead'").get("id")).longValue();
        assertThat(held.json()).hasSize(3).allSatisfy(row -> assertThat(row.path("held_by").asLong()).isEqualTo(deadId));
        OrgsyncApp.await("the held gauge", () -> metrics().contains("orgsync_outbox_held{target=\"stripe\"} 3.0"), WAIT);
        assertThat(metrics()).contains("orgsync_outbox_dead{target=\"stripe\"} 1.0");

        stubStripe();
        assertThat(app.admin("POST", "/admin/dead-letters/" + deadId + "/replay", TOKEN).status()).isEqualTo(200);
        OrgsyncApp.await("Stripe catches up", () -> app.outbox("stripe", "done") == 4, WAIT);
        // the created event made the customer, the held updates acted on it
        assertThat(stripe.findAll(postRequestedFor(urlEqualTo("/v1/customers"))))
                .extracting(r -> r.getHeader("Idempotency-Key")).containsOnly("orgsync:evt_test001:customer.create");
        assertThat(app.row("SELECT stripe_customer_id, stripe_plan FROM av_organizations"))
                .containsEntry("stripe_customer_id", "cus_1").containsEntry("stripe_plan", "enterprise");
        assertThat(app.admin("GET", "/admin/held", TOKEN).json()).isEmpty();
    }

    static String metrics() {
        return app.admin("GET", "/observe/metrics", null).raw();
    }

    @Test
    void anUnreachableS3CatchesUpWithNothingLost() {
        s3.stop();
        try {
            for (String type : List.of("tenant.created", "application.created", "sso.provider_added")) {
                assertThat(app.postSync(Fixtures.seed(type)).status()).isEqualTo(200);
            }
            // the tenant's first event retries; its later events wait behind it (one tenant, event order)
            OrgsyncApp.await("failed archive attempts", () -> ((Number) app.row("SELECT count(*) AS n FROM orgsync_outbox "
                    + "WHERE target = 'archive' AND status = 'pending' AND attempts >= 3 AND error_category = 'retryable'").get("n")).longValue() == 1, WAIT);
            assertThat(app.outbox("archive", "pending")).isEqualTo(3);
            assertThat(app.outbox("archive", "dead")).isZero();
            // the other targets are not held back by the archive
            OrgsyncApp.await("the audit sink", () -> app.outbox("audit-sink", "done") == 3, WAIT);
        } finally {
            s3.start();
        }
        OrgsyncApp.await("the archive to catch up", () -> app.outbox("archive", "done") == 3, WAIT);
        assertThat(archiveKeys()).hasSize(3);
    }

    @Test
    void plansChangingFreeProEnterpriseFreeArrivingShuffledGiveTheRightStripeCallsInOrder() throws Exception {
        app.camel().getRouteController().suspendRoute("deliver-stripe");
        String[] plans = {"free", "pro", "enterprise", "free"};
        int[] arrival = {2, 0, 3, 1};
        for (int index : arrival) {
            ObjectNode event = Fixtures.seed(index == 0 ? "tenant.created" : "tenant.updated");
            event.put("id", "evt_plan_" + index);
            event.put("type", index == 0 ? "tenant.created" : "tenant.updated");
            event.put("timestamp", "2026-11-20T10:00:0" + index + ".000Z");
            ((ObjectNode) event.get("data")).put("plan", plans[index]);
            assertThat(app.postSync(event).status()).isEqualTo(200);
        }
        OrgsyncApp.await("the stripe rows", () -> app.outbox("stripe", "pending") == 4, WAIT);
        app.camel().getRouteController().resumeRoute("deliver-stripe");
        OrgsyncApp.await("Stripe", () -> app.outbox("stripe", "done") == 4, WAIT);

        List<String> calls = stripe.getAllServeEvents().stream()
                .sorted((a, b) -> a.getRequest().getLoggedDate().compareTo(b.getRequest().getLoggedDate()))
                .map(e -> e.getRequest().getMethod() + " " + e.getRequest().getUrl() + " " + e.getRequest().getHeader("Idempotency-Key"))
                .toList();
        assertThat(calls).containsExactly(
                SEARCH_TENANT_CUSTOMER + " null",
                "POST /v1/customers orgsync:evt_plan_0:customer.create",
                "POST /v1/subscriptions orgsync:evt_plan_1:subscription.create",
                "POST /v1/subscriptions/sub_1 orgsync:evt_plan_2:subscription.update",
                "DELETE /v1/subscriptions/sub_1 orgsync:evt_plan_3:subscription.cancel");
        assertThat(app.row("SELECT stripe_plan, stripe_subscription_id FROM av_organizations"))
                .containsEntry("stripe_plan", "free").containsEntry("stripe_subscription_id", null);
    }

    @Test
    void aDeletedTenantCancelsThenDeletesTheCustomer() {
        assertThat(app.postSync(Fixtures.seed("tenant.created")).status()).isEqualTo(200);
        OrgsyncApp.await("the subscription", () -> app.outbox("stripe", "done") == 1, WAIT);
        ObjectNode deleted = Fixtures.seed("tenant.updated");
        deleted.put("id", "evt_deleted").put("type", "tenant.deleted").put("timestamp", "2026-11-20T10:05:00.000Z");
        assertThat(app.postSync(deleted).status()).isEqualTo(200);
        OrgsyncApp.await("the deletion", () -> app.outbox("stripe", "done") == 2, WAIT);
        List<String> calls = stripe.getAllServeEvents().stream()
                .sorted((a, b) -> a.getRequest().getLoggedDate().compareTo(b.getRequest().getLoggedDate()))
                .map(e -> e.getRequest().getMethod() + " " + e.getRequest().getUrl()).toList();
        assertThat(calls).containsExactly(SEARCH_TENANT_CUSTOMER, "POST /v1/customers", "POST /v1/subscriptions", "DELETE /v1/subscriptions/sub_1",
                "DELETE /v1/customers/cus_1");
    }

    static String today() {
        return Instant.now().toString().substring(0, 10).replace('-', '/');
    }

    static List<String> archiveKeys() {
        try (S3Client client = s3.client()) {
            return client.listObjectsV2(ListObjectsV2Request.builder().bucket(BUCKET).build()).contents().stream()
                    .map(S3Object::key).toList();
        }
    }

    static JsonNode archived(String key) {
        try (S3Client client = s3.client()) {
            return Fixtures.MAPPER.readTree(client.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static Map<String, String> form(LoggedRequest request) {
        Map<String, String> fields = new HashMap<>();
        for (String pair : request.getBodyAsString().split("&")) {
            String[] kv = pair.split("=", 2);
            fields.put(java.net.URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                    kv.length > 1 ? java.net.URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
        }
        return fields;
    }
}
