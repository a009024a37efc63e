-- Personal data in the mirror: which JSON fields and columns hold it, for the purge (anonymised) and
-- the export (left out unless asked for). docs/tenancy.md. A repeatable migration: add a field
-- here, and orgsync applies it at its next start.

-- A field holds personal data: an email, a name, or the subject of the person who did something.
CREATE OR REPLACE FUNCTION orgsync_is_personal(field text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT field = ANY (ARRAY['owner_email', 'email', 'email_address', 'user_email', 'identifier', 'first_name',
                              'last_name', 'full_name', 'username', 'phone_number', 'granted_by_id', 'revoked_by_id',
                              'created_by', 'image_url', 'profile_image_url'])
        OR field LIKE '%\_by\_sub'
$$;

-- The value a purge leaves in place of personal data: the row and the audit trail keep their shape.
CREATE OR REPLACE FUNCTION orgsync_anonymised(value text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN NULL ELSE '[anonymised]' END
$$;

-- A JSON document with its personal fields, at any depth, anonymised (p_remove false: the value
-- becomes "[anonymised]", a null stays null) or removed (p_remove true).
CREATE OR REPLACE FUNCTION orgsync_scrub(doc jsonb, p_remove boolean) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF doc IS NULL THEN
        RETURN NULL;
    ELSIF jsonb_typeof(doc) = 'object' THEN
        RETURN COALESCE((SELECT jsonb_object_agg(e.key, CASE WHEN NOT orgsync_is_personal(e.key) THEN orgsync_scrub(e.value, p_remove)
                                                              WHEN jsonb_typeof(e.value) = 'null' THEN e.value
                                                              ELSE to_jsonb('[anonymised]'::text) END)
                         FROM jsonb_each(doc) AS e
                         WHERE NOT (p_remove AND orgsync_is_personal(e.key))), '{}'::jsonb);
    ELSIF jsonb_typeof(doc) = 'array' THEN
        RETURN COALESCE((SELECT jsonb_agg(orgsync_scrub(a.value, p_remove) ORDER BY a.n)
                         FROM jsonb_array_elements(doc) WITH ORDINALITY AS a(value, n)), '[]'::jsonb);
    END IF;
    RETURN doc;
END
$$;
