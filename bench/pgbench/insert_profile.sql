-- The limit for addPhoneSecurityProfile: one single-row INSERT of every
-- column per transaction (what the server's add ends in), a new name each time.
INSERT INTO phone_security_profile
       (phone_type, protocol, name, description, device_security_mode, authentication_mode,
        key_size, key_order, ec_key_size, tftp_encrypted_config, enable_oauth,
        nonce_validity_time, transport_type, sip_phone_port, enable_digest,
        exclude_digest_credentials)
VALUES ('Cisco 8845', 'SIP', :run::text || '-' || :client_id::text || '-' || gen_random_uuid(), 'bench add',
        'Non Secure', 'By Null String', '2048', 'RSA Only', '', false, false,
        600, 'TCP+UDP', 5060, false, false)
RETURNING pkid::text;
