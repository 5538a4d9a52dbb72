-- 0002_phone_models.sql: the phone models we ship capabilities for, and
-- the predefined non-secure profiles CUCM installs for them
-- ("<model> - Standard <protocol> Non-Secure Profile", one per protocol
-- the model speaks), plus the model-independent profile.

INSERT INTO phone_model (name, sip, sccp, secure, cisco, model_independent, since) VALUES
    -- 78xx
    ('Cisco 7811', true, false, true, true, false, 110),
    ('Cisco 7821', true, false, true, true, false, 110),
    ('Cisco 7832', true, false, true, true, false, 120),
    ('Cisco 7841', true, false, true, true, false, 110),
    ('Cisco 7861', true, false, true, true, false, 110),
    -- 79xx (SCCP and SIP)
    ('Cisco 7906', true, true, true, true, false, 110),
    ('Cisco 7911', true, true, true, true, false, 110),
    ('Cisco 7921', false, true, true, true, false, 110),
    ('Cisco 7925', false, true, true, true, false, 110),
    ('Cisco 7926', false, true, true, true, false, 110),
    ('Cisco 7931', true, true, true, true, false, 110),
    ('Cisco 7937', false, true, true, true, false, 110),
    ('Cisco 7940', true, true, false, true, false, 110),
    ('Cisco 7941', true, true, true, true, false, 110),
    ('Cisco 7942', true, true, true, true, false, 110),
    ('Cisco 7945', true, true, true, true, false, 110),
    ('Cisco 7960', true, true, false, true, false, 110),
    ('Cisco 7961', true, true, true, true, false, 110),
    ('Cisco 7962', true, true, true, true, false, 110),
    ('Cisco 7965', true, true, true, true, false, 110),
    ('Cisco 7970', true, true, true, true, false, 110),
    ('Cisco 7971', true, true, true, true, false, 110),
    ('Cisco 7975', true, true, true, true, false, 110),
    -- 69xx, 89xx, 99xx
    ('Cisco 6921', true, true, true, true, false, 110),
    ('Cisco 6941', true, true, true, true, false, 110),
    ('Cisco 6945', true, true, true, true, false, 110),
    ('Cisco 6961', true, true, true, true, false, 110),
    ('Cisco 8941', true, true, true, true, false, 110),
    ('Cisco 8945', true, true, true, true, false, 110),
    ('Cisco 8961', true, false, true, true, false, 110),
    ('Cisco 9951', true, false, true, true, false, 110),
    ('Cisco 9971', true, false, true, true, false, 110),
    -- 88xx
    ('Cisco 8811', true, false, true, true, false, 110),
    ('Cisco 8821', true, false, true, true, false, 110),
    ('Cisco 8831', true, false, true, true, false, 110),
    ('Cisco 8832', true, false, true, true, false, 120),
    ('Cisco 8841', true, false, true, true, false, 110),
    ('Cisco 8845', true, false, true, true, false, 110),
    ('Cisco 8851', true, false, true, true, false, 110),
    ('Cisco 8851NR', true, false, true, true, false, 115),
    ('Cisco 8861', true, false, true, true, false, 110),
    ('Cisco 8865', true, false, true, true, false, 115),
    ('Cisco 8865NR', true, false, true, true, false, 120),
    -- Added in the 15.0 schema
    ('Cisco 8811NS', true, false, true, true, false, 150),
    ('Cisco 8841NS', true, false, true, true, false, 150),
    ('Cisco 8851NS', true, false, true, true, false, 150),
    ('Cisco 8875', true, false, true, true, false, 150),
    ('Cisco 8875NR', true, false, true, true, false, 150),
    -- Others, video and analog adapters
    ('Cisco 3905', true, false, false, true, false, 110),
    ('Cisco DX650', true, false, true, true, false, 110),
    ('Cisco DX70', true, false, true, true, false, 110),
    ('Cisco DX80', true, false, true, true, false, 110),
    ('Cisco ATA 190', true, false, false, true, false, 110),
    ('Cisco ATA 191', true, true, false, true, false, 120),
    ('Cisco IP Communicator', true, true, false, true, false, 110),
    -- Soft clients
    ('Cisco Unified Client Services Framework', true, false, true, true, false, 110),
    ('Cisco Dual Mode for iPhone', true, false, true, true, false, 110),
    ('Cisco Dual Mode for Android', true, false, true, true, false, 110),
    ('Cisco Jabber for Tablet', true, false, true, true, false, 110),
    ('Cisco Webex VDI Svc Framework', true, false, true, true, false, 125),
    -- Third-party SIP devices: no secure modes, no Cisco-only settings
    ('Third-party SIP Device (Basic)', true, false, false, false, false, 110),
    ('Third-party SIP Device (Advanced)', true, false, false, false, false, 110),
    -- The model-independent profile's type
    ('Universal Device Template', true, false, true, true, true, 110);

INSERT INTO phone_security_profile (name, phone_type, protocol, is_standard)
SELECT m.name || ' - Standard ' || p.protocol || ' Non-Secure Profile', m.name, p.protocol, true
  FROM phone_model m
  CROSS JOIN (VALUES ('SIP'), ('SCCP')) AS p (protocol)
 WHERE NOT m.model_independent
   AND ((p.protocol = 'SIP' AND m.sip) OR (p.protocol = 'SCCP' AND m.sccp));

INSERT INTO phone_security_profile (name, phone_type, protocol, is_standard)
VALUES ('Universal Device Template - Model-independent Security Profile',
        'Universal Device Template', 'SIP', true);
