package io.orgsync.files;

/** A spool file that can never be applied (empty, not the JSON orgsync wrote): it is moved aside, not retried. */
public class UnreadableSpoolFile extends RuntimeException {

    public UnreadableSpoolFile(String reason) {
        super(reason);
    }
}
