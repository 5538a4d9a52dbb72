-- 0011_ccm_views.sql: what this server holds, as read-only views under
-- CUCM's data-dictionary names (schema ccm), for executeSQLQuery; and the
-- role that runs clients' statements, which can read those views and
-- nothing else.  docs/sql-query.md lists every table and column, where its
-- name and numbers come from, and which could not be confirmed.

-- The type tables' rows: CUCM's enum numbers where public evidence gives
-- them (confirmed), ours where it does not (docs/sql-query.md says which).
CREATE TABLE dd_enum (
    kind      text NOT NULL,
    name      text NOT NULL,
    enum      integer NOT NULL,
    confirmed boolean NOT NULL,
    PRIMARY KEY (kind, name),
    UNIQUE (kind, enum)
);

INSERT INTO dd_enum (kind, name, enum, confirmed) VALUES
    ('deviceprotocol', 'SCCP', 0, true), ('deviceprotocol', 'SIP', 11, true),
    ('class', 'Phone', 1, true),
    ('protocolside', 'User', 1, true), ('protocolside', 'Network', 2, false),
    ('devicesecuritymode', 'Non Secure', 1, false),
    ('devicesecuritymode', 'Authenticated', 2, false),
    ('devicesecuritymode', 'Encrypted', 3, false),
    ('authenticationmode', 'By Authentication String', 0, false),
    ('authenticationmode', 'By Null String', 1, false),
    ('authenticationmode', 'By Existing Certificate (precedence to LSC)', 2, false),
    ('authenticationmode', 'By Existing Certificate (precedence to MIC)', 3, false),
    ('keysize', '512', 1, false), ('keysize', '1024', 2, false), ('keysize', '2048', 3, false),
    ('keysize', '3072', 4, false), ('keysize', '4096', 5, false), ('keysize', '256', 6, false),
    ('keysize', '384', 7, false), ('keysize', '521', 8, false),
    ('keyorder', 'RSA Only', 1, false), ('keyorder', 'EC Only', 2, false),
    ('keyorder', 'EC Preferred, RSA Backup', 3, false),
    ('certificateoperation', 'No Pending Operation', 1, true),
    ('certificateoperation', 'Install/Upgrade', 2, true),
    ('certificateoperation', 'Delete', 3, false),
    ('certificateoperation', 'Troubleshoot', 4, false),
    ('certificatestatus', 'None', 1, true),
    ('certificatestatus', 'Operation Pending', 2, true),
    ('certificatestatus', 'Upgrade Success', 3, false),
    ('certificatestatus', 'Upgrade Failed', 4, false),
    ('certificatestatus', 'Delete Success', 5, false),
    ('certificatestatus', 'Delete Failed', 6, false),
    ('certificatestatus', 'Troubleshoot Success', 7, false),
    ('certificatestatus', 'Troubleshoot Failed', 8, false),
    ('transport', 'TCP+UDP', 1, false), ('transport', 'TCP', 2, false),
    ('transport', 'UDP', 3, false), ('transport', 'TLS', 4, false);

-- Phone models: two independent public lists of typemodel agree on these.
INSERT INTO dd_enum (kind, name, enum, confirmed) VALUES
    ('model', 'Cisco 7811', 36213, true), ('model', 'Cisco 7821', 621, true),
    ('model', 'Cisco 7832', 36247, true), ('model', 'Cisco 7841', 622, true),
    ('model', 'Cisco 7861', 623, true), ('model', 'Cisco 7906', 369, true),
    ('model', 'Cisco 7911', 307, true), ('model', 'Cisco 7921', 365, true),
    ('model', 'Cisco 7925', 484, true), ('model', 'Cisco 7926', 577, true),
    ('model', 'Cisco 7931', 348, true), ('model', 'Cisco 7937', 431, true),
    ('model', 'Cisco 7940', 8, true), ('model', 'Cisco 7941', 115, true),
    ('model', 'Cisco 7942', 434, true), ('model', 'Cisco 7945', 435, true),
    ('model', 'Cisco 7960', 7, true), ('model', 'Cisco 7961', 30018, true),
    ('model', 'Cisco 7962', 404, true), ('model', 'Cisco 7965', 436, true),
    ('model', 'Cisco 7970', 30006, true), ('model', 'Cisco 7971', 119, true),
    ('model', 'Cisco 7975', 437, true), ('model', 'Cisco 6921', 495, true),
    ('model', 'Cisco 6941', 496, true), ('model', 'Cisco 6945', 564, true),
    ('model', 'Cisco 6961', 497, true), ('model', 'Cisco 8941', 586, true),
    ('model', 'Cisco 8945', 585, true), ('model', 'Cisco 8961', 540, true),
    ('model', 'Cisco 9951', 537, true), ('model', 'Cisco 9971', 493, true),
    ('model', 'Cisco 8811', 36217, true), ('model', 'Cisco 8821', 36216, true),
    ('model', 'Cisco 8831', 659, true), ('model', 'Cisco 8832', 36258, true),
    ('model', 'Cisco 8841', 683, true), ('model', 'Cisco 8845', 36224, true),
    ('model', 'Cisco 8851', 684, true), ('model', 'Cisco 8851NR', 36232, true),
    ('model', 'Cisco 8861', 685, true), ('model', 'Cisco 8865', 36225, true),
    ('model', 'Cisco 8865NR', 36248, true), ('model', 'Cisco 3905', 592, true),
    ('model', 'Cisco DX650', 647, true), ('model', 'Cisco DX70', 36043, true),
    ('model', 'Cisco DX80', 36042, true), ('model', 'Cisco ATA 190', 681, true),
    ('model', 'Cisco ATA 191', 36262, true), ('model', 'Cisco IP Communicator', 30016, true),
    ('model', 'Cisco Unified Client Services Framework', 503, true),
    ('model', 'Cisco Dual Mode for iPhone', 562, true),
    ('model', 'Cisco Dual Mode for Android', 575, true),
    ('model', 'Cisco Jabber for Tablet', 652, true),
    ('model', 'Cisco Webex VDI Svc Framework', 36302, true),
    ('model', 'Third-party SIP Device (Basic)', 336, true),
    ('model', 'Third-party SIP Device (Advanced)', 374, true),
    ('model', 'Universal Device Template', 645, true);

-- Models of ours no public list gave a number for: numbers from a range
-- CUCM does not use (900000 up), so a script never mistakes them.
INSERT INTO dd_enum (kind, name, enum, confirmed)
SELECT 'model', m.name, 900000 + row_number() OVER (ORDER BY m.name), false
  FROM phone_model m
 WHERE NOT EXISTS (SELECT 1 FROM dd_enum e WHERE e.kind = 'model' AND e.name = m.name);

CREATE SCHEMA ccm;

-- A type table as CUCM shapes it: enum, name, moniker (the name in
-- upper case, words joined by '_', after a prefix); kept in dd_enum.
ALTER TABLE dd_enum ADD COLUMN moniker text GENERATED ALWAYS AS
    (trim(BOTH '_' FROM upper(regexp_replace(name, '[^A-Za-z0-9]+', '_', 'g')))) STORED;

CREATE VIEW ccm.typemodel AS
    SELECT enum, name, 'MODEL_' || moniker AS moniker FROM dd_enum WHERE kind = 'model';
-- CUCM's product numbers are not confirmed: each product has its model's.
CREATE VIEW ccm.typeproduct AS
    SELECT enum, name, 'PRODUCT_' || moniker AS moniker, enum AS tkmodel
      FROM dd_enum WHERE kind = 'model';
CREATE VIEW ccm.typeclass AS
    SELECT enum, name, 'CLASS_' || moniker AS moniker FROM dd_enum WHERE kind = 'class';
CREATE VIEW ccm.typedeviceprotocol AS
    SELECT enum, name, 'DEVICE_PROTOCOL_' || moniker AS moniker
      FROM dd_enum WHERE kind = 'deviceprotocol';
CREATE VIEW ccm.typedevicesecuritymode AS
    SELECT enum, name, 'DEVICE_SECURITY_MODE_' || moniker AS moniker
      FROM dd_enum WHERE kind = 'devicesecuritymode';
CREATE VIEW ccm.typeauthenticationmode AS
    SELECT enum, name, 'AUTHENTICATION_MODE_' || moniker AS moniker
      FROM dd_enum WHERE kind = 'authenticationmode';
CREATE VIEW ccm.typekeysize AS
    SELECT enum, name, 'KEY_SIZE_' || moniker AS moniker FROM dd_enum WHERE kind = 'keysize';
CREATE VIEW ccm.typekeyorder AS
    SELECT enum, name, 'KEY_ORDER_' || moniker AS moniker FROM dd_enum WHERE kind = 'keyorder';
CREATE VIEW ccm.typecertificateoperation AS
    SELECT enum, name, 'CERTIFICATE_OPERATION_' || moniker AS moniker
      FROM dd_enum WHERE kind = 'certificateoperation';
CREATE VIEW ccm.typecertificatestatus AS
    SELECT enum, name, 'CERTIFICATE_STATUS_' || moniker AS moniker
      FROM dd_enum WHERE kind = 'certificatestatus';
CREATE VIEW ccm.typetransport AS
    SELECT enum, name, 'TRANSPORT_' || moniker AS moniker FROM dd_enum WHERE kind = 'transport';

-- Views join dd_enum for each tk* column (no functions: a function a view
-- calls runs with the caller's rights, and the query role reads no table).
-- Phones.  Not served: authenticationstring (a secret), and the columns
-- of what this server does not hold (lines, owner, device pool as a row).
CREATE VIEW ccm.device AS
    SELECT p.pkid::text AS pkid, p.name, p.description,
           em.enum AS tkmodel, em.enum AS tkproduct, ec.enum AS tkclass,
           ep.enum AS tkdeviceprotocol, es.enum AS tkprotocolside,
           p.security_profile_id::text AS fksecurityprofile,
           NULL::text AS fkenduser,
           p.ctiid,
           eo.enum AS tkcertificateoperation, et.enum AS tkcertificatestatus,
           NULLIF(p.upgrade_finish_time, '') AS upgradefinishtime,
           false AS isstandard, true AS isactive
      FROM phone p
      LEFT JOIN dd_enum em ON em.kind = 'model' AND em.name = p.model
      LEFT JOIN dd_enum ec ON ec.kind = 'class' AND ec.name = p.class
      LEFT JOIN dd_enum ep ON ep.kind = 'deviceprotocol' AND ep.name = p.protocol
      LEFT JOIN dd_enum es ON es.kind = 'protocolside' AND es.name = p.protocol_side
      LEFT JOIN dd_enum eo ON eo.kind = 'certificateoperation'
                          AND eo.name = p.certificate_operation
      LEFT JOIN dd_enum et ON et.kind = 'certificatestatus' AND et.name = p.certificate_status;

-- Phone security profiles (CUCM keeps trunk profiles in the same table;
-- tksecuritypolicy 4 marks a phone's, as public scripts filter them).
CREATE VIEW ccm.securityprofile AS
    SELECT s.pkid::text AS pkid, s.name, s.description,
           em.enum AS tkmodel, ep.enum AS tkdeviceprotocol,
           4 AS tksecuritypolicy,
           ed.enum AS tkdevicesecuritymode, ea.enum AS tkauthenticationmode,
           ek.enum AS tkkeysize, eo.enum AS tkkeyorder, ee.enum AS tkeckeysize,
           s.tftp_encrypted_config AS tftpencryptedflag,
           s.enable_oauth AS sipoauthflag,
           s.nonce_validity_time AS noncepolicytime,
           et.enum AS tktransport,
           s.sip_phone_port AS incomingport,
           s.enable_digest AS digestauthall,
           s.exclude_digest_credentials AS excludedigestcredentials,
           s.is_standard AS isstandard
      FROM phone_security_profile s
      LEFT JOIN dd_enum em ON em.kind = 'model' AND em.name = s.phone_type
      LEFT JOIN dd_enum ep ON ep.kind = 'deviceprotocol' AND ep.name = s.protocol
      LEFT JOIN dd_enum ed ON ed.kind = 'devicesecuritymode'
                          AND ed.name = s.device_security_mode
      LEFT JOIN dd_enum ea ON ea.kind = 'authenticationmode'
                          AND ea.name = s.authentication_mode
      LEFT JOIN dd_enum ek ON ek.kind = 'keysize' AND ek.name = s.key_size
      LEFT JOIN dd_enum eo ON eo.kind = 'keyorder' AND eo.name = s.key_order
      LEFT JOIN dd_enum ee ON ee.kind = 'keysize' AND ee.name = s.ec_key_size
      LEFT JOIN dd_enum et ON et.kind = 'transport' AND et.name = s.transport_type;

-- End users: names only; digest credentials (HA1 hashes) are never served.
CREATE VIEW ccm.enduser AS
    SELECT pkid::text AS pkid, userid, first_name AS firstname, last_name AS lastname,
           true AS islocaluser
      FROM end_user;

-- Registrations from this server's registrar (CUCM's registrationdynamic
-- shape, one row per phone: its latest binding).
CREATE VIEW ccm.registrationdynamic AS
    SELECT DISTINCT ON (r.phone_id)
           md5('registrationdynamic:' || r.phone_id::text)::uuid::text AS pkid,
           r.phone_id::text AS fkdevice,
           host(r.source_ip) AS lastknownipaddress,
           r.node AS lastknownucm,
           extract(epoch FROM r.updated_at)::bigint AS lastseen,
           upper(r.transport) AS lastknowntransport,
           r.user_agent AS lastknownuseragent,
           (r.expires_at > now()) AS registered
      FROM sip_registration r
     ORDER BY r.phone_id, r.updated_at DESC;

-- The apply outbox (ours: CUCM has no such table).
CREATE VIEW ccm.applyoutbox AS
    SELECT o.id, q.uuid::text AS fkapplyrequest, q.operation, o.phone_id::text AS fkdevice,
           o.phone_name AS devicename, o.action, o.state, o.attempts, o.last_status AS laststatus,
           o.reason, extract(epoch FROM o.created_at)::bigint AS created,
           extract(epoch FROM o.done_at)::bigint AS done
      FROM notify_outbox o JOIN apply_request q ON q.id = o.request_id;

-- The role clients' statements run as: it logs in (axlprovd connects as
-- it, see sql_query_database_url), reads the views in ccm and nothing else:
-- no base table is granted to it, it owns nothing, and every session is
-- read-only with search_path ccm.  Roles are per cluster; another database
-- of the same cluster may have made it already.  Creating and configuring
-- a role needs CREATEROLE: a migrating user without it gets a notice, not a
-- failed migration, and executeSQLQuery answers "Database unavailable"
-- until an administrator runs the statements below (docs/sql-query.md).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'axlprov_sql') THEN
        CREATE ROLE axlprov_sql LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT
            NOREPLICATION NOBYPASSRLS;
    END IF;
    GRANT USAGE ON SCHEMA ccm TO axlprov_sql;
    GRANT SELECT ON ALL TABLES IN SCHEMA ccm TO axlprov_sql;
    -- Session defaults (axlprovd sets them per statement anyway).
    BEGIN
        ALTER ROLE axlprov_sql SET search_path = ccm;
        ALTER ROLE axlprov_sql SET default_transaction_read_only = on;
        ALTER ROLE axlprov_sql SET statement_timeout = '10s';
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'role axlprov_sql: session defaults not set (%)', SQLERRM;
    END;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'role axlprov_sql not set up (%): executeSQLQuery needs it, see docs/sql-query.md',
        SQLERRM;
END
$$;
