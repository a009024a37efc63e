package io.orgsync.outbox;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import io.orgsync.webhook.Json;

/**
 * Tenant storage provisioning (seeds/000 "Cloud Resource Provisioning"): the names of a new
 * tenant's storage, from {@code orgsync.provisioning.bucket-template} ("{prefix}-{slug}-files")
 * in bucket mode, or a prefix in the shared bucket in prefix mode. A name that breaks S3's bucket
 * naming rules is a permanent failure (a dead letter), never a guess. Without S3, a local folder.
 */
public class Provisioning {

    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IP = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

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
        this.template = template;
        this.prefix = prefix;
        this.localDir = localDir;
    }

    /** {@code {mode, tenant_id, bucket, prefix}} for the tenant.created event in the outbox row. */
    public Map<String, Object> plan(Map<String, Object> row) throws Exception {
        JsonNode data = Json.MAPPER.readTree(String.valueOf(row.get("data")));
        String tenantId = String.valueOf(row.get("tenant_id"));
        String slug = data.path("slug").asText(tenantId).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("mode", mode);
        plan.put("tenant_id", tenantId);
        if ("bucket".equals(mode)) {
            String bucket = template.replace("{prefix}", prefix).replace("{slug}", slug).replace("{tenant_id}",
                    tenantId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-"));
            checkBucketName(bucket);
            plan.put("bucket", bucket);
            plan.put("prefix", null);
        } else if ("prefix".equals(mode)) {
            plan.put("bucket", null);
            plan.put("prefix", "tenants/" + slug + "/");
        } else {
            plan.put("bucket", null);
            plan.put("prefix", java.nio.file.Path.of(localDir, slug).toString());
        }
        return plan;
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
