-- 0001_init.sql: API users, phone models and phone security profiles.
-- Forward-only: never edit a migration once it has landed; add a new one.

CREATE TABLE api_user (
    userid        text PRIMARY KEY CHECK (length(userid) BETWEEN 1 AND 64),
    password_hash text NOT NULL CHECK (password_hash LIKE 'pbkdf2-sha256$%'),
    role          text NOT NULL DEFAULT 'full' CHECK (role IN ('full', 'read-only')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- What each phone model can do, as far as security profiles care.
-- since: first AXL schema version (major*10+minor) whose XModel lists it.
CREATE TABLE phone_model (
    name              text PRIMARY KEY,
    sip               boolean NOT NULL,
    sccp              boolean NOT NULL,
    secure            boolean NOT NULL,   -- Authenticated / Encrypted modes
    cisco             boolean NOT NULL,   -- CAPF, TFTP encryption, digest exclusion
    model_independent boolean NOT NULL DEFAULT false,
    since             integer NOT NULL DEFAULT 110,
    CHECK (sip OR sccp)
);

-- The columns mirror the AXL element names through src/profile_fields.c.
-- Enumerations are checked here as a backstop; the server validates first
-- and answers with AXL's "Invalid value for ..." faults.
CREATE TABLE phone_security_profile (
    pkid                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                        text NOT NULL UNIQUE
                                CHECK (char_length(name) BETWEEN 1 AND 100),
    phone_type                  text NOT NULL REFERENCES phone_model (name),
    protocol                    text NOT NULL CHECK (protocol IN ('SIP', 'SCCP')),
    description                 text NOT NULL DEFAULT ''
                                CHECK (char_length(description) <= 50
                                       AND description !~ '["%&\\<>]'),
    device_security_mode        text NOT NULL DEFAULT 'Non Secure'
                                CHECK (device_security_mode IN ('Non Secure', 'Authenticated', 'Encrypted')),
    authentication_mode         text NOT NULL DEFAULT 'By Null String'
                                CHECK (authentication_mode IN ('By Authentication String', 'By Null String',
                                       'By Existing Certificate (precedence to LSC)',
                                       'By Existing Certificate (precedence to MIC)')),
    key_size                    text NOT NULL DEFAULT '2048'
                                CHECK (key_size IN ('512', '1024', '2048', '3072', '4096')),
    key_order                   text NOT NULL DEFAULT 'RSA Only'
                                CHECK (key_order IN ('RSA Only', 'EC Only', 'EC Preferred, RSA Backup')),
    ec_key_size                 text NOT NULL DEFAULT ''
                                CHECK (ec_key_size IN ('', '256', '384', '521')),
    tftp_encrypted_config       boolean NOT NULL DEFAULT false,
    enable_oauth                boolean NOT NULL DEFAULT false,
    nonce_validity_time         integer NOT NULL DEFAULT 600
                                CHECK (nonce_validity_time BETWEEN 1 AND 86400),
    transport_type              text NOT NULL DEFAULT 'TCP+UDP'
                                CHECK (transport_type IN ('TCP', 'UDP', 'TLS', 'TCP+UDP')),
    sip_phone_port              integer NOT NULL DEFAULT 5060
                                CHECK (sip_phone_port BETWEEN 1 AND 65535),
    enable_digest               boolean NOT NULL DEFAULT false,
    exclude_digest_credentials  boolean NOT NULL DEFAULT false,
    is_standard                 boolean NOT NULL DEFAULT false,
    -- The admin guide: secure modes use TLS, Non Secure never does.
    CONSTRAINT secure_mode_uses_tls
        CHECK ((device_security_mode = 'Non Secure') = (transport_type <> 'TLS'))
);

-- Prefix searches (name LIKE 'abc%') whatever the database collation.
CREATE INDEX phone_security_profile_name_pattern
    ON phone_security_profile (name text_pattern_ops);

-- Predefined profiles cannot change or go away, whatever the client.
CREATE FUNCTION phone_security_profile_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.is_standard THEN
        RAISE EXCEPTION 'predefined security profile "%" cannot be changed or removed', OLD.name
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER phone_security_profile_guard
    BEFORE UPDATE OR DELETE ON phone_security_profile
    FOR EACH ROW EXECUTE FUNCTION phone_security_profile_guard();
