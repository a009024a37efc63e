package io.orgsync.authvital;

import io.orgsync.http.WebhookRejection;

/**
 * AuthVital's signing keys cannot be had right now (the key set cannot be read, or an unknown key id
 * arrived while refetches are paused): nothing can be verified yet, and nothing is refused for good.
 * A sync event gets a 503 (AuthVital retries it); a system webhook, which AuthVital never resends, is
 * spooled as received and verified once the keys are back (route authvital-unverified-replay).
 */
public class KeysUnavailable extends WebhookRejection {

    public KeysUnavailable(String code, String message) {
        super(503, code, message);
    }
}
