package io.orgsync.outbox;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import io.orgsync.http.Json;

/**
 * Tenant storage provisioning: the names of a new tenant's storage, from
 * {@code orgsync.provisioning.bucket-template} ("{prefix}-{slug}-{hash}") in bucket mode, a prefix
 * in the shared bucket in prefix mode, or a local folder without S3.
 * <p>
 * A name is never taken from an event as it is: the slug is lower-cased, every run of other
 * characters becomes one hyphen, it is cut so the whole name fits (an empty one becomes "tenant"),
 * and {@code {hash}}, the first 10 hex digits of the SHA-256 of the tenant id, makes it unique per
 * tenant: "Acme.io", "acme_io" and "acme-io" are three names, and a new tenant reusing a deleted
 * tenant's slug gets storage of its own. The template must hold {@code {hash}} or
 * {@code {tenant_id}}. The names are unique in the database too: a collision is a dead
 * letter, never a shared bucket. A name that breaks S3's bucket naming rules is a dead letter too.
 */
public class Provisioning {

    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IP = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final int MAX_BUCKET = 63;
    private static final int MAX_SLUG = 40;

    private final String mode;
    private final String template;
    private final String prefix;
    private final String localDir;

    /**
     * @param mode         bucket | prefix, as configured
     * @param s3           whether an S3 client is configured; without one (or, in prefix mode, without
     *                     a shared bucket) storage is a local folder under localDir
     */
    public Provisioning(String mode, String template, String prefix, boolean s3, boolean sharedBucket, String localDir) {
        this.mode = !s3 ? "local" : "prefix".equals(mode) && !sharedBucket ? "local" : "prefix".equals(mode) ? "prefix" : "bucket";
        if (!template.contains("{hash}") && !template.contains("{tenant_id}")) {
            throw new IllegalArgumentException("orgsync.provisioning.bucket-template must contain {hash} or {tenant_id}, so that "
                    + "two tenants never get one bucket (it is \"" + template + "\")");
        }
        this.template = template;
        this.prefix = prefix;
        this.localDir = localDir;
    }

    /** {@code {mode, tenant_id, bucket, prefix}} for the tenant.created event in the outbox row. */
    public Map<String, Object> plan(Map<String, Object> row) throws Exception {
        JsonNode data = Json.MAPPER.readTree(String.valueOf(row.get("data")));
        String tenantId = String.valueOf(row.get("tenant_id"));
        String hash = hash(tenantId);
        String slug = safe(data.path("slug").asText(""), MAX_SLUG);
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("mode", mode);
        plan.put("tenant_id", tenantId);
        if ("bucket".equals(mode)) {
            String fixed = template.replace("{prefix}", prefix).replace("{hash}", hash)
                    .replace("{tenant_id}", safe(tenantId, MAX_BUCKET));
            int room = MAX_BUCKET - (fixed.length() - "{slug}".length());
            String bucket = fixed.replace("{slug}", fixed.contains("{slug}") ? safe(slug, Math.max(1, room)) : "");
            checkBucketName(bucket);
            plan.put("bucket", bucket);
            plan.put("prefix", null);
        } else if ("prefix".equals(mode)) {
            plan.put("bucket", null);
            plan.put("prefix", "tenants/" + slug + "-" + hash + "/");
        } else {
            plan.put("bucket", null);
            plan.put("prefix", java.nio.file.Path.of(localDir, slug + "-" + hash).toString());
        }
        return plan;
    }

    /** Lower case, runs of anything but a-z and 0-9 as one hyphen, no hyphen at either end, at most max characters. */
    static String safe(String text, int max) {
        String safe = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (safe.length() > max) {
            safe = safe.substring(0, max).replaceAll("-+$", "");
        }
        return safe.isEmpty() ? "tenant" : safe;
    }

    /** The first 10 hex digits of the SHA-256 of the tenant id. */
    public static String hash(String tenantId) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(tenantId.getBytes(java.nio.charset.StandardCharsets.UTF_8))).substring(0, 10);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** S3's rules for general purpose bucket names. */
    static void checkBucketName(String name) {
        if (!BUCKET.matcher(name).matches() || name.contains("..") || name.contains(".-") || name.contains("-.")
                || IP.matcher(name).matches() || name.startsWith("xn--") || name.startsWith("sthree-")
                || name.endsWith("-s3alias") || name.endsWith("--ol-s3")) {
            throw new IllegalArgumentException("\"" + name + "\" is not a valid S3 bucket name "
                    + "(3-63 lowercase letters, digits, dots or hyphens; see orgsync.provisioning.bucket-template)");
        }
    }
}
