package io.orgsync.outbox;

import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import io.orgsync.ConfigurationError;
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
 * With mode {@code schema} the tenant also gets a PostgreSQL schema of its own ({@link #schemaName}).
 */
public class Provisioning {

    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IP = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final int MAX_BUCKET = 63;
    private static final int MAX_SLUG = 40;
    private static final int MAX_SCHEMA_SLUG = 40;
    private static final Set<String> MODES = Set.of("bucket", "prefix", "schema");

    private final String mode;
    private final boolean schema;
    private final String template;
    private final String prefix;
    private final String localDir;

    /**
     * @param modes        what a new tenant gets, comma-separated: bucket or prefix (its storage), and/or
     *                     schema (a PostgreSQL schema of its own, migrated from db/tenant/)
     * @param s3           whether an S3 client is configured; without one (or, in prefix mode, without
     *                     a shared bucket) storage is a local folder under localDir
     */
    public Provisioning(String modes, String template, String prefix, boolean s3, boolean sharedBucket, String localDir) {
        List<String> chosen = Arrays.stream(modes.split(",")).map(String::strip).filter(m -> !m.isEmpty()).toList();
        for (String m : chosen) {
            if (!MODES.contains(m)) {
                throw new ConfigurationError("orgsync.provisioning.mode", "holds '" + m + "'; it is a comma-separated list of "
                        + "bucket or prefix (the tenant's storage) and schema (its own PostgreSQL schema), e.g. bucket,schema");
            }
        }
        if (chosen.contains("bucket") && chosen.contains("prefix")) {
            throw new ConfigurationError("orgsync.provisioning.mode", "holds both bucket and prefix; a tenant's storage is one or the other");
        }
        String storage = chosen.contains("bucket") ? "bucket" : chosen.contains("prefix") ? "prefix" : "none";
        this.mode = "none".equals(storage) ? "none" : !s3 ? "local" : "prefix".equals(storage) && !sharedBucket ? "local" : storage;
        this.schema = chosen.contains("schema");
        if (!template.contains("{hash}") && !template.contains("{tenant_id}")) {
            throw new IllegalArgumentException("orgsync.provisioning.bucket-template must contain {hash} or {tenant_id}, so that "
                    + "two tenants never get one bucket (it is \"" + template + "\")");
        }
        this.template = template;
        this.prefix = prefix;
        this.localDir = localDir;
    }

    /** {@code {mode, tenant_id, bucket, prefix, schema}} for the tenant.created event in the outbox row. */
    public Map<String, Object> plan(Map<String, Object> row) throws Exception {
        return plan(row, null);
    }

    /**
     * The plan, with the names the tenant row records already (storage_bucket, storage_prefix,
     * tenant_schema) kept: a redelivery, or a reconciled tenant.created that carries a newer slug,
     * reuses the tenant's resources rather than making a second set.
     */
    public Map<String, Object> plan(Map<String, Object> row, Map<String, Object> recorded) throws Exception {
        Map<String, Object> plan = fresh(row);
        if (recorded != null) {
            for (String[] names : new String[][] {{"bucket", "storage_bucket"}, {"prefix", "storage_prefix"}, {"schema", "tenant_schema"}}) {
                if (plan.get(names[0]) != null && recorded.get(names[1]) != null) {
                    plan.put(names[0], recorded.get(names[1]));
                }
            }
        }
        return plan;
    }

    /**
     * The names of the storage this tenant.created gives its tenant, without a schema: what a rebuild
     * records for a tenant deleted since, so that its purge finds storage the lost database's
     * provisioning made (docs/rebuild.md).
     */
    public Map<String, Object> storageNames(Map<String, Object> row) throws Exception {
        Map<String, Object> names = fresh(row);
        names.put("schema", null);
        return names;
    }

    private Map<String, Object> fresh(Map<String, Object> row) throws Exception {
        JsonNode data = Json.MAPPER.readTree(String.valueOf(row.get("data")));
        String tenantId = String.valueOf(row.get("tenant_id"));
        String hash = hash(tenantId);
        String slug = safe(data.path("slug").asText(""), MAX_SLUG);
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("mode", mode);
        plan.put("tenant_id", tenantId);
        plan.put("bucket", null);
        plan.put("prefix", null);
        if ("bucket".equals(mode)) {
            String fixed = template.replace("{prefix}", prefix).replace("{hash}", hash)
                    .replace("{tenant_id}", safe(tenantId, MAX_BUCKET));
            int room = MAX_BUCKET - (fixed.length() - "{slug}".length());
            String bucket = fixed.replace("{slug}", fixed.contains("{slug}") ? safe(slug, Math.max(1, room)) : "");
            checkBucketName(bucket);
            plan.put("bucket", bucket);
        } else if ("prefix".equals(mode)) {
            plan.put("prefix", "tenants/" + slug + "-" + hash + "/");
        } else if ("local".equals(mode)) {
            plan.put("prefix", Path.of(localDir, slug + "-" + hash).toString());
        }
        plan.put("schema", schema ? schemaName(data.path("slug").asText(""), tenantId) : null);
        return plan;
    }

    /**
     * The tenant's schema: {@code tenant_<slug>_<hash>}, the slug's accents taken off, lower-cased, every
     * run of anything but a-z and 0-9 one underscore, cut to 40 characters ("tenant" when nothing is
     * left), and the hash of the tenant id, so at most 58 characters (PostgreSQL allows 63) and unique
     * per tenant id: "Acme.io", "acme_io" and "acme-io" get three schemas, and so does a tenant that
     * reuses a deleted tenant's slug. Only [a-z0-9_]; the SQL that uses it quotes it all the same.
     */
    public static String schemaName(String slug, String tenantId) {
        String plain = Normalizer.normalize(slug, Normalizer.Form.NFKD).replaceAll("\\p{M}+", "");
        return "tenant_" + safe(plain, MAX_SCHEMA_SLUG).replace('-', '_') + "_" + hash(tenantId);
    }

    /** Lower case, runs of anything but a-z and 0-9 as one hyphen, no hyphen at either end, at most max characters. */
    static String safe(String text, int max) {
        String safe = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (safe.length() > max) {
            safe = safe.substring(0, max).replaceAll("-+$", "");
        }
        return safe.isEmpty() ? "tenant" : safe;
    }

    /** A text as a safe name part (a-z, 0-9 and hyphens, at most 40 characters, "tenant" when empty). */
    public static String safeName(String text) {
        return safe(text, MAX_SLUG);
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
