package io.orgsync.read;

import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import io.orgsync.http.WebhookRejection;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The read API's answers from the cache, given on the HTTP server's event loop without a Camel
 * exchange: a read the cache can answer 200 or 304 is answered here; every other read (a miss, a
 * refusal of any kind, a parameter this class does not know) goes on to the routes of
 * routes/read-api.camel.yaml, which are the API's definition and answer everything the same way.
 * The answers are the ones the routes made and stored ({@link MirrorCache.Entry}), with the same
 * headers, so a caller cannot tell which of the two answered, except by speed.
 * <p>
 * It asks the same of the cache as the routes do: its token is checked first ({@link ReadApi}), then
 * it waits, without blocking the event loop, until every change committed before the read arrived
 * has been seen ({@link MirrorCache#current()}), and only then looks.
 */
public final class ReadFastPath implements Handler<RoutingContext> {

    private static final String PREFIX = "/v1/organizations/";
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_.~-]{1,200}");

    private final ReadApi api;
    private final MirrorCache cache;

    public ReadFastPath(ReadApi api, MirrorCache cache) {
        this.api = api;
        this.cache = cache;
    }

    /** Puts this handler before the routes' on the read API's router, before the server listens. */
    public void install(Router router) {
        router.get(PREFIX + "*").order(Integer.MIN_VALUE).handler(this);
    }

    /** What a read asks: an organisation by id or slug, its features, or one feature; null for anything else. */
    record Read(String id, String slug, boolean features, String feature, String purpose) {

        static Read of(String path, String query) {
            if (!path.startsWith(PREFIX)) {
                return null;
            }
            String purpose = null;
            if (query != null) {
                if (!query.equals("for=access")) {
                    return null;
                }
                purpose = "access";
            }
            String[] s = path.substring(PREFIX.length()).split("/", -1);
            for (String segment : s) {
                if (!SEGMENT.matcher(segment).matches()) {
                    return null;
                }
            }
            if (s.length == 1) {
                return new Read(s[0], null, false, null, purpose);
            }
            if (s.length == 2 && s[0].equals("by-slug")) {
                return new Read(null, s[1], false, null, purpose);
            }
            if (purpose == null && s.length == 2 && s[1].equals("features")) {
                return new Read(s[0], null, true, null, null);
            }
            if (purpose == null && s.length == 3 && s[1].equals("features")) {
                return new Read(s[0], null, true, s[2], null);
            }
            return null;
        }
    }

    @Override
    public void handle(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        Read read = Read.of(rc.normalizedPath(), request.query());
        if (read == null || !authorized(request.getHeader("Authorization"))) {
            rc.next();
            return;
        }
        // the request waits for the cache's round trip: paused, so that the routes can still read it if it goes on
        boolean paused = !request.isEnded();
        if (paused) {
            request.pause();
        }
        Context context = rc.vertx().getOrCreateContext();
        cache.current().whenComplete((current, failure) -> context.runOnContext(v -> {
            if (paused) {
                request.resume();
            }
            ReadApi.Answer answer = Boolean.TRUE.equals(current) ? answer(read) : null;
            if (answer == null) {
                rc.next();
                return;
            }
            rc.response().putHeader("ETag", answer.etag()).putHeader("Cache-Control", api.cacheControl());
            if (answer.matches(request.getHeader("If-None-Match"))) {
                rc.response().setStatusCode(304).end();
            } else {
                rc.response().setStatusCode(200).putHeader("Content-Type", "application/json").end(Buffer.buffer(answer.bytes()));
            }
        }));
    }

    private boolean authorized(String authorization) {
        try {
            api.caller(authorization);
            return true;
        } catch (WebhookRejection refused) {
            return false; // the routes answer it
        }
    }

    /** The cached 200 answer to this read, or null: not cached, or not a 200. */
    private ReadApi.Answer answer(Read read) {
        String id = read.slug() != null ? cache.cachedSlug(read.slug()) : read.id();
        MirrorCache.Entry entry = id == null ? null : cache.cached(id);
        if (entry == null) {
            return null;
        }
        try {
            JsonNode organization = ReadApi.found(entry.organization());
            if (!read.features()) {
                api.admitted(organization, read.purpose());
                return entry.answer(() -> api.answer(organization));
            }
            if (read.feature() == null) {
                return entry.features(() -> api.answer(api.featuresOf(organization)));
            }
            return entry.feature(read.feature(), () -> api.answer(api.featureOf(organization, read.feature())));
        } catch (WebhookRejection refused) {
            return null; // 403, 404, 410: the routes answer them
        }
    }
}
