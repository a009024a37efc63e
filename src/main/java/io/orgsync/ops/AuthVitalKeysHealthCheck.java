package io.orgsync.ops;

import java.util.Map;

import io.orgsync.authvital.AuthVitalKeys;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness: can orgsync verify AuthVital's signatures? DOWN only while AuthVital's key set (AV_HOST
 * set) has never been read and cannot be read now; once read, an outage is ridden out on the cached set
 * (and system webhooks are spooled unverified when even that is gone), so it stays UP.
 */
public class AuthVitalKeysHealthCheck extends AbstractHealthCheck {

    private final AuthVitalKeys keys;

    public AuthVitalKeysHealthCheck(AuthVitalKeys keys) {
        super("orgsync", "authvital-keys");
        this.keys = keys;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (keys.url() == null) {
            builder.detail("jwks_url", "not configured (AV_HOST): AuthVital webhooks are not taken");
            builder.up();
            return;
        }
        builder.detail("jwks_url", keys.url());
        if (keys.everLoaded() || keys.load()) {
            builder.up();
        } else {
            builder.message("AuthVital's key set has never been read and cannot be read now: " + keys.url());
            builder.down();
        }
    }
}
