-- 0003_phones_and_users.sql: end users (digest credentials for phones) and
-- phones, the security and CAPF part of AXL's phone.

-- sep_name: Cisco hardware, named SEP + 12 hex digits (its MAC address).
-- mic: ships a manufacture-installed certificate, so it can take a secure
-- profile before any CAPF operation.
ALTER TABLE phone_model
    ADD COLUMN sep_name boolean NOT NULL DEFAULT false,
    ADD COLUMN mic boolean NOT NULL DEFAULT false;

UPDATE phone_model SET sep_name = true, mic = true
 WHERE cisco AND NOT model_independent
   AND name NOT IN ('Cisco Unified Client Services Framework', 'Cisco Dual Mode for iPhone',
                    'Cisco Dual Mode for Android', 'Cisco Jabber for Tablet',
                    'Cisco Webex VDI Svc Framework', 'Cisco IP Communicator');
-- IP Communicator takes the PC's MAC address but has no MIC.
UPDATE phone_model SET sep_name = true WHERE name = 'Cisco IP Communicator';
-- Phones older than the 7941 family shipped without a MIC.
UPDATE phone_model SET mic = false
 WHERE name IN ('Cisco 7940', 'Cisco 7960', 'Cisco 7906', 'Cisco 7911', 'Cisco 3905',
                'Cisco ATA 190', 'Cisco ATA 191');

-- Digest credentials are kept only as RFC 7616 HA1 values for the realm
-- below (MD5 and SHA-256): enough to check a digest, never to recover it.
CREATE TABLE end_user (
    pkid              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    userid            text NOT NULL UNIQUE CHECK (char_length(userid) BETWEEN 1 AND 128),
    first_name        text NOT NULL DEFAULT '' CHECK (char_length(first_name) <= 64),
    last_name         text NOT NULL CHECK (char_length(last_name) BETWEEN 1 AND 64),
    digest_realm      text NOT NULL DEFAULT 'ccmsipline',
    digest_ha1_md5    text CHECK (digest_ha1_md5 ~ '^[0-9a-f]{32}$'),
    digest_ha1_sha256 text CHECK (digest_ha1_sha256 ~ '^[0-9a-f]{64}$'),
    CHECK ((digest_ha1_md5 IS NULL) = (digest_ha1_sha256 IS NULL))
);

CREATE TABLE phone (
    pkid                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ctiid                     integer GENERATED ALWAYS AS IDENTITY UNIQUE,
    name                      text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._-]{1,50}$'),
    description               text NOT NULL DEFAULT '' CHECK (char_length(description) <= 128),
    model                     text NOT NULL REFERENCES phone_model (name),
    class                     text NOT NULL DEFAULT 'Phone',
    protocol                  text NOT NULL CHECK (protocol IN ('SIP', 'SCCP')),
    protocol_side             text NOT NULL DEFAULT 'User' CHECK (protocol_side IN ('User', 'Network')),
    calling_search_space_name text NOT NULL DEFAULT '',
    device_pool_name          text NOT NULL DEFAULT 'Default',
    common_phone_config_name  text NOT NULL DEFAULT 'Standard Common Phone Profile',
    location_name             text NOT NULL DEFAULT 'Hub_None',
    sip_profile_name          text NOT NULL DEFAULT '',
    phone_template_name       text NOT NULL DEFAULT '',
    -- The profile is referenced by key, so a rename shows on every phone,
    -- and a profile in use cannot be deleted.
    security_profile_id       uuid NOT NULL REFERENCES phone_security_profile (pkid) ON DELETE RESTRICT,
    digest_user_id            uuid REFERENCES end_user (pkid) ON DELETE RESTRICT,
    certificate_operation     text NOT NULL DEFAULT 'No Pending Operation'
                              CHECK (certificate_operation IN ('No Pending Operation', 'Install/Upgrade',
                                                               'Delete', 'Troubleshoot')),
    authentication_string     text NOT NULL DEFAULT '' CHECK (char_length(authentication_string) <= 128),
    certificate_status        text NOT NULL DEFAULT 'None',
    upgrade_finish_time       text NOT NULL DEFAULT ''
);

CREATE INDEX phone_security_profile_id ON phone (security_profile_id);
CREATE INDEX phone_digest_user_id ON phone (digest_user_id);
CREATE INDEX phone_name_pattern ON phone (name text_pattern_ops);

-- The uuid AXL prints for a reference we keep by name (device pool, common
-- phone profile, location, SIP profile, template, calling search space):
-- fixed per name, and CUCM's own for the factory "Default" device pool.
CREATE FUNCTION axl_ref_uuid(kind text, name text) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE
        WHEN name = '' THEN NULL
        WHEN kind = 'devicePool' AND name = 'Default' THEN '1b1b9eb6-7803-11d3-bdf0-00108302ead1'::uuid
        ELSE md5(kind || ':' || name)::uuid
    END
$$;
