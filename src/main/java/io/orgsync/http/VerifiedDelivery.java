package io.orgsync.http;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a source's verification proved about a delivery (the key or message id, the channel, the
 * signed time). Kept with a quarantined event, so that its replay needs no second verification:
 * the raw bytes in the quarantine are the ones that were proved authentic.
 */
public interface VerifiedDelivery {

    /** As JSON, for orgsync_quarantine.verification; {@code "verified": true} and the source's own fields. */
    ObjectNode describe();
}
