-- A tenant's bucket or prefix is its own: no two tenants may record the same name. Names carry a
-- hash of the tenant id (orgsync.provisioning.bucket-template), so this can only trip on a template
-- that leaves the hash out; the provisioning delivery then fails into a dead letter instead of
-- handing the second tenant the first one's storage.
CREATE UNIQUE INDEX av_organizations_storage_bucket_key ON av_organizations (storage_bucket) WHERE storage_bucket IS NOT NULL;
CREATE UNIQUE INDEX av_organizations_storage_prefix_key ON av_organizations (storage_prefix) WHERE storage_prefix IS NOT NULL;
